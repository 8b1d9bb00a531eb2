#!/usr/bin/env bash
# The GPU check: install the carried wheels (gpu_wheels/), build mmcv's CUDA ops, benchmark
# MSFM on CUDA, train one smoke variant; JSON results under OUT (scripts/gpu_check.py says how).
#   bash scripts/gpu_check.sh OUT [--budget-min 9] [--cpu-only] [--wheels DIR] [-- OVERRIDES]
# Runs with `python3` (PYTHON= to choose): the GPU machine's, with torch; stdlib only itself.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
if [[ " $* " == *" --cpu-only "* && -z "${PYTHON:-}" ]]; then
    make -s -C "$root" install  # --cpu-only runs on .venv: install what is missing first
fi
exec "${PYTHON:-python3}" "$root/scripts/gpu_check.py" "$@"
