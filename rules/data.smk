# Data: the models as plain Hugging Face folders, the seeded splits, and the candidate responses
# that the gold judge labels.


rule prepare_model:
    output:
        directory(model_dir("{model}")),
    log:
        "logs/prepare_model/{model}.log",
    benchmark:
        "benchmarks/prepare_model/{model}.tsv"
    conda:
        CONDA_ENV
    threads: rule_threads("prepare_model")
    resources:
        **rule_resources("prepare_model"),
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
        splits=[split_file(split) for split in ALL_SPLITS],
        summary=splits_summary(),
    log:
        "logs/make_splits.log",
    conda:
        CONDA_ENV
    threads: rule_threads("make_splits")
    resources:
        **rule_resources("make_splits"),
    params:
        data=config["data"],
        seed=config["seed"],
    script:
        "../workflow_scripts/make_splits.py"


rule generate_candidates:
    input:
        split=split_file("{split}"),
        model=lambda wc: (
            [model_dir(config["candidates"]["model"])]
            if config["candidates"]["source"] == "model"
            else []
        ),
        token_counter=token_counter_input(),
    output:
        candidates_file("{split}"),
    log:
        "logs/generate_candidates/{split}.log",
    benchmark:
        "benchmarks/generate_candidates/{split}.tsv"
    conda:
        CONDA_ENV
    threads: rule_threads("generate_candidates")
    resources:
        **rule_resources("generate_candidates"),
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
