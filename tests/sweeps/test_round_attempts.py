"""A round retries a failed run only while it has attempts left (``launcher.max_requeues`` + 1
starts, as its job would requeue): a run that keeps failing is said, not queued round after round
until the chain's round cap."""
import pytest

from tests.helpers import TINY

ARGS = ["hydra/sweeper=rows", "msfm.enabled=false,true", "resolve=2.0", "max_seeds=2",
        "wandb.enabled=false", "launcher.max_requeues=1"]


@pytest.mark.parametrize("attempts, retried", [(1, True), (2, False)])
def test_a_failed_run_is_retried_only_within_its_attempts(tmp_path, attempts, retried):
    from dataclasses import asdict

    from results.record import new_record
    from results.store import ResultStore
    from sweeps.gate import Gate
    from sweeps.plan import planned

    args = [f"output_root={tmp_path}", f"results_dir={tmp_path / 'results'}", *TINY, *ARGS]
    _, _, first = planned(args)
    assert [r["seed"] for r in first.rows] == [0, 0]  # baseline, default: seed 0 each
    gate = Gate()
    job, cfg = next((j, c) for j, c in first.composed if "msfm.enabled=True" in j)
    spec = gate.spec(cfg, job)
    record = new_record(spec.key, "failed", spec.names, sweep=spec.sweep, overrides=spec.overrides,
                        config=spec.config, seed=0, spec=asdict(spec.variant))
    record.update(attempts=attempts, error="RuntimeError: boom")  # as its last job left it
    ResultStore(spec.results_dir).write(record)

    _, _, second = planned(args)
    row = next(r for r in second.rows if r["label"] == "default")
    if retried:
        assert row["seed"] == 0, row
    else:
        assert row["seed"] is None and "failed after 2 attempt(s): not retried" in row["why"], row
