"""MSFM train-step overhead of the default variant vs the baseline, next to its FLOPs overhead.

Real Faster R-CNN R50-FPN train steps (forward + backward + SGD) at a small input, on the CPU
and, wherever a GPU is present, on CUDA (timed with CUDA events); both models are measured in
the same run, interleaved, so the ratio is robust to machine load. Goal: time overhead <= 1.2 x
FLOPs overhead. Writes benchmarks/results/msfm_overhead.json.

    python -m benchmarks.bench_msfm_overhead [--devices cpu,cuda] [--steps 6] [--warmup 2] [--out FILE]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks import save
from benchmarks.bench_msfm_module import _timer

SIZE, BATCH, WARMUP, STEPS = 320, 2, 2, 6
OUT = Path(__file__).parent / "results" / "msfm_overhead.json"


def _variant(enabled: bool):
    from description.msfm_spec import MSFMSpec
    from description.variant import ScheduleConf, Variant

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


def measure(device_name: str, flops: dict, warmup: int = WARMUP, steps: int = STEPS) -> dict:
    """Median train-step seconds of both models on ``device_name`` and the overheads."""
    import torch

    from training.model_stats import build_model

    torch.manual_seed(0)
    device = torch.device(device_name)
    timer = _timer(device)
    models = {name: build_model(_variant(name == "msfm"), device="cpu").to(device).train()
              for name in ("baseline", "msfm")}
    step_fns = {name: _step_fn(m) for name, m in models.items()}
    times = {name: [] for name in models}
    for i in range(warmup + steps):
        for name, step in step_fns.items():
            t = timer(step)
            if i >= warmup:
                times[name].append(t)
    med = {n: sorted(t)[len(t) // 2] for n, t in times.items()}
    time_overhead = med["msfm"] / med["baseline"] - 1
    flops_overhead = flops["msfm"] / flops["baseline"] - 1
    return dict(
        step_s=med, time_overhead=round(time_overhead, 4),
        ratio_time_to_flops_overhead=round(time_overhead / flops_overhead, 3),
        meets_goal=time_overhead <= 1.2 * flops_overhead,
    )


def _args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_msfm_overhead")
    p.add_argument("--devices", help="comma-separated (default: cpu, and cuda wherever present)")
    p.add_argument("--steps", type=int, default=STEPS, help="timed train steps per model")
    p.add_argument("--warmup", type=int, default=WARMUP, help="untimed steps first")
    p.add_argument("--out", type=Path, default=OUT)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    """Measure on the chosen devices (default: every one this machine has), write the figures."""
    import torch

    from training.model_stats import build_model, count_gflops

    args = _args(argv or [])
    flops = {name: count_gflops(build_model(_variant(name == "msfm")), SIZE, SIZE)
             for name in ("baseline", "msfm")}
    devices = args.devices.split(",") if args.devices else \
        ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    result = dict(
        input=f"{BATCH}x3x{SIZE}x{SIZE}", threads=torch.get_num_threads(),
        gpu=torch.cuda.get_device_name(0) if "cuda" in devices else None,
        warmup=args.warmup, steps=args.steps,
        gflops_backbone_neck_rpn=flops,
        flops_overhead=round(flops["msfm"] / flops["baseline"] - 1, 4),
        goal="time overhead <= 1.2 x FLOPs overhead",
        note=None if torch.cuda.is_available() else "no GPU on this machine: CUDA not measured",
        devices={d: measure(d, flops, args.warmup, args.steps) for d in devices},
    )
    return save(args.out, result)


if __name__ == "__main__":
    main(sys.argv[1:])
