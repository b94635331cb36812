# Gold annotations: the gold judge scores every (instruction, candidate) 0-9 and keeps its
# reasoning trace, which distils the reasoning judges.


rule annotate_gold:
    input:
        candidates=candidates_file("{split}"),
        # Lower efforts keep only the items whose decision matches high effort's.
        reference=lambda wc: (
            [] if wc.effort == "high" else [gold_file("high", wc.split)]
        ),
        model=gold_model_input(),
    output:
        gold_file("{effort}", "{split}"),
    log:
        "logs/annotate_gold/{effort}/{split}.log",
    benchmark:
        "benchmarks/annotate_gold/{effort}/{split}.tsv"
    conda:
        CONDA_ENV
    threads: rule_threads("annotate_gold")
    resources:
        **rule_resources("annotate_gold"),
    params:
        inference=lambda wc: gold_inference(wc.effort),
        seed=config["seed"],
    script:
        "../workflow_scripts/annotate_gold.py"


rule annotate_gold_pairwise:
    input:
        candidates=candidates_file("{split}"),
        reference=lambda wc: (
            [] if wc.effort == "high" else [pairwise_gold_file("high", wc.split)]
        ),
        model=gold_model_input(),
    output:
        pairwise_gold_file("{effort}", "{split}"),
    log:
        "logs/annotate_gold_pairwise/{effort}/{split}.log",
    benchmark:
        "benchmarks/annotate_gold_pairwise/{effort}/{split}.tsv"
    conda:
        CONDA_ENV
    threads: rule_threads("annotate_gold_pairwise")
    resources:
        **rule_resources("annotate_gold_pairwise"),
    params:
        inference=lambda wc: gold_inference(wc.effort, "pairwise"),
        seed=config["seed"],
    script:
        "../workflow_scripts/annotate_gold.py"


rule generate_rubrics:
    input:
        instructions=split_file("{split}"),
        model=gold_model_input(),
    output:
        rubrics_file("{split}"),
    log:
        "logs/generate_rubrics/{split}.log",
    benchmark:
        "benchmarks/generate_rubrics/{split}.tsv"
    conda:
        CONDA_ENV
    threads: rule_threads("generate_rubrics")
    resources:
        **rule_resources("generate_rubrics"),
    params:
        rubric_sampling=config["gold"].get("rubrics", {}),
        spec=gold_spec(),
        backend=config["gold"]["backend"],
        seed=config["seed"],
    script:
        "../workflow_scripts/generate_rubrics.py"
