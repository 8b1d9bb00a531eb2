"""A setting typed on a node that nothing reads is refused in one line naming it and its home
(sweeps/setting_homes.py): composed for real, checked as sweeps.run's precheck checks it."""
import pytest

from sweeps.setting_homes import check_setting_homes


def check(compose_cfg, *overrides, multirun=None, grid=()):
    """Compose ``overrides`` (and one more grid point per entry of ``grid``) and check them."""
    from hydra.types import RunMode

    cfgs = [compose_cfg(*overrides)] + [compose_cfg(*overrides, *point) for point in grid]
    if multirun is None:
        multirun = cfgs[0].hydra.mode == RunMode.MULTIRUN
    check_setting_homes(list(overrides), cfgs, multirun)


def test_launcher_slurm_is_always_a_multirun_through_its_plugin(compose_cfg):
    """One code path: a single variant is submitted by the same Hydra launcher as a sweep."""
    from hydra.types import RunMode

    from launchers.slurm_conf import PLUGIN

    cfg = compose_cfg("launcher=slurm")
    assert cfg.hydra.mode == RunMode.MULTIRUN and cfg.hydra.launcher._target_ == PLUGIN


@pytest.mark.parametrize("overrides, grid, field, home", [
    # the plugin's own node saying otherwise than launcher.* (what the sweepers and records read)
    (["launcher=slurm", "hydra.launcher.nodes=0"], (), "hydra.launcher.nodes", "launcher.nodes="),
    (["launcher=slurm", "hydra.launcher.wait=true"], (), "hydra.launcher.wait", "launcher.wait="),
    # which launcher runs: launcher.name and hydra/launcher must agree
    (["hydra/launcher=msfm_slurm"], (), "hydra/launcher", "launcher=slurm"),
    (["launcher=slurm", "hydra.mode=RUN"], (), "hydra.mode", "multirun"),
    # the launcher is built once per sweep: a field that differs between variants is ignored
    (["launcher=slurm"], [["launcher.timeout_min=20"]], "launcher.timeout_min", "separate sweeps"),
    # a local run has no SLURM job
    (["launcher.timeout_min=20"], (), "launcher.timeout_min", "launcher=slurm"),
    (["+search=msfm", "launcher.wait=false"], (), "launcher.wait", "launcher=slurm"),
    # what a search optimises is its sweeper's mode
    (["+search=msfm", "objective=ap"], (), "objective", "hydra.sweeper.mode="),
    # a multirun writes under hydra.sweep, a single run under hydra.run
    (["+sweep=scales", "hydra.run.dir=/tmp/x"], (), "hydra.run.dir", "hydra.sweep.dir"),
    (["launcher=slurm", "hydra.run.dir=/tmp/x"], (), "hydra.run.dir", "hydra.sweep.dir"),
    (["hydra.sweep.dir=/tmp/x"], (), "hydra.sweep.dir", "hydra.run.dir"),
])
def test_a_setting_nothing_reads_is_refused_naming_its_home(compose_cfg, overrides, grid, field,
                                                           home):
    with pytest.raises(ValueError) as e:
        check(compose_cfg, *overrides, grid=grid)
    message = str(e.value)
    assert message.startswith(f"{field}:") and home in message and "\n" not in message, message


@pytest.mark.parametrize("overrides", [
    ["launcher=slurm", "launcher.nodes=2", "launcher.wait=true", "hydra.sweep.dir=/tmp/x"],
    ["+search=msfm"],  # a local search: nothing of SLURM typed, nothing refused
    ["launcher.name=local", "hydra.run.dir=/tmp/x"],
])
def test_a_setting_on_its_home_passes(compose_cfg, overrides):
    check(compose_cfg, *overrides)
