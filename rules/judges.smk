# Judges: SFT on the gold scores (non-reasoning) or on the gold traces and scores (reasoning),
# then, for reasoning judges, GRPO with the verifiable reward of Eq. 1. Each judge is evaluated
# against gold on the held-out test split.


rule train_judge_sft:
    input:
        base=lambda wc: model_dir(config["judges"][wc.judge]["base"]),
        train=judge_gold("judge_train"),
        val=judge_gold("judge_val"),
    output:
        directory("results/judges/{judge}/sft"),
    log:
        "logs/train_judge_sft/{judge}.log",
    benchmark:
        "benchmarks/train_judge_sft/{judge}.tsv"
    conda:
        CONDA_ENV
    threads: 2
    resources:
        gpu=resource("train_judge_sft", "gpu", 0),
        mem_mb=resource("train_judge_sft", "mem_mb", 12000),
        runtime=resource("train_judge_sft", "runtime", 600),
    params:
        judge=lambda wc: judge_training(wc.judge, "sft"),
        seed=config["seed"],
    script:
        "../workflow_scripts/train_judge_sft.py"


rule train_judge_grpo:
    input:
        start=lambda wc: (
            judge_stage_dir(wc.judge, "sft")
            if "sft" in config["judges"][wc.judge]["stages"]
            else model_dir(config["judges"][wc.judge]["base"])
        ),
        train=judge_gold("judge_train"),
    output:
        directory("results/judges/{judge}/grpo"),
    log:
        "logs/train_judge_grpo/{judge}.log",
    benchmark:
        "benchmarks/train_judge_grpo/{judge}.tsv"
    conda:
        CONDA_ENV
    threads: 2
    resources:
        gpu=resource("train_judge_grpo", "gpu", 0),
        mem_mb=resource("train_judge_grpo", "mem_mb", 12000),
        runtime=resource("train_judge_grpo", "runtime", 600),
    params:
        judge=lambda wc: judge_training(wc.judge, "grpo"),
        seed=config["seed"],
    script:
        "../workflow_scripts/train_judge_grpo.py"


rule evaluate_judge:
    input:
        model=lambda wc: judge_model(wc.judge),
        test=gold_file("high", "judge_test"),  # every judge is measured against high-effort gold
    output:
        verdicts="results/judges/{judge}/eval/verdicts.jsonl",
        agreement="results/judges/{judge}/eval/agreement.json",
    log:
        "logs/evaluate_judge/{judge}.log",
    benchmark:
        "benchmarks/evaluate_judge/{judge}.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=resource("evaluate_judge", "gpu", 0),
        mem_mb=resource("evaluate_judge", "mem_mb", 8000),
        runtime=resource("evaluate_judge", "runtime", 120),
    params:
        use=lambda wc: judge_use(wc.judge, "evaluation"),
        seed=config["seed"],
    script:
        "../workflow_scripts/evaluate_judge.py"
