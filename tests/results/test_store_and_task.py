"""Results store and task mechanics that need no training: atomic records, corrupt files,
the run lock, and the bounded requeue of ``VariantTask.checkpoint``."""
import json
import multiprocessing

import pytest

from description.run_spec import RunSpec
from description.variant import Variant
from results.store import CorruptRecord, ResultStore
from training.task import VariantTask


def record(key, status="finished"):
    return {"key": key, "status": status, "variant": {}, "metrics": {}}


def test_corrupt_record_is_named_kept_aside_and_others_untouched(tmp_path):
    store = ResultStore(tmp_path)
    store.write(record("aaaa"))
    (tmp_path / "bbbb.json").write_text('{"key": "bbbb", "stat')
    with pytest.raises(CorruptRecord, match="bbbb.json"):
        store.read("bbbb")
    good, bad = store.records()
    assert [r["key"] for r in good] == ["aaaa"] and bad == ["bbbb.json"]
    assert store.read_or_warn("bbbb") is None
    assert list(tmp_path.glob("bbbb.corrupt-*")) and store.read("aaaa")["status"] == "finished"


def _hold(path, started, release):
    with ResultStore(path).claim("k") as mine:
        started.put(mine)
        release.get()


def test_claim_is_exclusive_across_processes(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    started, release = ctx.Queue(), ctx.Queue()
    holder = ctx.Process(target=_hold, args=(tmp_path, started, release))
    holder.start()
    assert started.get(timeout=60) is True
    with ResultStore(tmp_path).claim("k") as mine:
        assert mine is False  # a second sweep skips a variant that is being trained
    release.put(None)
    holder.join(60)
    with ResultStore(tmp_path).claim("k") as mine:
        assert mine is True  # released with its process


def test_unwritable_results_dir_is_one_line(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="results_dir") as e:
        ResultStore(tmp_path / "file" / "results").check_writable()
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("attempts, requeued", [(1, True), (3, True), (4, False)])
def test_checkpoint_requeues_the_same_task_a_bounded_number_of_times(tmp_path, attempts, requeued):
    spec = RunSpec(variant=Variant(), names={}, overrides=[], results_dir=str(tmp_path),
                   work_root=str(tmp_path / "work"), max_attempts=4)
    ResultStore(tmp_path).write({**record(spec.key, "running"), "attempts": attempts})
    delayed = VariantTask(spec).checkpoint()
    if requeued:
        assert delayed.function.spec == spec  # resumes from work_dir when it runs again
    else:
        assert delayed is None


def test_finished_variant_is_skipped_without_training(tmp_path):
    spec = RunSpec(variant=Variant(), names={}, overrides=[], results_dir=str(tmp_path),
                   work_root=str(tmp_path / "work"))
    ResultStore(tmp_path).write({**record(spec.key), "metrics": {"bbox_mAP": 0.3}})
    assert VariantTask(spec)()["metrics"] == {"bbox_mAP": 0.3}
    assert not (tmp_path / "work").exists()
    assert json.loads((tmp_path / f"{spec.key}.json").read_text())["status"] == "finished"
