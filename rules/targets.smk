# Targets a user can name: `snakemake table2`, `snakemake --profile profiles/slurm fig5`,
# `snakemake judge_r-135m`. Each one asks for its artifacts only, so Snakemake builds exactly what
# they need. The Snakefile's `all` asks for every one of them.


def gold_inputs():
    """Every gold file a judge learns from or is tested on, with the rubrics that are read."""
    files = []
    for judge, spec in config["judges"].items():
        splits = ["judge_train", "judge_val"] if spec["stages"] else []
        files += [gold_labels(judge, split) for split in splits]
        files.append(gold_labels(judge, "judge_test", "high"))
        files += [
            f for split in splits + ["judge_test"] for f in judge_rubrics(judge, split)
        ]
    for run in RUNS:
        files += [
            f
            for s in ("policy_train", "policy_test")
            for f in judge_rubrics(judge_of_run(run), s)
        ]
    return list(dict.fromkeys(files))


def judge_artifacts(judge):
    return [judge_model(judge), judge_eval_file(judge, "agreement.json")]


def run_artifacts(run):
    scores = [
        score_file(run, step, scorer) for step in CHECKPOINT_STEPS for scorer in SCORERS
    ]
    return [train_log(run), *scores]


PAPER_TARGETS = {
    **{name: table_files(name) for name in JUDGE_TABLES},
    **({name: table_files(name) for name in ARENA["tables"]} if ARENA else {}),
    "fig2": [figure_file("fig2")],
    **{name: [figure_file(name)] for name in POLICY_FIGURES},
}

STAGE_TARGETS = {
    "gold": gold_inputs(),
    "judges": [f for judge in JUDGES for f in judge_artifacts(judge)],
    "policies": [train_log(run) for run in RUNS],
    "evaluation": [
        *table_files("policy_scores"),
        *table_files("adversarial_rates"),
        *table_files("hacking_onset"),
        *table_files("gold_robustness"),
        *table_files("master_key"),
        *table_files("judge_agreement"),
        figure_file("overoptimization"),
        figure_file("adversarial_rates"),
    ],
    **({"arena_hard": table_files("arena_hard")} if ARENA else {}),
}

ARTIFACT_TARGETS = {
    **{f"judge_{judge}": judge_artifacts(judge) for judge in JUDGES},
    **{f"run_{run}": run_artifacts(run) for run in RUNS},
}


for target_name, target_files in {
    **PAPER_TARGETS,
    **STAGE_TARGETS,
    **ARTIFACT_TARGETS,
}.items():

    rule:
        name:
            target_name
        input:
            target_files,
