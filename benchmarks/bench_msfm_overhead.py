"""MSFM train-step overhead of the default variant vs the baseline, next to its FLOPs overhead.

Real Faster R-CNN R50-FPN train steps (forward + backward + SGD) on CPU at a small input;
both models are measured in the same run, interleaved, so the ratio is robust to machine load.
Goal: time overhead <= 1.2 x FLOPs overhead. Writes benchmarks/results/msfm_overhead.json.
"""
from __future__ import annotations

import time
from pathlib import Path
from benchmarks import save

SIZE, BATCH, WARMUP, STEPS = 320, 2, 2, 6
OUT = Path(__file__).parent / "results" / "msfm_overhead.json"


def _variant(enabled: bool):
    from spec.msfm import MSFMSpec
    from spec.variant import ScheduleConf, Variant

    return Variant(msfm=MSFMSpec(enabled=enabled), schedule=ScheduleConf(pretrained=False))


def _step_fn(model):
    import torch
    from mmdet.testing import demo_mm_inputs

    data = model.data_preprocessor(demo_mm_inputs(BATCH, [[3, SIZE, SIZE]] * BATCH, num_items=[3] * BATCH), True)
    optim = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)

    def step() -> None:
        losses = model(**data, mode="loss")
        loss, _ = model.parse_losses(losses)
        optim.zero_grad()
        loss.backward()
        optim.step()
    return step


def main() -> dict:
    """Measure and write the overhead figures."""
    import torch

    from training.model_stats import build_model, count_gflops

    torch.manual_seed(0)
    models = {name: build_model(_variant(name == "msfm"), device="cpu").train()
              for name in ("baseline", "msfm")}
    flops = {name: count_gflops(build_model(_variant(name == "msfm")), SIZE, SIZE)
             for name in models}
    steps = {name: _step_fn(m) for name, m in models.items()}
    times = {name: [] for name in models}
    for i in range(WARMUP + STEPS):
        for name, step in steps.items():
            t = time.perf_counter()
            step()
            if i >= WARMUP:
                times[name].append(time.perf_counter() - t)
    med = {n: sorted(t)[len(t) // 2] for n, t in times.items()}
    time_overhead = med["msfm"] / med["baseline"] - 1
    flops_overhead = flops["msfm"] / flops["baseline"] - 1
    result = dict(
        input=f"{BATCH}x3x{SIZE}x{SIZE}", device="cpu", threads=torch.get_num_threads(),
        step_s=med, gflops_backbone_neck_rpn=flops,
        time_overhead=round(time_overhead, 4), flops_overhead=round(flops_overhead, 4),
        ratio_time_to_flops_overhead=round(time_overhead / flops_overhead, 3),
        goal="time overhead <= 1.2 x FLOPs overhead",
        meets_goal=time_overhead <= 1.2 * flops_overhead,
    )
    return save(OUT, result)


if __name__ == "__main__":
    main()
