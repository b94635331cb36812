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
            prompts=split_file("policy_test"),
        output:
            answers=[pairwise_baseline_file()],
        log:
            f"logs/generate_answers/baseline/{PAIRWISE_BASELINE['name']}.log",
        conda:
            CONDA_ENV
        threads: rule_threads("generate_pairwise_baseline")
        resources:
            **rule_resources("generate_pairwise_baseline"),
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
        prompts=split_file("policy_test"),
    output:
        answers=[initial_answers("{model}")],
    log:
        "logs/generate_answers/initial/{model}.log",
    conda:
        CONDA_ENV
    threads: rule_threads("generate_initial_answers")
    resources:
        **rule_resources("generate_initial_answers"),
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
        prompts=split_file("policy_test"),
    output:
        answers=[answers_file("{run}", s) for s in TRAINED_STEPS],
    log:
        "logs/generate_answers/{run}.log",
    conda:
        CONDA_ENV
    threads: rule_threads("generate_answers")
    resources:
        **rule_resources("generate_answers"),
    params:
        sampling=config["evaluation"]["answers"],
        backend=config["evaluation"]["backend"],
        spec=lambda wc: model_spec(config["policy_runs"][wc.run]["policy"]),
        seed=config["seed"],
    script:
        "../workflow_scripts/generate_answers.py"


# A run's answers at every checkpoint, scored by its training judge (one job loads the judge once).
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
    threads: rule_threads("score_answers_by_judge")
    resources:
        **rule_resources("score_answers_by_judge"),
    params:
        inference=lambda wc: judge_inference(judge_of_run(wc.run), "evaluation"),
        seed=config["seed"],
    script:
        "../workflow_scripts/score_answers.py"


# The same scoring by the gold judge at high effort: the trained checkpoints' answers of a run;
# step 0's gold score is the initial policy's, shared (score_initial_answers).
use rule score_answers_by_judge as score_answers_by_gold with:
    input:
        answers=lambda wc: [answers_file(wc.run, s) for s in TRAINED_STEPS],
        baseline=lambda wc: baseline_answers(wc.run),
        rubrics=[],
        model=gold_model_input(),
    output:
        scores=[score_file("{run}", s, "gold") for s in TRAINED_STEPS],
    log:
        "logs/score_answers/{run}.gold.log",
    threads: rule_threads("score_answers_by_gold")
    resources:
        **rule_resources("score_answers_by_gold"),
    params:
        inference=lambda wc: gold_inference("high", run_format(wc.run)),
        seed=config["seed"],


# The gold's scores of an initial policy's answers, once per policy model and verdict format.
use rule score_answers_by_judge as score_initial_answers with:
    input:
        answers=lambda wc: [initial_answers(wc.model)],
        baseline=lambda wc: baseline_answers_of_model(wc.model, wc.format),
        rubrics=[],
        model=gold_model_input(),
    output:
        scores=[initial_gold_scores("{model}", "{format}")],
    log:
        "logs/score_answers/initial/{model}.gold.{format}.log",
    threads: rule_threads("score_initial_answers")
    resources:
        **rule_resources("score_initial_answers"),
    params:
        inference=lambda wc: gold_inference("high", wc.format),
        seed=config["seed"],


# The adversarial patterns the paper found (fake policy refusals, injected end markers,
# self-assessments, redefined instructions), counted in every checkpoint's answers.
rule detect_adversarial:
    input:
        [path for *_, path in all_answer_files()],
    output:
        rates=report(
            table_file("adversarial_rates", "csv"),
            caption="../report/adversarial_rates.rst",
            category="Adversarial outputs",
        ),
        md=table_file("adversarial_rates", "md"),
        flagged=adversarial_file("flagged"),
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
        flagged=adversarial_file("flagged"),
        prompts=split_file("policy_test"),
        model=gold_model_input(),
    output:
        verdicts=adversarial_file("gold_robustness"),
        csv=report(
            table_file("gold_robustness", "csv"),
            caption="../report/gold_robustness.rst",
            category="Adversarial outputs",
        ),
        md=table_file("gold_robustness", "md"),
    log:
        "logs/gold_robustness.log",
    conda:
        CONDA_ENV
    threads: rule_threads("gold_robustness")
    resources:
        **rule_resources("gold_robustness"),
    params:
        inference=gold_inference("high"),
        wordings=["study", "plain", "warned"],
        instructions=config["master_key"]["instructions"],
        pass_score=config["master_key"]["pass_score"],
        seed=config["seed"],
    script:
        "../workflow_scripts/gold_robustness.py"
