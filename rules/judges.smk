# Judges: SFT on the gold verdicts (non-reasoning) or on the gold traces and verdicts (reasoning),
# then, for reasoning judges, GRPO with the verifiable reward of Eq. 1 (pointwise) or Eq. 3
# (pairwise); RL-only judges skip the SFT. Checkpoints are chosen on the validation split. Each
# judge is evaluated against the high-effort gold on the held-out test split.


rule train_judge_sft:
    input:
        base=lambda wc: model_dir(config["judges"][wc.judge]["base"]),
        train=gold_labels_input("judge_train"),
        val=gold_labels_input("judge_val"),
        rubrics=lambda wc: judge_rubrics(wc.judge, "judge_train")
        + judge_rubrics(wc.judge, "judge_val"),
    output:
        directory("results/judges/{judge}/sft"),
    log:
        "logs/train_judge_sft/{judge}.log",
    benchmark:
        "benchmarks/train_judge_sft/{judge}.tsv"
    retries: resource("train_judge_sft", "retries", None)  # None: the profile's
    conda:
        CONDA_ENV
    threads: resource("train_judge_sft", "threads", 1)
    resources:
        **trainer_resources("train_judge_sft"),
        mem_mb=resource("train_judge_sft", "mem_mb", 12000),
        runtime=resource("train_judge_sft", "runtime", 600),
    params:
        training=lambda wc: judge_training(wc.judge, "sft"),
        launch=launch_settings("train_judge_sft"),
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
        train=gold_labels_input("judge_train"),
        val=gold_labels_input("judge_val"),
        rubrics=lambda wc: judge_rubrics(wc.judge, "judge_train")
        + judge_rubrics(wc.judge, "judge_val"),
    output:
        directory("results/judges/{judge}/grpo"),
    log:
        "logs/train_judge_grpo/{judge}.log",
    benchmark:
        "benchmarks/train_judge_grpo/{judge}.tsv"
    retries: resource("train_judge_grpo", "retries", None)  # None: the profile's
    conda:
        CONDA_ENV
    threads: resource("train_judge_grpo", "threads", 1)
    resources:
        **trainer_resources("train_judge_grpo"),
        mem_mb=resource("train_judge_grpo", "mem_mb", 12000),
        runtime=resource("train_judge_grpo", "runtime", 600),
    params:
        training=lambda wc: judge_training(wc.judge, "grpo"),
        # how each saved step is validated
        inference=lambda wc: judge_inference(wc.judge, "evaluation"),
        launch=launch_settings("train_judge_grpo"),
        seed=config["seed"],
    script:
        "../workflow_scripts/train_judge_grpo.py"


# Judges trained by SFT then GRPO, measured before GRPO too (config evaluation.before_rl).
BEFORE_RL = [
    name
    for name, judge in config["judges"].items()
    if config["evaluation"]["before_rl"] and judge["stages"] == ["sft", "grpo"]
]


rule evaluate_judge:
    input:
        model=lambda wc: judge_model(wc.judge),
        # Every judge is measured against the high-effort gold.
        test=lambda wc: gold_labels(wc.judge, "judge_test", "high"),
        rubrics=lambda wc: judge_rubrics(wc.judge, "judge_test"),
    output:
        verdicts="results/judges/{judge}/eval/verdicts.jsonl",
        agreement="results/judges/{judge}/eval/agreement.json",
        master_key="results/judges/{judge}/eval/master_key.jsonl",
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
        inference=lambda wc: judge_inference(wc.judge, "evaluation"),
        bootstrap=config["evaluation"]["bootstrap"],
        probe=config["master_key"],
        seed=config["seed"],
    script:
        "../workflow_scripts/evaluate_judge.py"


rule evaluate_judge_before_rl:
    input:
        model="results/judges/{judge}/sft",
        # Every judge is measured against the high-effort gold.
        test=lambda wc: gold_labels(wc.judge, "judge_test", "high"),
        rubrics=lambda wc: judge_rubrics(wc.judge, "judge_test"),
    output:
        verdicts="results/judges/{judge}/eval_before_rl/verdicts.jsonl",
        agreement="results/judges/{judge}/eval_before_rl/agreement.json",
        master_key="results/judges/{judge}/eval_before_rl/master_key.jsonl",
    log:
        "logs/evaluate_judge/{judge}.before_rl.log",
    benchmark:
        "benchmarks/evaluate_judge/{judge}.before_rl.tsv"
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=resource("evaluate_judge_before_rl", "gpu", 0),
        mem_mb=resource("evaluate_judge_before_rl", "mem_mb", 8000),
        runtime=resource("evaluate_judge_before_rl", "runtime", 120),
    params:
        inference=lambda wc: judge_inference(wc.judge, "evaluation"),
        bootstrap=config["evaluation"]["bootstrap"],
        probe=config["master_key"],
        seed=config["seed"],
    script:
        "../workflow_scripts/evaluate_judge.py"
