"""The config tree: every option composes, typos fail at compose time, presets expand to the
exact rows of their paper tables."""
import pytest
from hydra.errors import ConfigCompositionException

from sweeps.grid import expand
from sweeps.naming import VARIANT_GROUPS
from sweeps.variants import group_options, names_of, variant_of

MSFM_GROUPS = ("position", "scales", "ratios", "norm_group", "conv_num", "fusion_type")
# position x norm_group combinations that are invalid by the paper's channel counts
PRESET_ROWS = {"scales": 6, "ratios": 7, "norm_group": 11, "conv_num": 9, "fusion_type": 5,
               "position": 5, "frameworks": 18, "final": 2}


@pytest.mark.parametrize("group", VARIANT_GROUPS)
def test_every_option_composes(compose_cfg, group):
    for option in group_options(group):
        overrides = [f"{group}={option}"]
        if group == "position" or group == "norm_group":
            overrides.append("norm_group=gn8_4_32" if group == "position" else "position=after_conv3")
        if group == "norm_group" and option == "gn8_4_32":
            overrides = ["norm_group=gn8_4_32", "position=after_conv2+3"]
        cfg = compose_cfg(*overrides)
        assert names_of(cfg)[group] == option
        variant_of(cfg).validate()


def test_defaults_are_the_paper_default_variant(compose_cfg):
    msfm = variant_of(compose_cfg()).msfm
    assert msfm.position == ["after_conv3"] and msfm.scales == [0.5, 0.7, 1.0]
    assert msfm.ratios == [16, 32, 64] and msfm.norm_group["after_conv3"] == 16
    assert msfm.conv_num == "1" and msfm.fusion_type == "add"


@pytest.mark.parametrize("override", ["msfm.scale=[1.0]", "msfm.ratios=abc", "seed=x",
                                      "schedule.epochs=two"])
def test_typo_or_wrong_type_fails_at_compose(compose_cfg, override):
    with pytest.raises(ConfigCompositionException):
        compose_cfg(override)


@pytest.mark.parametrize("preset", PRESET_ROWS)
def test_preset_expands_to_its_table_plus_baseline(compose_cfg, preset):
    master = compose_cfg(f"+sweep={preset}")
    assert master.hydra.mode.name == "MULTIRUN" and master.sweep == preset
    jobs = expand(master.hydra.sweeper.rows, master.hydra.sweeper.params, [f"+sweep={preset}"])
    assert len(jobs) == PRESET_ROWS[preset]
    variants = [variant_of(compose_cfg(*job)).validate() for job in jobs]
    keys = {v.key() for v in variants}
    assert len(keys) == len(jobs), "two rows of a table are the same variant"
    baselines = [v for v in variants if not v.msfm.enabled]
    assert len(baselines) == (9 if preset == "frameworks" else 1)


def test_command_line_wins_and_crosses_every_row(compose_cfg):
    master = compose_cfg("+sweep=scales")
    rows, params = master.hydra.sweeper.rows, master.hydra.sweeper.params
    jobs = expand(rows, params, ["+sweep=scales", "seed=0,1"])
    assert len(jobs) == 12
    jobs = expand(rows, params, ["+sweep=scales", "scales=3L"])
    assert len(jobs) == 2  # baseline + 3L: the preset's five scales collapse to one
