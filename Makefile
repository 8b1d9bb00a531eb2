# Two commands do all set-up on a fresh machine (each installs what is missing first):
#   make demo   - the default sweep (+sweep=scales) on the embedded synthetic dataset
#   make test   - the test suite, after installing pdflatex and starting a local SLURM cluster
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install services demo plan test test-fast bench clean

$(STAMP): pyproject.toml scripts/setup_env.sh
	bash scripts/setup_env.sh
	touch $(STAMP)

install: $(STAMP)

services:
	bash scripts/services.sh

demo: $(STAMP)
	$(PY) -m sweeps.plan +sweep=scales
	$(PY) -m sweeps.run +sweep=scales
	$(PY) -m sweeps.status +sweep=scales
	$(PY) -m analysis.tables results_dir=outputs/results +sweep=scales

plan: $(STAMP)
	$(PY) -m sweeps.plan +sweep=scales

test: $(STAMP) services
	$(PY) -m pytest tests

test-fast: $(STAMP)
	$(PY) -m pytest tests -m "not slow and not slurm"

bench: $(STAMP)
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) outputs
