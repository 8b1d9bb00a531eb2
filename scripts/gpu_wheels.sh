#!/usr/bin/env bash
# Fill gpu_wheels/ (or DIR) with what a network-less GPU machine lacks for the GPU check:
# mmcv's sdist and cp312 wheels of the rest (scripts/gpu_wheels.py says what and why).
# Needs PyPI and Python >= 3.11 here; prints the folder's size (limit 64 MiB).
#   bash scripts/gpu_wheels.sh [DIR] [--python-version 3.12]
set -euo pipefail

cd "$(dirname "$0")/.."
exec "${PYTHON:-python3}" scripts/gpu_wheels.py "$@"
