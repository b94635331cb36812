"""The gold judge's robustness check (rule gold_robustness): adversarial answers re-rated under
other wordings of its prompt. The answers are those the detectors flagged in policy checkpoints
and the adversarial master-key templates answering policy test instructions; a gold judge that
stays fooled rates them `pass_score` or above under every wording."""

from __future__ import annotations

from judgerl import probes
from judgerl.judging import JudgeSettings, judge_pointwise

# Answers per judge call: several rounds of the gold server's concurrent requests, so little is
# lost at a chunk's tail; progress is logged between them.
CHUNK = 1024


def robustness_items(flagged: list[dict], prompts: list[dict]) -> list[dict]:
    """The answers to re-rate: the flagged ones (source `flagged`), then every adversarial
    master key answering each prompt's instruction (source `template:<key>`)."""
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
        for f in flagged
    ]
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
    return items


def wording_rows(
    items: list[dict], verdicts: list[dict], wording: str, pass_score: int
) -> list[dict]:
    """Each item with the gold's verdict on it under `wording`."""
    return [
        {
            **item,
            "wording": wording,
            "score": verdict["score"],
            "expected_score": verdict["expected_score"],
            "passes": probes.passes(verdict["score"], pass_score),
            "reasoning": verdict["reasoning"],
        }
        for item, verdict in zip(items, verdicts)
    ]


def rate_under_wordings(
    engine,
    items: list[dict],
    settings: JudgeSettings,
    wordings: list[str],
    pass_score: int,
    meter,
) -> list[dict]:
    """The gold's verdicts on every item under every wording, wording by wording."""
    rows = []
    for wording in wordings:
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
        rows += wording_rows(items, verdicts, wording, pass_score)
    return rows


def summary(rows: list[dict]):
    """Per (source, wording): the number of answers, their mean score and pass rate."""
    import polars as pl

    if not rows:
        return pl.DataFrame(
            schema={
                "source": pl.String,
                "wording": pl.String,
                "n": pl.UInt32,
                "mean_score": pl.Float64,
                "pass_rate": pl.Float64,
            }
        )
    return (
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
    )
