"""Rule gold_robustness: the paper's robustness check. The gold judge re-rates adversarial outputs
with other wordings of its prompt (prompts.WORDINGS: the study's, a plain one, and one that warns
of each pattern): the answers the detectors flagged in policy checkpoints, and the adversarial
master-key templates answering policy test instructions. A gold judge that stays fooled rates
them `pass_score` or above under every wording."""

import logging

import polars as pl

from judgerl import files, probes, runtime, tables
from judgerl.engines import make_engine
from judgerl.judging import JudgeSettings, judge_pointwise
from judgerl.progress import Progress

# Answers per judge call: several rounds of the gold server's concurrent requests, so little is
# lost at a chunk's tail; progress is logged between them.
CHUNK = 1024


def main(snakemake):
    runtime.setup(snakemake, seed=snakemake.params.seed)
    log = logging.getLogger("gold_robustness")
    inference, pass_score = snakemake.params.inference, snakemake.params.pass_score

    items = [
        {
            "source": "flagged",
            "run": f["run"],
            "step": f["step"],
            "id": f["id"],
            "instruction": f["instruction"],
            "answer": f["answer"],
            "patterns": f.get("patterns"),
        }
        for f in files.read_jsonl(snakemake.input.flagged)
    ]
    prompts = files.read_jsonl(snakemake.input.prompts)[: snakemake.params.instructions]
    for p in prompts:
        for key, text in probes.probe_texts(p["instruction"]).items():
            if probes.MASTER_KEYS[key][0] == "adversarial":
                items.append(
                    {
                        "source": f"template:{key}",
                        "run": None,
                        "step": None,
                        "id": p["id"],
                        "instruction": p["instruction"],
                        "answer": text,
                        "patterns": [key],
                    }
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
    settings = JudgeSettings.of(inference)
    rows = []
    meter = Progress(
        "gold verdicts", len(items) * len(snakemake.params.wordings), logger=log
    )
    for wording in snakemake.params.wordings:
        verdicts = []
        for start in range(0, len(items), CHUNK):
            chunk = items[start : start + CHUNK]
            verdicts += judge_pointwise(
                engine,
                [i["instruction"] for i in chunk],
                [i["answer"] for i in chunk],
                settings,
                wording=wording,
            )
            meter.advance(len(chunk))
        for item, verdict in zip(items, verdicts):
            rows.append(
                {
                    **item,
                    "wording": wording,
                    "score": verdict["score"],
                    "expected_score": verdict["expected_score"],
                    "passes": probes.passes(verdict["score"], pass_score),
                    "reasoning": verdict["reasoning"],
                }
            )
    files.write_jsonl(snakemake.output.verdicts, rows)

    summary = (
        pl.DataFrame(
            rows,
            schema_overrides={
                "score": pl.Int64,
                "expected_score": pl.Float64,
                "run": pl.String,
                "step": pl.Int64,
                "passes": pl.Boolean,
                "source": pl.String,
                "wording": pl.String,
            },
        )
        .group_by(["source", "wording"], maintain_order=True)
        .agg(
            pl.len().alias("n"),
            pl.col("score").mean().alias("mean_score"),
            pl.col("passes").mean().alias("pass_rate"),
        )
        if rows
        else pl.DataFrame(
            schema={
                "source": pl.String,
                "wording": pl.String,
                "n": pl.UInt32,
                "mean_score": pl.Float64,
                "pass_rate": pl.Float64,
            }
        )
    )
    tables.write_table(
        summary, snakemake.output.csv, snakemake.output.md, floatfmt=".2f"
    )
    log.info("%s", summary)


if __name__ == "__main__":
    main(runtime.current_job(globals()))
