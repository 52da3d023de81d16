# seqdesign — one place for the commands a developer or a CI machine runs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.install-stamp
# torch is pinned here (not in pyproject) so a fresh machine takes the CPU build served locally
TORCH  := torch==2.13.0

.PHONY: install test test-slow lint demo benchmarks bench bench-venv clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[dev,rna]'
	touch $(STAMP)

test: install
	$(BIN)/python -m pytest

# the slow tests include a local Ray instance: the ray extra is installed for them
test-slow: install
	$(BIN)/python -m pip install --quiet -e '.[dev,rna,ray]'
	$(BIN)/python -m pytest -m slow

lint: install
	$(BIN)/ruff check seqdesign cli oracles tests
	$(BIN)/ruff format --check seqdesign cli oracles tests
	$(BIN)/mypy seqdesign cli oracles

demo: install
	rm -rf demo-out
	$(BIN)/seqdesign simulate --oracle tfbind8-SIX6_REF_R1 --rounds 5 -n 100 --init 200 \
		--seed 0 --out-dir demo-out

# every quality preset of BENCHMARKS.md, 3 seeds each; regenerates docs/benchmarks.md (long:
# about an hour on 2 cores). One preset: make benchmarks BENCH_PRESETS=tf-small
BENCH_PRESETS ?= tfbind8 tf-small amp rna-14 rna-50 ehrlich tfpair amp-hydrophobicity rnapair
BENCH_SEEDS   ?= 3

benchmarks: install
	for p in $(BENCH_PRESETS); do \
		$(BIN)/seqdesign benchmark --task $$p --seeds $(BENCH_SEEDS) --out-dir bench-out/$$p \
			|| exit 1; \
	done
	mkdir -p docs
	$(BIN)/python benchmarks/write_docs.py bench-out $(BENCH_PRESETS) > docs/benchmarks.md.tmp
	mv docs/benchmarks.md.tmp docs/benchmarks.md
# torchgfn (the reference of the throughput benchmark) lives in its own venv: its pins are its own
TGFN := .venv-torchgfn
bench-venv: $(TGFN)/bin/python

$(TGFN)/bin/python:
	$(PYTHON) -m venv $(TGFN)
	$(TGFN)/bin/python -m pip install --quiet $(TORCH) torchgfn

# the throughput ratio against torchgfn, then the round scaling table (hours on 2 cores; pass
# SCALING_ARGS="--lengths 8 --sizes 1000" for a subset); both regenerate docs/performance.md;
# then the 3-objective Pareto speedups (printed; docs/performance.md quotes them)
bench: install bench-venv
	mkdir -p bench-out
	$(BIN)/python benchmarks/gfn_throughput.py --json bench-out/gfn.json
	$(BIN)/python benchmarks/scaling.py --gfn-json bench-out/gfn.json $(SCALING_ARGS)
	$(BIN)/python benchmarks/pareto_speed.py

clean:
	rm -rf $(VENV) $(TGFN) demo-out bench-out .pytest_cache .ruff_cache .mypy_cache
