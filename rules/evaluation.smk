# Evaluation: every checkpoint answers the policy test split, and its answers are scored by the
# judge it was trained against and by the gold judge.


rule generate_answers:
    input:
        model=lambda wc: policy_checkpoint(wc.run, wc.step),
        prompts="results/data/splits/policy_test.jsonl",
    output:
        "results/policies/{run}/answers/step-{step}.jsonl",
    log:
        "logs/generate_answers/{run}/step-{step}.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=resource("generate_answers", "gpu", 0),
        mem_mb=resource("generate_answers", "mem_mb", 8000),
        runtime=resource("generate_answers", "runtime", 120),
    params:
        sampling=config["evaluation"]["answers"],
        backend=config["evaluation"]["backend"],
        spec=lambda wc: model_spec(config["policy_runs"][wc.run]["policy"]),
        seed=config["seed"],
    script:
        "../workflow_scripts/generate_answers.py"


rule score_answers:
    input:
        answers="results/policies/{run}/answers/step-{step}.jsonl",
        model=lambda wc: (
            served_model_input(config["gold"]["model"], config["gold"]["backend"])
            if wc.scorer == "gold"
            else [scorer_model(wc.run, wc.scorer)]
        ),
    output:
        "results/policies/{run}/scores/step-{step}.{scorer}.jsonl",
    log:
        "logs/score_answers/{run}/step-{step}.{scorer}.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=resource("score_answers", "gpu", 0),
        mem_mb=resource("score_answers", "mem_mb", 8000),
        runtime=resource("score_answers", "runtime", 120),
    params:
        use=lambda wc: scorer_use(wc.run, wc.scorer),
        seed=config["seed"],
    script:
        "../workflow_scripts/score_answers.py"
