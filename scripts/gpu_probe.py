"""Two probes the GPU check (scripts/gpu_check.py) runs in the interpreter it checks:

    python scripts/gpu_probe.py env FILE           # Python, torch, CUDA, the GPU, driver, nvcc
    python scripts/gpu_probe.py ops FILE DEVICE    # mmcv's nms and RoIAlign run on DEVICE

Each writes its findings as JSON to FILE (before any assertion, so a failure keeps them).
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path


def _output(*cmd: str) -> str | None:
    """A tool's stdout, stripped; None if it is missing or fails."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def env() -> dict:
    """The interpreter, the device it sees, the driver and ``nvcc``; ``cuda_headers``: the
    include folders of the CUDA libraries pip installed with torch (nvidia/cu13/include)."""
    import torch

    cuda = torch.cuda.is_available()
    nvcc = _output("nvcc", "--version") or ""
    return dict(python=platform.python_version(), torch=torch.__version__,
                torch_cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version(),
                cuda_available=cuda, gpus=torch.cuda.device_count(),
                gpu=torch.cuda.get_device_name(0) if cuda else None,
                capability=".".join(map(str, torch.cuda.get_device_capability(0))) if cuda else None,
                nvidia_smi=_output("nvidia-smi", "--query-gpu=name,driver_version,memory.total",
                                   "--format=csv,noheader"),
                nvcc=next((ln for ln in nvcc.splitlines() if "release" in ln), None),
                cuda_headers=[str(p) for p in sorted(
                    Path(torch.__file__).parents[1].glob("nvidia/*/include"))],
                cpus=os.cpu_count())


def ops(device: str) -> dict:
    """nms on ``device``, and RoIAlign there against mmcv's CPU kernel; mmcv's build details."""
    import mmcv
    import torch
    from mmcv.ops import RoIAlign, get_compiler_version, get_compiling_cuda_version, nms

    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30.]], device=device)
    _, keep = nms(boxes, torch.tensor([0.9, 0.8, 0.7], device=device), iou_threshold=0.5)
    feat, rois = torch.rand(1, 2, 8, 8), torch.tensor([[0, 0, 0, 4, 4.]])
    ref = RoIAlign((2, 2), 1.0, 0)(feat, rois)
    out = RoIAlign((2, 2), 1.0, 0)(feat.to(device), rois.to(device))
    return dict(mmcv=mmcv.__version__, compiler=get_compiler_version(),
                compiled_cuda=get_compiling_cuda_version(), device=device,
                nms_keep=keep.tolist(), roi_align_device=out.device.type,
                roi_align_max_diff_vs_cpu=(out.cpu() - ref).abs().max().item())


def main(argv: list[str]) -> None:
    """Run one probe, write its JSON, then check what ``ops`` found."""
    what, path, *rest = argv
    result = env() if what == "env" else ops(*rest)
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
    if what == "ops":
        assert result["nms_keep"] == [0, 2], result
        assert result["roi_align_device"] == rest[0].split(":")[0], result
        assert result["roi_align_max_diff_vs_cpu"] < 1e-5, result


if __name__ == "__main__":
    main(sys.argv[1:])
