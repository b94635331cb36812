# Tables and figures of the paper, from the artifacts above.


rule judge_agreement_table:
    input:
        expand("results/judges/{judge}/eval/agreement.json", judge=JUDGES),
    output:
        csv="results/tables/judge_agreement.csv",
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
            f"{name}_{ext}": f"results/tables/{name}.{ext}"
            for name in ["table2", "table3", "table4", "table5"]
            for ext in ["csv", "md"]
        },
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
        csv="results/tables/policy_scores.csv",
        md="results/tables/policy_scores.md",
    log:
        "logs/policy_scores_table.log",
    conda:
        CONDA_ENV
    threads: 1
    params:
        bootstrap=config["evaluation"].get("bootstrap", {}),
        runs=config["policy_runs"],
        files=[list(entry) for entry in all_score_files()],
        seed=config["seed"],
    script:
        "../workflow_scripts/policy_scores_table.py"


rule plot_policy_scores:
    input:
        "results/tables/policy_scores.csv",
    output:
        "results/figures/policy_scores_{run}.png",
    log:
        "logs/plot_policy_scores/{run}.log",
    conda:
        CONDA_ENV
    threads: 1
    script:
        "../workflow_scripts/plot_policy_scores.py"


rule plot_judge_agreement:
    input:
        "results/tables/judge_agreement.csv",
    output:
        "results/figures/fig2.png",
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
        "results/figures/adversarial_rates.png",
    log:
        "logs/plot_adversarial_rates.log",
    conda:
        CONDA_ENV
    threads: 1
    script:
        "../workflow_scripts/plot_adversarial_rates.py"
