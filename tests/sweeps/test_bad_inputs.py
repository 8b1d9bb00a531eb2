"""Bad input to ``python -m sweeps.run``: one line naming the field, exit != 0, nothing trained,
nothing written to the results store. Each case is a real subprocess, as a user would type it.
"""
import json

import pytest

from tests.helpers import sweeps_run

KEPT = "0123456789abcdef"  # a finished record that must survive every bad command untouched


def case(args, field):
    """A bad input, shown in test ids as typed."""
    return pytest.param(args, field, id=" ".join(args))


CASES = [
    # an unknown option for each config group, and for the sweep preset
    case(["position=after_conv4"], "position"),
    case(["scales=6S"], "scales"),
    case(["ratios=r1_2_3"], "ratios"),
    case(["norm_group=gn3"], "norm_group"),
    case(["conv_num=cgn3"], "conv_num"),
    case(["fusion_type=mul"], "fusion_type"),
    case(["detector=yolo"], "detector"),
    case(["dataset=voc"], "dataset"),
    case(["schedule=3x"], "schedule"),
    case(["launcher=pbs"], "launcher"),
    case(["+sweep=table9"], "sweep"),
    case(["-m", "scales=3S,6S"], "scales"),  # one bad value inside a command-line sweep
    # a typo'd key and wrong types: the typed schema refuses them at compose time
    case(["msfm.scale=[1.0]"], "msfm.scale"),
    case(["seed=abc"], "seed"),
    case(["schedule.epochs=two"], "schedule.epochs"),
    case(["msfm.ratios=abc"], "msfm.ratios"),
    case(["msfm.enabled=maybe"], "msfm.enabled"),
    # out-of-range values
    case(["schedule.epochs=0"], "schedule.epochs"),
    case(["schedule.lr=-1"], "schedule.lr"),
    case(["schedule.milestones=[99]"], "schedule.milestones"),
    case(["dataset.num_classes=0"], "dataset.num_classes"),
    case(["schedule.img_scale=[1333]"], "schedule.img_scale"),
    # MSFM shapes that cannot be built
    case(["msfm.scales=[]"], "msfm.scales"),
    case(["msfm.scales=[0.5,-1]"], "msfm.scales"),
    case(["msfm.ratios=[-16,32,64]"], "msfm.ratios"),
    case(["msfm.ratios=[3,32,64]"], "msfm.ratios"),
    case(["msfm.ratios=[16,32]"], "msfm.ratios"),
    case(["position=after_conv1"], "msfm.norm_group"),  # gn16 does not divide 128 / 16 channels
    case(["msfm.fusion_type=mul"], "msfm.fusion_type"),
    case(["msfm.conv_num=3"], "msfm.conv_num"),
    case(["msfm.position=[after_conv3,after_conv3]"], "msfm.position"),
    case(["msfm.position=[]"], "msfm.position"),
    case(["-m", "msfm.ratios=[16,32,64],[3,32,64]"], "msfm.ratios"),
    case(["-m", "+sweep=norm_group", "norm_group=gn16"], "msfm.norm_group"),  # bad row in a preset
    # paths
    case(["dataset=coco", "dataset.data_root=/nonexistent"], "dataset.data_root"),
    case(["dataset=coco", "dataset.data_root={tmp}"], "dataset.train_ann"),  # exists, no COCO layout
    case(["results_dir={tmp}/regular_file/results"], "results_dir"),
    # SLURM job shapes
    case(["launcher=slurm", "launcher.tasks_per_node=0"], "launcher.tasks_per_node"),
    case(["launcher=slurm", "launcher.gpus_per_node=3", "launcher.tasks_per_node=2"],
         "launcher.gpus_per_node"),
    case(["launcher=slurm", "launcher.nodes=0"], "launcher.nodes"),
    # checked against the environment: synthetic sizes, the shipped config, a checkpoint file
    case(["seed=-1"], "seed"),
    case(["dataset.num_val=0"], "dataset.num_val"),
    case(["dataset.num_classes=81"], "dataset.num_classes"),
    case(["detector.mmdet_config=nonexistent.py"], "detector.mmdet_config"),
    case(["schedule.load_from=/nonexistent.pth"], "schedule.load_from"),
    # run settings and values outside their declared domains (the whole class is generated in
    # test_domains.py; these go through the real command line)
    case(["objective=speed"], "objective"),
    case(["wandb.mode=sometimes"], "wandb.mode"),
    case(["schedule.lr=nan"], "schedule.lr"),
    case(["msfm.scales=[0.5,1000]"], "msfm.scales"),
    case(["-m", "+sweep=scales", "num_workers=-1"], "num_workers"),
]


@pytest.mark.parametrize("args, field", CASES)
def test_bad_input_is_one_line_before_anything_runs(tmp_path, args, field):
    (tmp_path / "regular_file").write_text("")
    store = tmp_path / "results"
    store.mkdir()
    kept = store / f"{KEPT}.json"
    kept.write_text(json.dumps({"key": KEPT, "status": "finished", "variant": {},
                                "metrics": {"bbox_mAP": 0.5}}))
    before = sorted(p.name for p in store.rglob("*"))
    kept_bytes = kept.read_bytes()

    proc = sweeps_run(tmp_path, *(a.format(tmp=tmp_path) for a in args), timeout=300)

    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode != 0
    assert len(lines) == 1, proc.stderr[-3000:]
    assert lines[0].startswith("error:") and field in lines[0], lines[0]
    assert "Epoch(train)" not in proc.stdout
    assert kept.read_bytes() == kept_bytes
    assert sorted(p.name for p in store.rglob("*")) == before  # no record, lock or temp file


def test_slurm_without_slurm_is_one_line(tmp_path):
    """On a machine without SLURM's commands: one line naming what is missing, no job, no record."""
    import os
    import sys

    bare = tmp_path / "bin"  # a PATH with python and nothing of SLURM's
    bare.mkdir()
    (bare / "python").symlink_to(sys.executable)
    proc = sweeps_run(tmp_path, "launcher=slurm", timeout=300,
                      env={**os.environ, "PATH": str(bare)})
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr[-3000:]
    assert lines[0].startswith("error: launcher.name: slurm needs") and "sbatch" in lines[0]
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").iterdir())
