#!/usr/bin/env bash
# Create .venv with the pinned stack, building mmcv 2.1.0 (with ops) only once.
#
# The mmcv wheel is cached outside the repo in $MSFM_WHEELS (default
# ~/.cache/msfm/wheels): the first build takes ~12 min on 2 cores, later installs
# reuse the wheel. CUDA users: see README ("Installing on a CUDA machine").
set -euo pipefail

cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
WHEELS="${MSFM_WHEELS:-$HOME/.cache/msfm/wheels}"
TORCH="${MSFM_TORCH:-torch==2.13.0}"
PY="${PYTHON:-python3}"
mkdir -p "$WHEELS"

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP=("$VENV/bin/pip" install --disable-pip-version-check --find-links "$WHEELS")

# torch first and exact: an open-ended requirement would pull a multi-GB CUDA build.
# shellcheck disable=SC2086  # MSFM_TORCH may carry pip options (--index-url ... for CUDA)
"${PIP[@]}" $TORCH
# mmcv 2.1.0's setup.py needs pkg_resources (setuptools<70); torch only warns about it.
# The install of the project below then brings setuptools to pyproject.toml's pin.
"${PIP[@]}" "setuptools<70" "wheel<0.45"  # later wheels leave bdist_wheel to setuptools>=70.1

if ! ls "$WHEELS"/mmcv-2.1.0-*.whl >/dev/null 2>&1; then
    echo ">> building mmcv 2.1.0 with ops into $WHEELS (about 12 minutes on 2 cores)"
    MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
        "$VENV/bin/pip" wheel --disable-pip-version-check --no-build-isolation --no-deps \
        -w "$WHEELS" mmcv==2.1.0
fi

"${PIP[@]}" -e ".[dev]" --config-settings editable_mode=strict

"$VENV/bin/python" - <<'PY'
import torch
from mmcv.ops import RoIAlign, nms

boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], dtype=torch.float)
_, keep = nms(boxes, torch.tensor([0.9, 0.8, 0.7]), iou_threshold=0.5)
assert keep.tolist() == [0, 2], keep
out = RoIAlign((2, 2), 1.0, 0)(torch.rand(1, 1, 8, 8), torch.tensor([[0, 0, 0, 4, 4.0]]))
assert out.shape == (1, 1, 2, 2)
print(">> mmcv ops OK (nms, RoIAlign on CPU)")

import warnings

from mmengine.utils import get_installed_path

with warnings.catch_warnings():  # setuptools 80 warns that pkg_resources is deprecated
    warnings.simplefilter("ignore")
    get_installed_path("mmdet")  # how mmengine resolves `mmdet::` configs: needs pkg_resources
print(">> mmdet:: configs resolve (pkg_resources present)")
PY
