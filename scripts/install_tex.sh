#!/usr/bin/env bash
# Install the minimal TeX toolchain the analysis tables need: pdflatex with
# booktabs (texlive-latex-recommended), pdftoppm (poppler-utils) to render the
# compiled table to PNG and pdftotext (poppler-utils) to read its text back in
# the tests. Idempotent: does nothing when the tools and booktabs.sty are
# already present. Debian/Ubuntu only; run as root (or sudo).
set -euo pipefail

have_all() {
    command -v pdflatex >/dev/null 2>&1 &&
        command -v pdftoppm >/dev/null 2>&1 &&
        command -v pdftotext >/dev/null 2>&1 &&
        command -v kpsewhich >/dev/null 2>&1 &&
        [ -n "$(kpsewhich booktabs.sty 2>/dev/null)" ]
}

if have_all; then
    echo ">> pdflatex, booktabs, pdftoppm and pdftotext already installed"
    exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# --no-install-recommends keeps this to ~150 MB instead of pulling texlive docs.
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
    texlive-latex-base texlive-latex-recommended poppler-utils >/dev/null

have_all || { echo "install_tex.sh: pdflatex/booktabs/pdftoppm/pdftotext still missing" >&2; exit 1; }
echo ">> installed pdflatex, booktabs, pdftoppm and pdftotext"
