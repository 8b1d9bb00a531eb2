#!/usr/bin/env bash
# What the full test suite needs besides Python: pdflatex + pdftoppm (analysis compile tests)
# and a single-node SLURM cluster on localhost (tests marked `slurm`). Idempotent; needs root
# and Debian's apt. Without root it says what it skips, and those tests skip with a reason.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo ">> not root on Debian: skipping pdflatex and the local SLURM cluster (their tests skip)"
    exit 0
fi
bash scripts/install_tex.sh
bash scripts/slurm/cluster.sh install
bash scripts/slurm/cluster.sh start
