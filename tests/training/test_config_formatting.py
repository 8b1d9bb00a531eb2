"""mmengine formats a run's config with yapf each time it logs, dumps or checkpoints it; a run
keeps the first formatting of each text (``training.train._format_config_once``)."""


def test_config_text_is_formatted_once_and_exactly_as_yapf_does(monkeypatch):
    from mmengine.config import Config
    from mmengine.config import config as mm_config

    from training.train import _format_config_once

    cfg = Config(dict(model=dict(type="FasterRCNN", backbone=dict(depth=50, plugins=None)),
                      work_dir="/tmp/w", milestones=[8, 11]))
    _format_config_once()
    _format_config_once()  # idempotent: one cache, never a cache of a cache
    cached = mm_config.FormatCode
    assert not hasattr(cached.__wrapped__, "formatted")
    with monkeypatch.context() as m:
        m.setattr(mm_config, "FormatCode", cached.__wrapped__)
        expected = cfg.pretty_text  # yapf's own
    assert cfg.pretty_text == expected
    size = len(cached.formatted)
    assert cfg.pretty_text == expected and len(cached.formatted) == size  # kept, not redone
    cfg.work_dir = "/tmp/other"  # another text is formatted anew
    assert "/tmp/other" in cfg.pretty_text and len(cached.formatted) == size + 1
