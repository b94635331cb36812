# Gold annotations: the gold judge scores every (instruction, candidate) 0-9 and keeps its
# reasoning trace, which distils the reasoning judges.


rule annotate_gold:
    input:
        candidates="results/data/candidates/{split}.jsonl",
        # Lower efforts keep only the items whose decision matches high effort's.
        reference=lambda wc: (
            [] if wc.effort == "high" else [gold_file("high", wc.split)]
        ),
        model=gold_model_input(),
    output:
        "results/gold/{effort}/{split}.jsonl",
    log:
        "logs/annotate_gold/{effort}/{split}.log",
    benchmark:
        "benchmarks/annotate_gold/{effort}/{split}.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=resource("annotate_gold", "gpu", 0),
        mem_mb=resource("annotate_gold", "mem_mb", 8000),
        runtime=resource("annotate_gold", "runtime", 240),
    params:
        inference=lambda wc: gold_inference(wc.effort),
        seed=config["seed"],
    script:
        "../workflow_scripts/annotate_gold.py"


rule annotate_gold_pairwise:
    input:
        candidates="results/data/candidates/{split}.jsonl",
        reference=lambda wc: (
            [] if wc.effort == "high" else [pairwise_gold_file("high", wc.split)]
        ),
        model=gold_model_input(),
    output:
        "results/gold/{effort}/pairwise/{split}.jsonl",
    log:
        "logs/annotate_gold_pairwise/{effort}/{split}.log",
    benchmark:
        "benchmarks/annotate_gold_pairwise/{effort}/{split}.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=resource("annotate_gold_pairwise", "gpu", 0),
        mem_mb=resource("annotate_gold_pairwise", "mem_mb", 8000),
        runtime=resource("annotate_gold_pairwise", "runtime", 240),
    params:
        inference=lambda wc: gold_inference(wc.effort, "pairwise"),
        seed=config["seed"],
    script:
        "../workflow_scripts/annotate_gold.py"


rule generate_rubrics:
    input:
        instructions="results/data/splits/{split}.jsonl",
        model=gold_model_input(),
    output:
        "results/gold/rubrics/{split}.jsonl",
    log:
        "logs/generate_rubrics/{split}.log",
    benchmark:
        "benchmarks/generate_rubrics/{split}.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=resource("generate_rubrics", "gpu", 0),
        mem_mb=resource("generate_rubrics", "mem_mb", 8000),
        runtime=resource("generate_rubrics", "runtime", 240),
    params:
        rubric_sampling=config["gold"].get("rubrics", {}),
        spec=gold_spec(),
        backend=config["gold"]["backend"],
        seed=config["seed"],
    script:
        "../workflow_scripts/generate_rubrics.py"
