# Tables and figures of the paper, from the artifacts above.


rule judge_agreement_table:
    input:
        measured=[judge_eval_file(judge, "agreement.json") for judge in JUDGES],
        before_rl=[
            judge_eval_file(judge, "agreement.json", before_rl=True)
            for judge in BEFORE_RL
        ],
    output:
        csv=report(
            table_file("judge_agreement", "csv"),
            caption="../report/judge_agreement.rst",
            category="Judges",
        ),
        md=table_file("judge_agreement", "md"),
    log:
        "logs/judge_agreement_table.log",
    conda:
        CONDA_ENV
    threads: 1
    params:
        judges=config["judges"],
    script:
        "../workflow_scripts/judge_agreement_table.py"


rule judge_tables:
    input:
        table_file("judge_agreement", "csv"),
    output:
        **{
            f"{name}_csv": report(
                table_file(name, "csv"),
                caption=f"../report/{name}.rst",
                category="Judges",
            )
            for name in JUDGE_TABLES
        },
        **{f"{name}_md": table_file(name, "md") for name in JUDGE_TABLES},
    log:
        "logs/judge_tables.log",
    conda:
        CONDA_ENV
    threads: 1
    script:
        "../workflow_scripts/judge_tables.py"


rule policy_scores_table:
    input:
        [path for *_, path in all_score_files()],
    output:
        csv=report(
            table_file("policy_scores", "csv"),
            caption="../report/policy_scores.rst",
            category="Policies",
        ),
        md=table_file("policy_scores", "md"),
    log:
        "logs/policy_scores_table.log",
    conda:
        CONDA_ENV
    threads: 1
    params:
        bootstrap=config["evaluation"]["bootstrap"],
        runs=config["policy_runs"],
        files=[list(entry) for entry in all_score_files()],
        seed=config["seed"],
    script:
        "../workflow_scripts/policy_scores_table.py"


rule plot_policy_scores:
    input:
        table_file("policy_scores", "csv"),
    output:
        report(
            figure_file("{figure}"),
            caption="../report/policy_figure.rst",
            category="Policies",
        ),
    log:
        "logs/plot_policy_scores/{figure}.log",
    conda:
        CONDA_ENV
    threads: 1
    params:
        figure=lambda wc: POLICY_FIGURES[wc.figure],
        runs=lambda wc: {
            run: config["policy_runs"][run]
            for run in POLICY_FIGURES[wc.figure]["runs"]
        },
    script:
        "../workflow_scripts/plot_policy_scores.py"


rule plot_judge_agreement:
    input:
        table_file("judge_agreement", "csv"),
    output:
        report(figure_file("fig2"), caption="../report/fig2.rst", category="Judges"),
    log:
        "logs/plot_judge_agreement.log",
    conda:
        CONDA_ENV
    threads: 1
    script:
        "../workflow_scripts/plot_judge_agreement.py"


rule plot_adversarial_rates:
    input:
        table_file("adversarial_rates", "csv"),
    output:
        report(
            figure_file("adversarial_rates"),
            caption="../report/adversarial_rates.rst",
            category="Adversarial outputs",
        ),
    log:
        "logs/plot_adversarial_rates.log",
    conda:
        CONDA_ENV
    threads: 1
    script:
        "../workflow_scripts/plot_adversarial_rates.py"


rule master_key_table:
    input:
        [judge_eval_file(judge, "master_key.jsonl") for judge in JUDGES],
    output:
        csv=table_file("master_key_long", "csv"),
        wide_csv=report(
            table_file("master_key", "csv"),
            caption="../report/master_key.rst",
            category="Judges",
        ),
        md=table_file("master_key", "md"),
    log:
        "logs/master_key_table.log",
    conda:
        CONDA_ENV
    threads: 1
    params:
        judges=config["judges"],
    script:
        "../workflow_scripts/master_key_table.py"


# Over-optimization (Gao et al., 2022): where each run's gold score peaks while its training
# judge's keeps rising, and both scores against sqrt(KL) from the initial policy.
rule overoptimization:
    input:
        scores=table_file("policy_scores", "csv"),
        train_logs=[train_log(run) for run in RUNS],
    output:
        csv=report(
            table_file("hacking_onset", "csv"),
            caption="../report/hacking_onset.rst",
            category="Policies",
        ),
        md=table_file("hacking_onset", "md"),
        figure=report(
            figure_file("overoptimization"),
            caption="../report/overoptimization.rst",
            category="Policies",
        ),
    log:
        "logs/overoptimization.log",
    conda:
        CONDA_ENV
    threads: 1
    params:
        runs=config["policy_runs"],
        pairwise_judges=[j for j in JUDGES if judge_format(j) == "pairwise"],
    script:
        "../workflow_scripts/overoptimization.py"
