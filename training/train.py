"""One variant through mmengine's ``Runner``: train (resuming), evaluate with ``CocoMetric``."""
from __future__ import annotations

import math
import os
import time
from pathlib import Path

from mmengine.hooks import Hook

from description.run_spec import RunSpec
from stats.detections import SUFFIX
from training.detections_hook import register_metric, store_replicates


class LastMetrics(Hook):
    """Keeps the latest validation metrics and puts them in the wandb run's summary (while
    the run is still open: mmengine's wandb backend closes it when training ends)."""

    priority = "LOWEST"

    def __init__(self) -> None:
        self.metrics: dict = {}
        self.wandb_run: str | None = None
        self.wandb_id: str | None = None

    def after_val_epoch(self, runner, metrics=None) -> None:
        import sys

        self.metrics = {k.split("/")[-1]: float(v) for k, v in (metrics or {}).items()}
        wandb = sys.modules.get("wandb")
        if wandb is not None and wandb.run is not None and runner.rank == 0:
            wandb.run.summary.update(self.metrics)
            self.wandb_run = str(Path(wandb.run.dir).parent)  # offline: `wandb sync` this
            self.wandb_id = wandb.run.id


class FiniteLoss(Hook):
    """Stops training on a NaN/inf loss: a diverged variant is a failure, not a result."""

    priority = "HIGHEST"

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        loss = (outputs or {}).get("loss")
        value = loss.item() if hasattr(loss, "item") else loss
        if value is not None and not math.isfinite(value):
            raise FloatingPointError(f"loss is {value} at iteration {runner.iter + 1}")


def _format_config_once() -> None:
    """mmengine formats the whole config with yapf (~1.5 s on a CPU) each time it logs, dumps,
    visualises or checkpoints it: 5 times a run and once more per checkpoint. Same text in,
    same text out: keep what was formatted."""
    import functools

    from mmengine.config import config as mm_config

    if hasattr(mm_config.FormatCode, "formatted"):
        return

    @functools.wraps(mm_config.FormatCode)
    def cached(text, **kwargs):
        key = (text, repr(sorted(kwargs.items())))
        if key not in cached.formatted:
            cached.formatted[key] = cached.__wrapped__(text, **kwargs)
        return cached.formatted[key]

    cached.formatted = {}
    mm_config.FormatCode = cached


def runner_config(spec: RunSpec, data_root: str, classes, launcher: str = "none"):
    """The mmengine config for ``spec``: data, schedule, resume, logging, wandb."""
    import msfm.layer  # noqa: F401  (custom_imports only acts in Config.fromfile: register now)
    import training.wandb_backend  # noqa: F401  (registers ProjectWandbVisBackend)
    from training.mmdet_config import sync_bn_to_bn, training_config

    _format_config_once()
    cfg = training_config(spec.variant, data_root, spec.work_dir, classes)
    cfg.resume = True  # continue from work_dir's last checkpoint, if there is one
    register_metric()  # CocoMetric that also keeps the detections beside the record
    cfg.val_evaluator.type = "DetectionsCocoMetric"
    cfg.val_evaluator.detections_file = str(detections_path(spec))
    cfg.launcher = launcher
    if launcher != "none" and not _has_cuda():  # CPU DDP (gloo): no device ids, no SyncBN
        sync_bn_to_bn(cfg.model)
        cfg.model_wrapper_cfg = dict(type="MMDistributedDataParallel", device_ids=None,
                                     broadcast_buffers=False, find_unused_parameters=False)
    for loader in ("train_dataloader", "val_dataloader", "test_dataloader"):
        cfg[loader].num_workers = spec.num_workers
        cfg[loader].persistent_workers = spec.num_workers > 0
    cfg.default_hooks.logger.interval = spec.log_interval
    cfg.env_cfg.dist_cfg = dict(backend="nccl" if _has_cuda() else "gloo")
    backends = [dict(type="LocalVisBackend")]
    if spec.wandb.get("enabled"):
        backends.append(dict(type="ProjectWandbVisBackend", init_kwargs=dict(
            project=spec.wandb["project"], entity=spec.wandb.get("entity"),
            mode=spec.wandb.get("mode", "offline"), group=spec.sweep or "adhoc",
            notes=spec.wandb.get("notes"),
            name=spec.label or " ".join(spec.overrides) or "default", dir=spec.work_dir,
            # nested: mmengine adds its own config (with its own `launcher` etc.) at the top
            config={"run": spec.config, **{f"variant.{k}": v for k, v in spec.names.items()}},
            tags=[spec.key], id=wandb_run_id(spec), resume="allow"),
            # curves against mmengine's iteration, which a resume continues (wandb's own step
            # restarts in every offline segment)
            define_metric_cfg=[dict(name="iter"), dict(name="*", step_metric="iter")]))
    # mmengine keeps one global instance per name: a name per run, or the second variant of a
    # multirun would reuse the first one's (closed) wandb backend
    run_name = f"{spec.key}-{time.strftime('%Y%m%d_%H%M%S')}-{os.getpid()}"
    cfg.visualizer = dict(type="DetLocalVisualizer", vis_backends=backends, name=run_name)
    cfg.experiment_name = run_name
    return cfg


def wandb_run_id(spec: RunSpec) -> str:
    """The variant's wandb run id: its key (which includes the seed), so every resume after a
    requeue, time-out, scancel or kill continues one run. A forced retrain is a new run
    (``<key>-<time>``); the id is kept in the work dir so the retrain's own resumes continue it."""
    import json

    from results.atomic import write_json_atomic

    path = Path(spec.work_dir) / "wandb.json"
    if path.is_file():
        return json.loads(path.read_text())["id"]
    run_id = f"{spec.key}-{time.strftime('%Y%m%d%H%M%S')}" if spec.force else spec.key
    write_json_atomic(path, {"id": run_id})
    return run_id


def train_and_evaluate(spec: RunSpec, launcher: str = "none", progress=None) -> dict:
    """Train ``description.variant`` and return the record fields: metrics, params, gflops, ...

    ``progress``: a ``report(event, **fields)`` callable, fed by ``ProgressHook``."""
    from mmengine.runner import Runner

    from training.checkpoints import repair_last_checkpoint, trust_checkpoints_under
    from training.data import prepare_dataset
    from training.mmdet_config import baseline_model
    from training.model_stats import model_stats
    from training.paired_init import PairedInit

    trust_checkpoints_under(spec.work_root)
    Path(spec.work_dir).mkdir(parents=True, exist_ok=True)
    repair_last_checkpoint(spec.work_dir)
    data_root, classes = prepare_dataset(spec.variant.dataset)
    runner = Runner.from_cfg(runner_config(spec, data_root, classes, launcher))
    runner.register_hook(PairedInit(baseline_model(spec.variant), spec.variant.seed))
    last = LastMetrics()
    runner.register_hook(last)
    runner.register_hook(FiniteLoss())
    pruning = None
    if spec.trial:  # a search trial: report val AP to its study, stop when pruned
        from training.pruning_hook import TrialPruning

        pruning = TrialPruning(spec.trial)
        runner.register_hook(pruning)
    if progress is not None:
        from training.progress_hook import ProgressHook

        runner.register_hook(ProgressHook(progress))
    try:
        runner.train()
        if not last.metrics:  # resumed after the last epoch: evaluate now
            runner.val()
        metrics = last.metrics
    finally:
        _wandb_finish()
    # the evidence every later look reads, made here where the detections and the cores are
    replicates = store_replicates(detections_path(spec)) if runner.rank == 0 else None
    batch = runner.world_size * spec.variant.schedule.images_per_gpu
    params, gflops = model_stats(spec.variant)
    return dict(
        metrics=metrics,
        params=params,
        gflops=round(gflops, 2),
        gpus=runner.world_size if _has_cuda() else 0,
        world_size=runner.world_size,
        batch_size=batch,
        lr=spec.variant.schedule.lr * batch / spec.variant.schedule.base_batch_size,
        lr_note=f"linear scaling: {spec.variant.schedule.lr} x {batch}/{spec.variant.schedule.base_batch_size}",
        wandb_run=last.wandb_run,
        wandb_id=last.wandb_id,
        log_dir=str(runner.log_dir),
        # the val detections (docs/detections.md), relative to results_dir; None if none were written
        detections=detections_path(spec).name if detections_path(spec).exists() else None,
        # the detections' bootstrap replicates (docs/detections.md), relative to results_dir
        replicates=replicates,
        **(pruning.fields(runner) if pruning else {}),
    )


def detections_path(spec: RunSpec) -> Path:
    """Where the variant's val detections are kept: ``<results_dir>/<key>.dets.npz``."""
    return Path(spec.results_dir) / f"{spec.key}{SUFFIX}"


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _wandb_finish() -> None:
    import sys

    if "wandb" in sys.modules and sys.modules["wandb"].run is not None:
        sys.modules["wandb"].finish()
