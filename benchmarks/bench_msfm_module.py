"""MSFM alone, forward + backward, at the shapes a 1333x800 image gives stages 2-4 of ResNet-50.

Times the current layer (``msfm.layer.MSFM``) against the reference implementation
(``benchmarks/msfm_reference.py``) in the same run, same weights, interleaved, for the default
variant and MSFM*, and reports the whole backbone's MSFM time (per-block time x blocks per
stage). Runs on the CPU always and on CUDA wherever a GPU is present (CUDA events; float32 and
AMP; torch.compile on and off); it says so plainly when there is none. Also checks, in the
same run, that both implementations agree to 1e-5 (float32). Writes
benchmarks/results/msfm_module.json.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from benchmarks import save

OUT = Path(__file__).parent / "results" / "msfm_module.json"
BATCH = 2  # images per GPU in the paper's set-up
# (stage, H, W, blocks) for a 1333x800 input padded to 1344x800 (strides 8, 16, 32)
STAGES = ((2, 100, 168, 4), (3, 50, 84, 6), (4, 25, 42, 3))
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


def measure(device_name: str, amp: bool, compiled: bool, channels_last: bool) -> dict:
    """Median fwd+bwd seconds per backbone (all MSFM blocks) for both implementations."""
    import torch

    device = torch.device(device_name)
    timer = _timer(device)
    out = {}
    for name, variant in VARIANTS.items():
        totals = {"current": 0.0, "reference": 0.0}
        max_diff = 0.0
        for stage, h, w, blocks in STAGES:
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
                for i in range(REPS + 2):  # interleaved; two warm-up rounds (compile, caches)
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


def main() -> dict:
    """Measure every setting this machine supports and write the figures."""
    import torch

    settings = [("cpu", False, False, False), ("cpu", False, False, True)]
    if os.environ.get("MSFM_BENCH_COMPILE") == "1":  # inductor on 2 CPU cores: minutes to build
        settings.append(("cpu", False, True, False))
    if torch.cuda.is_available():
        settings += [("cuda", amp, comp, cl) for amp in (False, True) for comp in (False, True)
                     for cl in (False, True)]
    result = dict(
        input=f"{BATCH} images at 1333x800; stages 2-4 of ResNet-50, every bottleneck",
        threads=torch.get_num_threads(), torch=torch.__version__, reps=REPS,
        gpu=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        note=None if torch.cuda.is_available() else
        "no GPU on this machine: CUDA figures not measured (run this benchmark on a GPU node)",
        runs={},
    )
    for device, amp, compiled, cl in settings:
        label = f"{device}-{'amp' if amp else 'fp32'}-{'compile' if compiled else 'eager'}" \
                f"{'-channels_last' if cl else ''}"
        try:
            result["runs"][label] = measure(device, amp, compiled, cl)
        except Exception as e:  # noqa: BLE001 - one setting failing must not hide the rest
            result["runs"][label] = dict(error=f"{type(e).__name__}: {e}")
        print(label, result["runs"][label], flush=True)
    return save(OUT, result)


if __name__ == "__main__":
    main()
