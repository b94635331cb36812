# Data: the models as plain Hugging Face folders, the seeded splits, and the candidate responses
# that the gold judge labels.


rule prepare_model:
    output:
        directory("results/models/{model}"),
    log:
        "logs/prepare_model/{model}.log",
    benchmark:
        "benchmarks/prepare_model/{model}.tsv"
    conda:
        CONDA_ENV
    threads: 2
    resources:
        gpu=resource("prepare_model", "gpu", 0),
        mem_mb=resource("prepare_model", "mem_mb", 8000),
        runtime=resource("prepare_model", "runtime", 60),
    params:
        spec=lambda wc: model_spec(wc.model),
    script:
        "../workflow_scripts/prepare_model.py"


rule make_splits:
    input:
        source=(
            [config["data"]["path"]] if config["data"]["source"] == "embedded" else []
        ),
        token_counter=token_counter_input(),
    output:
        splits=expand("results/data/splits/{split}.jsonl", split=ALL_SPLITS),
        summary="results/data/splits/summary.json",
    log:
        "logs/make_splits.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=resource("make_splits", "gpu", 0),
        mem_mb=resource("make_splits", "mem_mb", 4000),
        runtime=resource("make_splits", "runtime", 30),
    params:
        data=config["data"],
        seed=config["seed"],
    script:
        "../workflow_scripts/make_splits.py"


rule generate_candidates:
    input:
        split="results/data/splits/{split}.jsonl",
        model=lambda wc: (
            [model_dir(config["candidates"]["model"])]
            if config["candidates"]["source"] == "model"
            else []
        ),
        token_counter=token_counter_input(),
    output:
        "results/data/candidates/{split}.jsonl",
    log:
        "logs/generate_candidates/{split}.log",
    benchmark:
        "benchmarks/generate_candidates/{split}.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=resource("generate_candidates", "gpu", 0),
        mem_mb=resource("generate_candidates", "mem_mb", 8000),
        runtime=resource("generate_candidates", "runtime", 120),
    params:
        candidates=config["candidates"],
        max_response_tokens=config["data"].get("max_response_tokens"),
        spec=lambda wc: (
            model_spec(config["candidates"]["model"])
            if config["candidates"]["source"] == "model"
            else {}
        ),
        seed=config["seed"],
    script:
        "../workflow_scripts/generate_candidates.py"
