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
        directory(judge_stage_dir("{judge}", "sft")),
    log:
        "logs/train_judge_sft/{judge}.log",
    benchmark:
        "benchmarks/train_judge_sft/{judge}.tsv"
    retries: rule_retries("train_judge_sft")
    conda:
        CONDA_ENV
    threads: rule_threads("train_judge_sft")
    resources:
        **rule_resources("train_judge_sft"),
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
        directory(judge_stage_dir("{judge}", "grpo")),
    log:
        "logs/train_judge_grpo/{judge}.log",
    benchmark:
        "benchmarks/train_judge_grpo/{judge}.tsv"
    retries: rule_retries("train_judge_grpo")
    conda:
        CONDA_ENV
    threads: rule_threads("train_judge_grpo")
    resources:
        **rule_resources("train_judge_grpo"),
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
        **judge_evaluation_input(judge_model),
    output:
        **judge_evaluation_output(before_rl=False),
    log:
        "logs/evaluate_judge/{judge}.log",
    benchmark:
        "benchmarks/evaluate_judge/{judge}.tsv"
    conda:
        CONDA_ENV
    threads: rule_threads("evaluate_judge")
    resources:
        **rule_resources("evaluate_judge"),
    params:
        inference=lambda wc: judge_inference(wc.judge, "evaluation"),
        bootstrap=config["evaluation"]["bootstrap"],
        probe=config["master_key"],
        seed=config["seed"],
    script:
        "../workflow_scripts/evaluate_judge.py"


# The SFT model of a judge in BEFORE_RL, measured as evaluate_judge measures the final model.
use rule evaluate_judge as evaluate_judge_before_rl with:
    input:
        **judge_evaluation_input(lambda judge: judge_stage_dir(judge, "sft")),
    output:
        **judge_evaluation_output(before_rl=True),
    log:
        "logs/evaluate_judge/{judge}.before_rl.log",
    benchmark:
        "benchmarks/evaluate_judge/{judge}.before_rl.tsv"
    threads: rule_threads("evaluate_judge_before_rl")
    resources:
        **rule_resources("evaluate_judge_before_rl"),
