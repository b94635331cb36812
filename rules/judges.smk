# Judges: SFT on the gold scores (non-reasoning) or on the gold traces and scores (reasoning),
# then, for reasoning judges, GRPO with the verifiable reward of Eq. 1. Each judge is evaluated
# against gold on the held-out test split.


def judge_gold(split):
    return lambda wc: gold_file(config["judges"][wc.judge]["gold_effort"], split)


rule train_judge_sft:
    input:
        base=lambda wc: model_dir(config["judges"][wc.judge]["base"]),
        train=judge_gold("judge_train"),
        val=judge_gold("judge_val"),
    output:
        directory("results/judges/{judge}/sft"),
    params:
        judge=lambda wc: judge_training(wc.judge, "sft"),
        seed=config["seed"],
    log:
        "logs/train_judge_sft/{judge}.log",
    benchmark:
        "benchmarks/train_judge_sft/{judge}.tsv"
    threads: 2
    resources:
        mem_mb=12000,
        runtime=600,
    conda:
        "../envs/cpu.yaml"
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
    params:
        judge=lambda wc: judge_training(wc.judge, "grpo"),
        seed=config["seed"],
    log:
        "logs/train_judge_grpo/{judge}.log",
    benchmark:
        "benchmarks/train_judge_grpo/{judge}.tsv"
    threads: 2
    resources:
        mem_mb=12000,
        runtime=600,
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow_scripts/train_judge_grpo.py"


rule evaluate_judge:
    input:
        model=lambda wc: judge_model(wc.judge),
        test=judge_gold("judge_test"),
    output:
        verdicts="results/judges/{judge}/eval/verdicts.jsonl",
        agreement="results/judges/{judge}/eval/agreement.json",
    params:
        use=lambda wc: judge_use(wc.judge, "evaluation"),
        seed=config["seed"],
    log:
        "logs/evaluate_judge/{judge}.log",
    benchmark:
        "benchmarks/evaluate_judge/{judge}.tsv"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=120,
    conda:
        "../envs/cpu.yaml"
    script:
        "../workflow_scripts/evaluate_judge.py"
