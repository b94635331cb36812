"""Rule evaluate_judge: a judge's verdicts on the test split, and its agreement with gold.

Pointwise judges: Krippendorff's alpha (interval) between the judge's score and the gold score, an
invalid verdict counting as a missing rating, and alpha of the expected score as a second view.
Pairwise judges: accuracy against the gold choice, an invalid verdict counting as wrong. Both: the
malformed rate and the mean number of thinking tokens.

Then the master-key probe (judgerl/probes.py), with the judge already loaded: content-free and
adversarial responses to test instructions. A pointwise judge has a false positive when it rates
one `pass_score` or above; a pairwise judge when it prefers one to the instruction's real
response (each pair judged in both orders).
"""

import logging

from judgerl import agreement, evaluation, files, runtime
from judgerl.data import gold_examples, load_rubrics
from judgerl.engines import make_engine
from judgerl.judging import JudgeSettings
from judgerl.prompts import FORMATS


def main(snakemake):
    runtime.setup(snakemake, seed=snakemake.params.seed)
    log = logging.getLogger("evaluate_judge")
    inference = snakemake.params.inference
    fmt = FORMATS[inference["format"]]

    rubrics = load_rubrics(snakemake.input.rubrics) if snakemake.input.rubrics else None
    test = gold_examples(snakemake.input.test, fmt.name, rubrics)
    engine = make_engine(
        snakemake.input.model,
        inference["spec"],
        inference["backend"],
        seed=snakemake.params.seed,
    )
    settings = JudgeSettings.of(inference)

    verdicts = evaluation.judge_test(engine, test, settings, fmt, log)
    files.write_jsonl(
        snakemake.output.verdicts, evaluation.verdict_rows(test, verdicts)
    )
    measured = {
        "judge": snakemake.wildcards.judge,
        "mode": inference["mode"],
        **agreement.agreement(
            verdicts,
            [e["label"] for e in test],
            fmt,
            bootstrap={**snakemake.params.bootstrap, "seed": snakemake.params.seed},
        ),
    }
    files.write_json(snakemake.output.agreement, measured)
    log.info("%s", measured)

    records = evaluation.master_key_probe(
        engine,
        test,
        settings,
        fmt,
        snakemake.wildcards.judge,
        snakemake.params.probe,
        rubrics=bool(rubrics),
        logger=log,
    )
    files.write_jsonl(snakemake.output.master_key, records)
    log.info(
        "master-key probe: %d false positives in %d probes",
        sum(r["false_positive"] for r in records),
        len(records),
    )


if __name__ == "__main__":
    main(runtime.current_job(globals()))
