# Evaluation: every checkpoint answers the policy test split, and its answers are scored by the
# judge it was trained against and by the gold judge: 0-9 for runs with a pointwise judge, win rate
# against baseline answers (both orders) for runs with a pairwise judge. One job per run and
# scorer loads its model once for all checkpoints. The initial policy's answers (step 0) and
# their gold scores are made once per policy model and shared by its runs.


# What pairwise answers are compared with: config `evaluation.pairwise_baseline` (the paper:
# GPT-4o's answers, made by rule generate_pairwise_baseline), else the initial policy's (step 0).
PAIRWISE_BASELINE = config["evaluation"].get("pairwise_baseline")


if isinstance(PAIRWISE_BASELINE, dict):

    rule generate_pairwise_baseline:
        input:
            checkpoints=[],
            prompts="results/data/splits/policy_test.jsonl",
        output:
            answers=[study_config.pairwise_baseline_file(config["evaluation"])],
        log:
            f"logs/generate_answers/baseline/{PAIRWISE_BASELINE['name']}.log",
        conda:
            CONDA_ENV
        threads: 1
        resources:
            gpu=resource("generate_pairwise_baseline", "gpu", 0),
            mem_mb=resource("generate_pairwise_baseline", "mem_mb", 4000),
            runtime=resource("generate_pairwise_baseline", "runtime", 240),
        params:
            sampling=PAIRWISE_BASELINE.get("sampling", config["evaluation"]["answers"]),
            backend=PAIRWISE_BASELINE["backend"],
            spec={},
            seed=config["seed"],
        script:
            "../workflow_scripts/generate_answers.py"


rule generate_initial_answers:
    input:
        checkpoints=lambda wc: [model_dir(wc.model)],
        prompts="results/data/splits/policy_test.jsonl",
    output:
        answers=["results/initial_policies/{model}/answers.jsonl"],
    log:
        "logs/generate_answers/initial/{model}.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=resource("generate_initial_answers", "gpu", 0),
        mem_mb=resource("generate_initial_answers", "mem_mb", 8000),
        runtime=resource("generate_initial_answers", "runtime", 120),
    params:
        sampling=config["evaluation"]["answers"],
        backend=config["evaluation"]["backend"],
        spec=lambda wc: model_spec(wc.model),
        seed=config["seed"],
    script:
        "../workflow_scripts/generate_answers.py"


rule generate_answers:
    input:
        checkpoints=lambda wc: [policy_checkpoint(wc.run, s) for s in TRAINED_STEPS],
        prompts="results/data/splits/policy_test.jsonl",
    output:
        answers=[answers_file("{run}", s) for s in TRAINED_STEPS],
    log:
        "logs/generate_answers/{run}.log",
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


rule score_initial_answers:
    input:
        answers=lambda wc: [initial_answers(wc.model)],
        baseline=lambda wc: baseline_answers_of_model(wc.model, wc.format),
        rubrics=[],
        model=gold_model_input(),
    output:
        scores=["results/initial_policies/{model}/scores.gold.{format}.jsonl"],
    log:
        "logs/score_answers/initial/{model}.gold.{format}.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=resource("score_initial_answers", "gpu", 0),
        mem_mb=resource("score_initial_answers", "mem_mb", 8000),
        runtime=resource("score_initial_answers", "runtime", 120),
    params:
        inference=lambda wc: gold_inference("high", wc.format),
        seed=config["seed"],
    script:
        "../workflow_scripts/score_answers.py"


rule score_answers_by_judge:
    input:
        answers=lambda wc: [answers_file(wc.run, s) for s in CHECKPOINT_STEPS],
        baseline=lambda wc: baseline_answers(wc.run),
        rubrics=lambda wc: judge_rubrics(judge_of_run(wc.run), "policy_test"),
        model=lambda wc: [judge_model(judge_of_run(wc.run))],
    output:
        scores=[score_file("{run}", s, "judge") for s in CHECKPOINT_STEPS],
    log:
        "logs/score_answers/{run}.judge.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=resource("score_answers_by_judge", "gpu", 0),
        mem_mb=resource("score_answers_by_judge", "mem_mb", 8000),
        runtime=resource("score_answers_by_judge", "runtime", 120),
    params:
        inference=lambda wc: judge_inference(judge_of_run(wc.run), "evaluation"),
        seed=config["seed"],
    script:
        "../workflow_scripts/score_answers.py"


rule score_answers_by_gold:
    input:
        answers=lambda wc: [answers_file(wc.run, s) for s in TRAINED_STEPS],
        baseline=lambda wc: baseline_answers(wc.run),
        rubrics=[],
        model=gold_model_input(),
    output:
        # Step 0's gold score is the initial policy's, shared (score_initial_answers).
        scores=[score_file("{run}", s, "gold") for s in TRAINED_STEPS],
    log:
        "logs/score_answers/{run}.gold.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=resource("score_answers_by_gold", "gpu", 0),
        mem_mb=resource("score_answers_by_gold", "mem_mb", 8000),
        runtime=resource("score_answers_by_gold", "runtime", 120),
    params:
        inference=lambda wc: gold_inference("high", run_format(wc.run)),
        seed=config["seed"],
    script:
        "../workflow_scripts/score_answers.py"


# The adversarial patterns the paper found (fake policy refusals, injected end markers,
# self-assessments, redefined instructions), counted in every checkpoint's answers.
rule detect_adversarial:
    input:
        [path for *_, path in all_answer_files()],
    output:
        rates=report(
            "results/tables/adversarial_rates.csv",
            caption="../report/adversarial_rates.rst",
            category="Adversarial outputs",
        ),
        md="results/tables/adversarial_rates.md",
        flagged="results/adversarial/flagged.jsonl",
    log:
        "logs/detect_adversarial.log",
    conda:
        CONDA_ENV
    threads: 1
    params:
        files=[list(entry) for entry in all_answer_files()],
        runs=config["policy_runs"],
    script:
        "../workflow_scripts/detect_adversarial.py"


# The paper's robustness check: does the gold judge stay fooled by adversarial outputs under other
# wordings of its prompt? Flagged checkpoint answers and the adversarial templates, re-rated.
rule gold_robustness:
    input:
        flagged="results/adversarial/flagged.jsonl",
        prompts="results/data/splits/policy_test.jsonl",
        model=gold_model_input(),
    output:
        verdicts="results/adversarial/gold_robustness.jsonl",
        csv=report(
            "results/tables/gold_robustness.csv",
            caption="../report/gold_robustness.rst",
            category="Adversarial outputs",
        ),
        md="results/tables/gold_robustness.md",
    log:
        "logs/gold_robustness.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        gpu=resource("gold_robustness", "gpu", 0),
        mem_mb=resource("gold_robustness", "mem_mb", 8000),
        runtime=resource("gold_robustness", "runtime", 120),
    params:
        inference=gold_inference("high"),
        wordings=["study", "plain", "warned"],
        instructions=config["master_key"]["instructions"],
        pass_score=config["master_key"]["pass_score"],
        seed=config["seed"],
    script:
        "../workflow_scripts/gold_robustness.py"
