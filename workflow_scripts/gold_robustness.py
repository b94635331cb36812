"""Rule gold_robustness: the paper's robustness check. The gold judge re-rates adversarial outputs
with other wordings of its prompt (prompts.WORDINGS: the study's, a plain one, and one that warns
of each pattern): the answers the detectors flagged in policy checkpoints, and the adversarial
master-key templates answering policy test instructions. A gold judge that stays fooled rates
them `pass_score` or above under every wording."""

import logging

from judgerl import files, robustness, runtime, tables
from judgerl.engines import make_engine
from judgerl.judging import JudgeSettings
from judgerl.progress import Progress


def main(snakemake):
    runtime.setup(snakemake, seed=snakemake.params.seed)
    log = logging.getLogger("gold_robustness")
    inference, wordings = snakemake.params.inference, snakemake.params.wordings

    prompts = files.read_jsonl(snakemake.input.prompts)[: snakemake.params.instructions]
    items = robustness.robustness_items(
        files.read_jsonl(snakemake.input.flagged), prompts
    )
    log.info(
        "%d flagged answers, %d template answers",
        sum(i["source"] == "flagged" for i in items),
        sum(i["source"] != "flagged" for i in items),
    )

    model_dir = snakemake.input.model[0] if snakemake.input.model else None
    engine = make_engine(
        model_dir, inference["spec"], inference["backend"], seed=snakemake.params.seed
    )
    meter = Progress("gold verdicts", len(items) * len(wordings), logger=log)
    rows = robustness.rate_under_wordings(
        engine,
        items,
        JudgeSettings.of(inference),
        wordings,
        snakemake.params.pass_score,
        meter,
    )
    files.write_jsonl(snakemake.output.verdicts, rows)

    summary = robustness.summary(rows)
    tables.write_table(
        summary, snakemake.output.csv, snakemake.output.md, floatfmt=".2f"
    )
    log.info("%s", summary)


if __name__ == "__main__":
    main(runtime.current_job(globals()))
