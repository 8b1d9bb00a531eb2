"""MSFM train-step overhead of the default variant vs the baseline, next to its FLOPs overhead.

Real Faster R-CNN R50-FPN train steps (forward + backward + SGD) at a small input, on the CPU
and, wherever a GPU is present, on CUDA (timed with CUDA events); both models are measured in
the same run, interleaved, so the ratio is robust to machine load. Goal: time overhead <= 1.2 x
FLOPs overhead. Writes benchmarks/results/msfm_overhead.json.
"""
from __future__ import annotations

import time
from pathlib import Path

from benchmarks import save
from benchmarks.bench_msfm_module import _timer

SIZE, BATCH, WARMUP, STEPS = 320, 2, 2, 6
OUT = Path(__file__).parent / "results" / "msfm_overhead.json"


def _variant(enabled: bool):
    from spec.msfm import MSFMSpec
    from spec.variant import ScheduleConf, Variant

    return Variant(msfm=MSFMSpec(enabled=enabled), schedule=ScheduleConf(pretrained=False))


def _step_fn(model):
    import torch
    from mmdet.testing import demo_mm_inputs

    inputs = demo_mm_inputs(BATCH, [[3, SIZE, SIZE]] * BATCH, num_items=[3] * BATCH)
    data = model.data_preprocessor(inputs, True)
    optim = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)

    def step() -> None:
        losses = model(**data, mode="loss")
        loss, _ = model.parse_losses(losses)
        optim.zero_grad()
        loss.backward()
        optim.step()
    return step


def measure(device_name: str, flops: dict) -> dict:
    """Median train-step seconds of both models on ``device_name`` and the overheads."""
    import torch

    from training.model_stats import build_model

    torch.manual_seed(0)
    device = torch.device(device_name)
    timer = _timer(device)
    models = {name: build_model(_variant(name == "msfm"), device="cpu").to(device).train()
              for name in ("baseline", "msfm")}
    steps = {name: _step_fn(m) for name, m in models.items()}
    times = {name: [] for name in models}
    for i in range(WARMUP + STEPS):
        for name, step in steps.items():
            t = timer(step)
            if i >= WARMUP:
                times[name].append(t)
    med = {n: sorted(t)[len(t) // 2] for n, t in times.items()}
    time_overhead = med["msfm"] / med["baseline"] - 1
    flops_overhead = flops["msfm"] / flops["baseline"] - 1
    return dict(
        step_s=med, time_overhead=round(time_overhead, 4),
        ratio_time_to_flops_overhead=round(time_overhead / flops_overhead, 3),
        meets_goal=time_overhead <= 1.2 * flops_overhead,
    )


def main() -> dict:
    """Measure on every device this machine has and write the overhead figures."""
    import torch

    from training.model_stats import build_model, count_gflops

    flops = {name: count_gflops(build_model(_variant(name == "msfm")), SIZE, SIZE)
             for name in ("baseline", "msfm")}
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    result = dict(
        input=f"{BATCH}x3x{SIZE}x{SIZE}", threads=torch.get_num_threads(),
        gflops_backbone_neck_rpn=flops,
        flops_overhead=round(flops["msfm"] / flops["baseline"] - 1, 4),
        goal="time overhead <= 1.2 x FLOPs overhead",
        note=None if torch.cuda.is_available() else "no GPU on this machine: CUDA not measured",
        devices={d: measure(d, flops) for d in devices},
    )
    return save(OUT, result)


if __name__ == "__main__":
    main()
