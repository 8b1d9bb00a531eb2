#!/usr/bin/env bash
# The GPU check: install the carried wheels (gpu_wheels/), build mmcv's CUDA ops, benchmark
# MSFM on CUDA, train one smoke variant; JSON results under OUT (scripts/gpu_check.py says how).
#   bash scripts/gpu_check.sh OUT [--budget-min 9] [--cpu-only] [--wheels DIR] [-- OVERRIDES]
# Runs with `python3` (PYTHON= to choose): the GPU machine's, with torch; stdlib only itself.
set -euo pipefail

exec "${PYTHON:-python3}" "$(dirname "$0")/gpu_check.py" "$@"
