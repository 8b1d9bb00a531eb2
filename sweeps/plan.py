"""``python -m sweeps.plan +sweep=<name> [plan.out=plan.json]``: every grid point of a sweep
with its exact parameter count, GFLOPs and estimated GPU-hours, validated before any output.

Expands the grid exactly as the multirun will (``sweeps.grid.expand``) and builds each
variant's real mmdet model on the meta device.
"""
from __future__ import annotations

import sys
from dataclasses import replace
from typing import Sequence

from description.variant import Variant
from sweeps import schema  # noqa: F401  (registers the typed schema)
from sweeps.naming import row_labels
from sweeps.variants import compose_jobs, names_of, one_line, variant_of


def gpu_hours(gflops: float, variant: Variant, effective_tflops: float) -> float:
    """Training cost estimate: 3 x forward FLOPs per image (forward + backward) over all
    epochs, at ``effective_tflops`` per GPU. Multiply-adds are counted as 2 FLOPs."""
    images = variant.dataset.num_train_images * variant.schedule.epochs
    return 3 * 2 * gflops * 1e9 * images / (effective_tflops * 1e12) / 3600


def planned(overrides: Sequence[str]) -> tuple[list[dict], object, object]:
    """One row per run to launch (overrides, names, key, params, gflops, gpu_hours), the
    ``plan`` config node, and with ``resolve=`` this round (``sweeps.replicate.RoundPlan``,
    else None): then the rows are exactly the runs the next ``sweeps.run`` launches."""
    from sweeps import plan_stats

    grid = compose_jobs(overrides)
    plan_cfg = grid[0][1].plan
    measured_before = len(plan_stats.MEASURED)
    stats: dict = {}

    def cost(variant) -> tuple:
        key = replace(variant, seed=0).key()  # what a run costs does not depend on its seed
        if key not in stats:  # e.g. one baseline shared by several rows
            if plan_cfg.full_build:  # the reference: build and count the whole detector
                from training.model_stats import model_stats

                stats[key] = model_stats(variant, *plan_cfg.input_size)
            else:
                stats[key] = plan_stats.planned_stats(variant, *plan_cfg.input_size)
        params, gflops = stats[key]
        return params, gflops, gpu_hours(gflops, variant, plan_cfg.effective_tflops)

    this_round = None
    composed = grid
    if grid[0][1].get("resolve") is not None:
        from sweeps.replicate import plan_round

        this_round = plan_round(grid, gpu_hours=lambda v: cost(v)[2])
        composed = this_round.composed
    sweep_args = set(overrides)
    rows = []
    for job, cfg in composed:
        variant = variant_of(cfg)
        params, gflops, hours = cost(variant)
        rows.append(dict(
            overrides=[o for o in job if o not in sweep_args], key=variant.key(),
            variant=names_of(cfg), seed=variant.seed, params=params, gflops=round(gflops, 2),
            gpu_hours=round(hours, 1),
        ))
    if len(plan_stats.MEASURED) > measured_before:  # torch and mmdet are loaded: price every
        # detector now (~1 s each), so no later plan needs them
        print(f"first plan of these detectors here: measuring every detector in conf/detector "
              f"once (cache: {plan_stats.cache_dir()})", file=sys.stderr, flush=True)
        plan_stats.warm_cache(variant_of(grid[0][1]), detector_options(), *plan_cfg.input_size)
    return rows, plan_cfg, this_round


def detector_options() -> list[dict]:
    """Every detector in conf/detector, as DetectorConf fields."""
    from dataclasses import fields

    from omegaconf import OmegaConf

    from description.variant import DetectorConf
    from sweeps.variants import CONF_DIR, group_options

    names = {f.name for f in fields(DetectorConf)}
    options = (OmegaConf.to_container(OmegaConf.load(CONF_DIR / "detector" / f"{o}.yaml"))
               for o in group_options("detector"))
    return [{k: v for k, v in o.items() if k in names} for o in options]


def print_table(rows: list[dict], title: str) -> None:
    """Render the plan with rich."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col in ("#", "variant", "params (M)", "GFLOPs", "GPU-h"):
        table.add_column(col, justify="left" if col == "variant" else "right")
    labels = row_labels([r["variant"] for r in rows], [r["seed"] for r in rows])
    for i, (r, label) in enumerate(zip(rows, labels)):
        table.add_row(str(i), label, f"{r['params'] / 1e6:.2f}", f"{r['gflops']:.1f}",
                      f"{r['gpu_hours']:.1f}")
    Console().print(table)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the process exit code."""
    overrides = list(sys.argv[1:] if argv is None else argv)
    try:
        rows, plan_cfg, this_round = planned(overrides)
    except ValueError as e:
        print(f"error: {one_line(e)}", file=sys.stderr)
        return 2
    except Exception as e:  # noqa: BLE001 - a model that passed the gate but mmdet refuses
        print(f"error: {type(e).__name__}: {one_line(e)}", file=sys.stderr)
        return 1
    if this_round is not None:
        from sweeps.replicate import print_round

        print_round(this_round)
    print_table(rows, f"plan: {' '.join(overrides) or 'defaults'} ({len(rows)} "
                      f"{'runs this round' if this_round else 'variants'})")
    print(f"GFLOPs: backbone+neck+dense head at {plan_cfg.input_size[0]}x{plan_cfg.input_size[1]} "
          f"(RoI heads excluded); GPU-h at {plan_cfg.effective_tflops} TFLOP/s effective per GPU, "
          "3x forward cost per training image.")
    if plan_cfg.out:
        from results.atomic import write_json_atomic

        write_json_atomic(plan_cfg.out, rows)
        print(f"wrote {plan_cfg.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
