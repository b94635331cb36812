# Tables and figures of the paper, from the artifacts above.


rule judge_agreement_table:
    input:
        measured=expand("results/judges/{judge}/eval/agreement.json", judge=JUDGES),
        before_rl=expand(
            "results/judges/{judge}/eval_before_rl/agreement.json", judge=BEFORE_RL
        ),
    output:
        csv=report(
            "results/tables/judge_agreement.csv",
            caption="../report/judge_agreement.rst",
            category="Judges",
        ),
        md="results/tables/judge_agreement.md",
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
        "results/tables/judge_agreement.csv",
    output:
        **{
            f"{name}_csv": report(
                f"results/tables/{name}.csv",
                caption=f"../report/{name}.rst",
                category="Judges",
            )
            for name in JUDGE_TABLES
        },
        **{f"{name}_md": f"results/tables/{name}.md" for name in JUDGE_TABLES},
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
            "results/tables/policy_scores.csv",
            caption="../report/policy_scores.rst",
            category="Policies",
        ),
        md="results/tables/policy_scores.md",
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
        "results/tables/policy_scores.csv",
    output:
        report(
            "results/figures/{figure}.png",
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
        "results/tables/judge_agreement.csv",
    output:
        report(
            "results/figures/fig2.png", caption="../report/fig2.rst", category="Judges"
        ),
    log:
        "logs/plot_judge_agreement.log",
    conda:
        CONDA_ENV
    threads: 1
    script:
        "../workflow_scripts/plot_judge_agreement.py"


rule plot_adversarial_rates:
    input:
        "results/tables/adversarial_rates.csv",
    output:
        report(
            "results/figures/adversarial_rates.png",
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
        expand("results/judges/{judge}/eval/master_key.jsonl", judge=JUDGES),
    output:
        csv="results/tables/master_key_long.csv",
        wide_csv=report(
            "results/tables/master_key.csv",
            caption="../report/master_key.rst",
            category="Judges",
        ),
        md="results/tables/master_key.md",
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
        scores="results/tables/policy_scores.csv",
        train_logs=expand("results/policies/{run}/train_log.csv", run=RUNS),
    output:
        csv=report(
            "results/tables/hacking_onset.csv",
            caption="../report/hacking_onset.rst",
            category="Policies",
        ),
        md="results/tables/hacking_onset.md",
        figure=report(
            "results/figures/overoptimization.png",
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
