"""A variant is named by its values: an option's name where the values equal it, the values
themselves otherwise; different values never share a name."""
import pytest

from sweeps.naming import VARIANT_GROUPS, default_names, label, names_of_variant, options
from sweeps.variants import variant_of


@pytest.mark.parametrize("overrides, group, name", [
    ([], "scales", "3S"),
    (["msfm.scales=[0.5,1.0]"], "scales", "[0.5,1.0]"),
    (["msfm.scales=[0.5,0.7,1]"], "scales", "3S"),  # 1 == 1.0: the values of option 3S
    (["scales=5S", "msfm.scales=[0.5,0.7,1.0]"], "scales", "3S"),  # the choice said 5S
    (["msfm.ratios=[8,16,24]"], "ratios", "[8,16,24]"),
    (["msfm.norm_group.after_conv3=8"], "norm_group",
     "{after_conv1:16,after_conv2:16,after_conv3:8}"),
    (["msfm.conv_num=2"], "conv_num", "cgn2"),
    (["schedule.epochs=1"], "schedule", "smoke[epochs=1]"),
    (["schedule=cpu", "schedule.name=smoke"], "schedule", "cpu[name=smoke]"),
    (["dataset.data_root=/elsewhere"], "dataset", "synthetic"),  # where it lives is not what it is
    (["detector.mmdet_config=retinanet/retinanet_r50_fpn_1x_coco.py"], "detector",
     "faster_rcnn_r50_fpn[mmdet_config=retinanet/retinanet_r50_fpn_1x_coco.py]"),
])
def test_names_come_from_values(compose_cfg, overrides, group, name):
    assert names_of_variant(variant_of(compose_cfg(*overrides)))[group] == name


def test_different_values_never_share_a_name(compose_cfg):
    variants = [variant_of(compose_cfg(*o)) for o in (
        [], ["msfm.scales=[0.5,1.0]"], ["scales=5S"], ["msfm.ratios=[8,16,32]"], ["ratios=r8_16_32"],
        ["schedule.epochs=1"], ["schedule.lr=0.001"], ["msfm.enabled=false"], ["norm_group=gn8"],
        ["msfm.norm_group={after_conv1:8,after_conv2:8,after_conv3:8}"])]
    by_name: dict = {}
    for v in variants:
        names = str(sorted(names_of_variant(v).items()))
        by_name.setdefault(names, set()).add(v.key())
    assert all(len(keys) == 1 for keys in by_name.values()), by_name
    assert len(by_name) == 8  # ratios=r8_16_32 and gn8 are the same values as the explicit ones


def test_every_option_is_distinct_and_labels_say_what_differs(compose_cfg):
    for group in VARIANT_GROUPS:
        values = list(options(group).values())
        assert len(values) == len(set(map(str, values))), f"two options of {group} are equal"
    assert default_names() == names_of_variant(variant_of(compose_cfg()))
    assert label(names_of_variant(variant_of(compose_cfg()))) == "default"
    names = names_of_variant(variant_of(compose_cfg("msfm.scales=[0.5,1.0]", "seed=2")))
    assert label(names, 2) == "scales=[0.5,1.0] seed=2"
    assert label(names_of_variant(variant_of(compose_cfg("msfm.enabled=false")))) == "baseline"


@pytest.mark.parametrize("sweep, expected", [
    (["+sweep=scales"], ["baseline", "scales=3S", "scales=5S", "scales=3L", "scales=4SL", "scales=5SL"]),
    (["hydra/sweeper=rows", "msfm.enabled=false,true", "scales=5S"], ["baseline", "scales=5S"]),
    (["hydra/sweeper=rows", "msfm.scales=[0.5,1.0]", "seed=0,1"],  # knobs as against the default
     ["scales=[0.5,1.0] seed=0", "scales=[0.5,1.0] seed=1"]),
])
def test_plan_status_and_round_name_each_variant_the_same_by_its_values(tmp_path, capsys, sweep, expected):
    """The plan, the status table and the adaptive round show one label per variant: its values
    where the variants shown differ (whatever the command line said), the rest once, not per row."""
    from sweeps.plan import planned, print_table
    from sweeps.replicate import plan_round
    from sweeps.status import status_rows
    from sweeps.variants import compose_jobs

    overrides = [f"output_root={tmp_path}", *sweep]
    rows, _, _ = planned(overrides)
    capsys.readouterr()
    print_table(rows, "plan")
    shown = [line.split("│")[2].strip() for line in capsys.readouterr().out.splitlines() if line.count("│") == 6]
    assert shown == expected
    assert [r["label"] for r in status_rows(overrides)] == expected
    if "seed=0,1" not in sweep:  # resolve= picks the seeds itself
        round_rows = plan_round(compose_jobs([*overrides, "resolve=1.0"])).rows
        assert [r["label"] for r in round_rows] == expected


@pytest.mark.parametrize("command, sampled, expected", [
    ([], ["ratios=r8_16_32", "scales=5S"], "scales=5S ratios=r8_16_32"),
    ([], ["msfm.scales=[0.5,0.7,1.0]", "fusion_type=cat"], "fusion_type=cat"),  # 3S: the default
    ([], ["scales=3S"], "default"),
    ([], ["msfm.enabled=false"], "baseline"),
    (["scales=5S"], ["scales=5S", "msfm.ratios=[4,8,16]"], "ratios=r4_8_16"),  # shared: left out
])
def test_a_search_trial_is_named_by_its_values_against_the_unsampled_variant(tmp_path, command,
                                                                             sampled, expected):
    from sweeps.run import SweepApp

    app = SweepApp()
    app.precheck([f"output_root={tmp_path}", "+search=msfm", *command])
    assert app.planned == [] and app.reference is not None  # trials join the console later
    [trial] = app.gate.check([f"output_root={tmp_path}", *command, *sampled])
    assert app.label(trial) == expected
