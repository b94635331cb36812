# Policies: GRPO against each judge. A pointwise judge's expected score sum_x x p(x) is the
# reward; a pairwise judge gives each rollout its win rate against its group (Eq. 4). Every
# `save_steps` the trainer writes a checkpoint that evaluation scores, and on the rollouts of every
# `policy_monitoring.gold_every` steps the gold's score is logged beside the judge's reward.


rule train_policy:
    input:
        policy=lambda wc: model_dir(config["policy_runs"][wc.run]["policy"]),
        judge=lambda wc: judge_model(config["policy_runs"][wc.run]["judge"]),
        prompts=split_file("policy_train"),
        rubrics=lambda wc: judge_rubrics(judge_of_run(wc.run), "policy_train"),
        # the gold on the training rollouts (policy_monitoring.gold_every), where it is local
        gold=gold_model_input() if config["policy_monitoring"]["gold_every"] else [],
    output:
        checkpoints=directory([checkpoint_dir("{run}", step) for step in TRAINED_STEPS]),
        train_log=train_log("{run}"),
        judge_calls=judge_calls_file("{run}"),
    log:
        "logs/train_policy/{run}.log",
    benchmark:
        "benchmarks/train_policy/{run}.tsv"
    retries: rule_retries("train_policy")
    conda:
        CONDA_ENV
    threads: rule_threads("train_policy")
    resources:
        **rule_resources("train_policy"),
    params:
        inference=lambda wc: judge_inference(judge_of_run(wc.run), "reward"),
        grpo=lambda wc: policy_training(wc.run),
        monitor=config["policy_monitoring"],
        gold=gold_inference("high") if config["policy_monitoring"]["gold_every"] else {},
        launch=launch_settings("train_policy"),
        seed=config["seed"],
    script:
        "../workflow_scripts/train_policy.py"
