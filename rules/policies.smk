# Policies: GRPO against each judge, whose expected score sum_x x p(x) is the reward. Every
# `save_steps` the trainer writes a checkpoint that evaluation scores.


rule train_policy:
    input:
        policy=lambda wc: model_dir(config["policy_runs"][wc.run]["policy"]),
        judge=lambda wc: judge_model(config["policy_runs"][wc.run]["judge"]),
        prompts="results/data/splits/policy_train.jsonl",
    output:
        checkpoints=directory(
            expand("results/policies/{{run}}/checkpoint-{step}", step=TRAINED_STEPS)
        ),
        train_log="results/policies/{run}/train_log.csv",
        judge_calls="results/policies/{run}/judge_calls.jsonl",
    log:
        "logs/train_policy/{run}.log",
    benchmark:
        "benchmarks/train_policy/{run}.tsv"
    conda:
        CONDA_ENV
    threads: 2
    resources:
        gpu=resource("train_policy", "gpu", 0),
        mem_mb=resource("train_policy", "mem_mb", 16000),
        runtime=resource("train_policy", "runtime", 1440),
    params:
        judge=lambda wc: judge_use(config["policy_runs"][wc.run]["judge"], "reward"),
        grpo=config["training"]["policy_grpo"],
        seed=config["seed"],
    script:
        "../workflow_scripts/train_policy.py"
