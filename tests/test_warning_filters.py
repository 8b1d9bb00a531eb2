"""pytest's ``filterwarnings`` (pyproject.toml): a FutureWarning or DeprecationWarning raised
from our own packages is an error, and so is Optuna's FutureWarning (it names a deprecated
Optuna API we call); other libraries' deprecations stay quiet."""
import warnings

import pytest

OURS = ["description.variant", "msfm.layer", "training.train", "sweeps.plan", "launchers.slurm",
        "results.store", "analysis.tables", "hydra_plugins.msfm_optuna_sweeper.study_setup",
        "stats.bootstrap", "benchmarks", "tests.hydra_plugins.test_study"]


def _warn(category, module: str) -> None:
    """A warning attributed to ``module``, as ``warnings.warn`` from code in it would be."""
    warnings.warn_explicit("an old API", category, f"{module.replace('.', '/')}.py", 1,
                           module=module)


@pytest.mark.parametrize("category", [FutureWarning, DeprecationWarning])
def test_a_deprecation_raised_from_our_code_is_an_error(category):
    for module in OURS:
        with pytest.raises(category):
            _warn(category, module)


def test_optunas_future_warning_is_an_error_and_other_libraries_deprecations_are_not():
    import optuna

    with pytest.raises(FutureWarning, match="constraints_func"):  # what issue 18 replaced
        optuna.samplers.TPESampler(constraints_func=lambda trial: (0.0,))
    with warnings.catch_warnings(record=True) as seen:  # keeps the filters, records the rest
        _warn(DeprecationWarning, "mmengine.config")  # ignored
        _warn(FutureWarning, "sweepstakes")  # not a package of ours: shown, not raised
    assert [w.category for w in seen] == [FutureWarning]
