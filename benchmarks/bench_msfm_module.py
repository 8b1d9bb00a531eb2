"""MSFM alone, forward + backward, at the shapes a 1333x800 image gives stages 2-4 of ResNet-50.

Times the current layer (``msfm.layer.MSFM``) against the reference implementation
(``benchmarks/msfm_reference.py``) in the same run, same weights, interleaved, for the default
variant and MSFM*, and reports the whole backbone's MSFM time (per-block time x blocks per
stage). Runs on the CPU always and on CUDA wherever a GPU is present (CUDA events; float32 and
AMP; torch.compile on and off); it says so plainly when there is none. Also checks, in the
same run, that both implementations agree to 1e-5 (float32). Writes
benchmarks/results/msfm_module.json, after every setting (a run stopped early keeps those done).

    python -m benchmarks.bench_msfm_module [--runs cuda-fp32-eager,cuda-amp-compile,...]
        [--size 1333x800] [--reps 5] [--out FILE]

``scripts/gpu_check.py`` chooses the settings and the output file this way.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

from benchmarks import save

OUT = Path(__file__).parent / "results" / "msfm_module.json"
BATCH = 2  # images per GPU in the paper's set-up
BLOCKS = {2: 4, 3: 6, 4: 3}  # bottlenecks per stage of ResNet-50
PLANES = {2: 128, 3: 256, 4: 512}
RATIOS = {2: 16, 3: 32, 4: 64}
VARIANTS = {  # position -> (norm_group); scales, conv_num, fusion shared per variant
    "default": dict(positions={"after_conv3": 16}, scales=(0.5, 0.7, 1.0), conv_num="1"),
    "msfm_star": dict(positions={"after_conv2": 4, "after_conv3": 32},
                      scales=(0.5, 0.7, 1.0, 1.4, 2.0), conv_num="2"),
}
REPS = int(os.environ.get("MSFM_BENCH_REPS", "5"))


def _pair(stage: int, position: str, norm_group: int, variant: dict, device, channels_last=False):
    """(current, reference) MSFM blocks with identical weights on ``device``."""
    import torch

    from benchmarks.msfm_reference import ReferenceMSFM
    from msfm.layer import MSFM

    c = PLANES[stage] * (4 if position == "after_conv3" else 1)
    kw = dict(ratio=RATIOS[stage], scales=variant["scales"], norm_group=norm_group,
              conv_num=variant["conv_num"], fusion_type="add")
    torch.manual_seed(stage)
    current = MSFM(c, zero_init=False, **kw)
    reference = ReferenceMSFM(c, **kw)
    reference.load_state_dict(current.state_dict())  # same keys, same weights
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    return (current.to(device, memory_format=fmt), reference.to(device, memory_format=fmt)), c


def _timer(device):
    """A function timing ``fn`` once in seconds: CUDA events on a GPU, perf_counter on the CPU."""
    import torch

    if device.type != "cuda":
        def cpu(fn):
            t = time.perf_counter()
            fn()
            return time.perf_counter() - t
        return cpu

    def cuda(fn):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        return start.elapsed_time(end) / 1000
    return cuda


def _fwd_bwd(module, x, amp: bool, device):
    import torch

    def run():
        with torch.autocast(device.type, enabled=amp):
            y = module(x)
        y.float().square().mean().backward()
    return run


def stages(width: int, height: int) -> tuple:
    """(stage, H, W, blocks) of stages 2-4 for a ``width`` x ``height`` input padded to a
    multiple of 32 (strides 8, 16, 32): 1333x800 gives (2, 100, 168, 4), ..."""
    pad = lambda n: math.ceil(n / 32) * 32  # noqa: E731
    return tuple((s, pad(height) // 2 ** (s + 1), pad(width) // 2 ** (s + 1), BLOCKS[s])
                 for s in BLOCKS)


def label(device: str, amp: bool, compiled: bool, channels_last: bool) -> str:
    """A setting's name in the results, e.g. ``cuda-amp-compile-channels_last``."""
    return (f"{device}-{'amp' if amp else 'fp32'}-{'compile' if compiled else 'eager'}"
            f"{'-channels_last' if channels_last else ''}")


def setting(name: str) -> tuple[str, bool, bool, bool]:
    """Parse :func:`label`'s output back into (device, amp, compiled, channels_last)."""
    device, precision, mode, *rest = name.split("-")
    if device not in ("cpu", "cuda") or precision not in ("fp32", "amp") or \
            mode not in ("eager", "compile") or rest not in ([], ["channels_last"]):
        raise ValueError(f"--runs: {name!r} is not DEVICE-fp32|amp-eager|compile[-channels_last]")
    return device, precision == "amp", mode == "compile", bool(rest)


def measure(device_name: str, amp: bool, compiled: bool, channels_last: bool,
            shapes: tuple = stages(1333, 800), reps: int = REPS) -> dict:
    """Median fwd+bwd seconds per backbone (all MSFM blocks) for both implementations."""
    import torch

    device = torch.device(device_name)
    timer = _timer(device)
    out = {}
    for name, variant in VARIANTS.items():
        totals = {"current": 0.0, "reference": 0.0}
        max_diff = 0.0
        for stage, h, w, blocks in shapes:
            for position, gn in variant["positions"].items():
                (cur, ref), c = _pair(stage, position, gn, variant, device, channels_last)
                x = torch.randn(BATCH, c, h, w, device=device)
                if channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)
                with torch.no_grad():
                    max_diff = max(max_diff, (cur(x) - ref(x)).abs().max().item())
                mods = {"current": cur, "reference": ref}
                if compiled:
                    mods = {k: torch.compile(m) for k, m in mods.items()}
                runs = {k: _fwd_bwd(m, x.clone().requires_grad_(), amp, device) for k, m in mods.items()}
                times = {k: [] for k in runs}
                for i in range(reps + 2):  # interleaved; two warm-up rounds (compile, caches)
                    for k, run in runs.items():
                        t = timer(run)
                        if i >= 2:
                            times[k].append(t)
                for k, ts in times.items():
                    totals[k] += sorted(ts)[len(ts) // 2] * blocks
        out[name] = dict(
            current_s=round(totals["current"], 4), reference_s=round(totals["reference"], 4),
            speedup=round(totals["reference"] / totals["current"], 3),
            max_abs_diff_fp32=max_diff if not amp else None,
        )
    return out


def default_runs() -> list[str]:
    """Every setting this machine supports: the CPU (CUDA too wherever a GPU is present)."""
    import torch

    runs = [("cpu", False, False, False), ("cpu", False, False, True)]
    if os.environ.get("MSFM_BENCH_COMPILE") == "1":  # inductor on 2 CPU cores: minutes to build
        runs.append(("cpu", False, True, False))
    if torch.cuda.is_available():
        runs += [("cuda", amp, comp, cl) for amp in (False, True) for comp in (False, True)
                 for cl in (False, True)]
    return [label(*r) for r in runs]


def _args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_msfm_module")
    p.add_argument("--runs", help="comma-separated settings (default: all this machine has)")
    p.add_argument("--size", default="1333x800", help="input W x H (default: the paper's)")
    p.add_argument("--reps", type=int, default=REPS, help="timed repetitions per block")
    p.add_argument("--out", type=Path, default=OUT)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    """Measure the chosen settings (default: every one this machine supports), writing the
    figures after each; a setting that fails is recorded and the others still run."""
    import torch

    args = _args(argv or [])
    width, height = (int(n) for n in args.size.split("x"))
    runs = args.runs.split(",") if args.runs else default_runs()
    settings = [setting(r) for r in runs]  # a bad name fails before anything is measured
    cuda = torch.cuda.is_available()
    result = dict(
        input=f"{BATCH} images at {width}x{height}; stages 2-4 of ResNet-50, every bottleneck",
        threads=torch.get_num_threads(), torch=torch.__version__, reps=args.reps,
        gpu=torch.cuda.get_device_name(0) if cuda else None,
        note=None if cuda else
        "no GPU on this machine: CUDA figures not measured (run this benchmark on a GPU node)",
        runs={},
    )
    for name, (device, amp, compiled, cl) in zip(runs, settings):
        try:
            result["runs"][name] = measure(device, amp, compiled, cl, stages(width, height), args.reps)
        except Exception as e:  # noqa: BLE001 - one setting failing must not hide the rest
            result["runs"][name] = dict(error=f"{type(e).__name__}: {e}")
        print(name, result["runs"][name], flush=True)
        save(args.out, result, echo=False)
    return save(args.out, result)


if __name__ == "__main__":
    main(sys.argv[1:])
