"""Shared fixtures: Hydra's Compose API on the project's conf/, outputs in tmp_path."""
import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from sweeps import schema  # noqa: F401
from sweeps.variants import CONF_DIR


@pytest.fixture
def compose_cfg(tmp_path):
    """compose(overrides) -> config with the hydra node, outputs under tmp_path."""
    def _compose(*overrides):
        GlobalHydra.instance().clear()
        with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
            return compose("config", overrides=[f"output_root={tmp_path}", *overrides],
                           return_hydra_config=True)
    yield _compose
    GlobalHydra.instance().clear()
