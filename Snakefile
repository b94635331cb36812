# Examining reasoning LLMs-as-judges in non-verifiable LLM post-training (arXiv 2603.12246).
#
# A gold judge labels preference data; small judges are trained from its labels (non-reasoning:
# SFT on scores; reasoning: SFT on its reasoning traces, then GRPO); each judge is the reward of a
# GRPO-trained policy; every policy checkpoint is graded by its training judge and by the gold judge.
# A policy whose training-judge score rises while its gold score falls is reward hacking.

from snakemake.utils import min_version, validate

min_version("9.0")


# A --configfile replaces the embedded default as a whole: merged into it, it would keep the
# default's tiny models, judges and runs.
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"


# The schema rejects unknown keys and fills every default.
validate(config, "schemas/config.schema.yaml")


report: "report/workflow.rst"


include: "rules/common.smk"


wildcard_constraints:
    model="|".join(map(re.escape, MODELS)),
    judge="|".join(map(re.escape, JUDGES)),
    run="|".join(map(re.escape, RUNS)),
    effort="|".join(EFFORTS),
    split="|".join(ALL_SPLITS),
    step=r"\d+",
    format="pointwise|pairwise",
    figure="|".join(POLICY_FIGURES) or "$^",


# The stages of the study, in the order of the paper's pipeline.
include: "rules/data.smk"
include: "rules/gold.smk"
include: "rules/judges.smk"
include: "rules/policies.smk"
include: "rules/evaluation.smk"
include: "rules/report.smk"


if ARENA:

    include: "rules/arena_hard.smk"


# Targets by name: each table and figure of the paper, each stage, each judge and each policy
# run (`snakemake --list-target-rules`).
include: "rules/targets.smk"


# A gold judge or Arena-Hard judge served over HTTP answers before any job that calls it starts.
onstart:
    serving.check_served_backends(
        config, {job.rule.name for job in workflow.dag.needrun_jobs()}
    )
    tracking.check(config["tracking"])


# The study: every table and figure of the paper, and the artifacts of every stage.
rule all:
    default_target: True
    input:
        [
            f
            for targets in (PAPER_TARGETS, STAGE_TARGETS)
            for files in targets.values()
            for f in files
        ],
