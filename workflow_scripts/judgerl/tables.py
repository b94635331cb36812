"""The paper's tables: long-format frames written as CSV and as Markdown."""

from __future__ import annotations

from pathlib import Path

from judgerl.files import atomic_path, read_jsonl
from judgerl.stats import bootstrap_mean

POLICY_SCORE_COLUMNS = [
    "run",
    "judge",
    "step",
    "scorer",
    "metric",
    "mean",
    "ci_low",
    "ci_high",
    "n",
    "n_invalid",
]


def write_table(
    frame,
    csv_path: str | Path,
    md_path: str | Path | None = None,
    floatfmt: str = ".4f",
) -> None:
    from tabulate import tabulate

    with atomic_path(csv_path) as tmp:
        frame.write_csv(tmp)
    if md_path is not None:
        text = tabulate(
            frame.rows(), headers=frame.columns, tablefmt="github", floatfmt=floatfmt
        )
        with atomic_path(md_path) as tmp:
            tmp.write_text(text + "\n")


def policy_score_rows(
    entries: list[tuple[str, int, str, str]],
    runs: dict,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int = 0,
) -> list[dict]:
    """One row per (run, step, scorer, metric): the mean over test prompts and its bootstrap interval.

    `entries` are (run, step, scorer, score file). `score` is the integer verdict (invalid verdicts
    left out, and counted); `expected_score` is sum_x x p(x), the quantity the policy was trained
    on. Runs against a pairwise judge have one metric, `win_rate` against the baseline answers
    (invalid verdicts count as half a game).
    """
    rows = []
    for run, step, scorer, path in entries:
        verdicts = read_jsonl(path)
        n_invalid = sum(not v["valid"] for v in verdicts)
        metrics = (
            ("win_rate",)
            if verdicts and "win_rate" in verdicts[0]
            else ("score", "expected_score")
        )
        for metric in metrics:
            values = [v[metric] for v in verdicts if v[metric] is not None]
            mean, low, high = bootstrap_mean(values, confidence, n_resamples, seed)
            rows.append(
                {
                    "run": run,
                    "judge": runs[run]["judge"],
                    "step": step,
                    "scorer": scorer,
                    "metric": metric,
                    "mean": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "n": len(values),
                    "n_invalid": n_invalid,
                }
            )
    rows.sort(key=lambda r: (r["run"], r["scorer"], r["metric"], r["step"]))
    return rows


# ---- judge tables (Fig. 2, Tables 2-5) --------------------------------------------------------
# Each table is a view of judge_agreement.csv selected by what the judges are (mode, format,
# rubrics, gold effort, training stages), so a config adds a judge to a table by describing it.

JUDGE_TABLES = ("table2", "table3", "table4", "table5")

FIGURE_TITLES = {
    "fig3": "Gold score of policies trained against non-reasoning judges",
    "fig4": "Training-judge score of policies trained against non-reasoning judges",
    "fig5": "Policies trained against reasoning judges (distilled + RL)",
    "fig7": "Policies trained against RL-only reasoning judges",
    "fig8": "Policies trained against rubric-augmented non-reasoning judges",
    "fig9": "Policies trained against reasoning judges distilled at each gold effort",
    "fig10": "Policies trained against pairwise judges: win rate against the baseline's answers",
}


def policy_figures(judges: dict, runs: dict) -> dict[str, dict]:
    """The paper's policy figures that these runs fill, each with its runs, scorers and title. A
    run enters a figure by what its judge is (format, rubrics, stages, mode, gold effort), not by
    its name; figures without runs are left out."""
    members = {name: [] for name in FIGURE_TITLES}
    for run, spec in runs.items():
        judge = judges[spec["judge"]]
        if judge["format"] == "pairwise":
            members["fig10"].append(run)
        elif judge["rubrics"]:
            members["fig8"].append(run)
        elif judge["stages"] == ["grpo"]:
            members["fig7"].append(run)
        elif judge["mode"] == "non_reasoning":
            members["fig3"].append(run)
            members["fig4"].append(run)
        elif judge["gold_effort"] != "high":
            members["fig9"].append(run)
        else:
            members["fig5"].append(run)
    if members["fig9"]:  # lower efforts are read against high effort
        members["fig9"] += members["fig5"]
    scorers = {"fig3": ["gold"], "fig4": ["judge"]}
    return {
        name: {
            "runs": runs_,
            "scorers": scorers.get(name, ["gold", "judge"]),
            "title": FIGURE_TITLES[name],
        }
        for name, runs_ in members.items()
        if runs_
    }


def judge_rows(
    agreements: list[dict], judges: dict, before_rl: dict | None = None
) -> list[dict]:
    """judge_agreement.csv's rows: a judge's description beside its measured agreement, and
    the malformed rate of its SFT checkpoint where `before_rl` (by judge) has it."""
    before_rl = before_rl or {}
    rows = []
    for measured in agreements:
        spec = judges[measured["judge"]]
        alpha = measured.get("alpha")
        accuracy = measured.get("accuracy")
        low, high = measured.get("interval") or (None, None)
        rows.append(
            {
                "judge": measured["judge"],
                "base": spec["base"],
                "mode": spec["mode"],
                "format": spec.get("format", "pointwise"),
                "rubrics": bool(spec.get("rubrics", False)),
                "gold_effort": spec["gold_effort"],
                "training": "+".join(spec["stages"]) or "untuned",
                "n": measured["n"],
                "alpha_x100": None if alpha is None else 100 * alpha,
                "alpha_expected_score_x100": (
                    None
                    if measured.get("alpha_expected_score") is None
                    else 100 * measured["alpha_expected_score"]
                ),
                "accuracy_x100": None if accuracy is None else 100 * accuracy,
                # the bootstrap interval of alpha (pointwise) or accuracy (pairwise), x 100
                "low_x100": None if low is None else 100 * low,
                "high_x100": None if high is None else 100 * high,
                "malformed_rate": measured["malformed_rate"],
                "malformed_rate_before_rl": before_rl.get(measured["judge"], {}).get(
                    "malformed_rate"
                ),
                "mean_thinking_tokens": measured["mean_thinking_tokens"],
                "note": measured.get("note"),
            }
        )
    return sorted(
        rows,
        key=lambda r: (r["format"], r["base"], r["mode"], r["training"], r["judge"]),
    )


def _pivot(frame, index: list[str], column: str, value: str, order: list[str]):
    import polars as pl

    if frame.is_empty():
        return pl.DataFrame({name: [] for name in index + order})
    wide = frame.pivot(on=column, index=index, values=value, aggregate_function="first")
    for name in order:
        if name not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(name))
    return wide.select(index + order).sort(index)


def judge_table(frame, name: str):
    """One of the paper's judge tables, in its layout, from judge_agreement.csv's frame."""
    layouts = {
        "table2": _table2,
        "table3": _table3,
        "table4": _table4,
        "table5": _table5,
    }
    if name not in layouts:
        raise ValueError(
            f"unknown judge table {name!r}; expected one of {JUDGE_TABLES}"
        )
    return layouts[name](frame)


def _plain_pointwise(frame):
    """Pointwise judges without rubrics."""
    import polars as pl

    return frame.filter((pl.col("format") == "pointwise") & ~pl.col("rubrics"))


def _table2(frame):
    """Distillation + RL against RL only (reasoning judges)."""
    import polars as pl

    part = _plain_pointwise(frame).filter(
        (pl.col("mode") == "reasoning")
        & (pl.col("gold_effort") == "high")
        & pl.col("training").is_in(["sft+grpo", "grpo"])
    )
    part = part.with_columns(
        pl.col("training").replace(
            {"sft+grpo": "distill+RL alpha_x100", "grpo": "RL-only alpha_x100"}
        )
    )
    return _pivot(
        part,
        ["base"],
        "training",
        "alpha_x100",
        ["distill+RL alpha_x100", "RL-only alpha_x100"],
    )


def _table3(frame):
    """Rubrics in the prompt of non-reasoning judges."""
    import polars as pl

    part = frame.filter(
        (pl.col("format") == "pointwise")
        & (pl.col("mode") == "non_reasoning")
        & (pl.col("gold_effort") == "high")
        & pl.col("training").is_in(["untuned", "sft"])
    )
    part = part.with_columns(
        pl.col("training").replace({"untuned": "untuned", "sft": "fine-tuned"}),
        pl.when(pl.col("rubrics"))
        .then(pl.lit("with rubrics alpha_x100"))
        .otherwise(pl.lit("without rubrics alpha_x100"))
        .alias("rubric_column"),
    )
    return _pivot(
        part,
        ["base", "training"],
        "rubric_column",
        "alpha_x100",
        ["without rubrics alpha_x100", "with rubrics alpha_x100"],
    )


def _table4(frame):
    """The gold effort the reasoning judge is distilled from."""
    import polars as pl

    part = _plain_pointwise(frame).filter(
        (pl.col("mode") == "reasoning") & pl.col("training").is_in(["sft", "sft+grpo"])
    )
    effort_rank = {"low": 0, "medium": 1, "high": 2}
    return (
        part.with_columns(
            pl.col("gold_effort").replace_strict(effort_rank).alias("_rank")
        )
        .sort(["base", "_rank", "training"])
        .select(
            [
                "base",
                "gold_effort",
                "training",
                "judge",
                "alpha_x100",
                "mean_thinking_tokens",
                "malformed_rate",
            ]
        )
    )


def _table5(frame):
    """Pairwise judges, untuned and fine-tuned."""
    import polars as pl

    part = frame.filter(pl.col("format") == "pairwise").with_columns(
        pl.when(pl.col("training") == "untuned")
        .then(pl.lit("untuned accuracy_x100"))
        .otherwise(pl.lit("fine-tuned accuracy_x100"))
        .alias("training_column")
    )
    return _pivot(
        part,
        ["base", "mode"],
        "training_column",
        "accuracy_x100",
        ["untuned accuracy_x100", "fine-tuned accuracy_x100"],
    )


def figure2_rows(frame):
    """Fig. 2's judges: pointwise, no rubrics, high-effort gold; untuned or fully trained (not RL-only)."""
    import polars as pl

    return frame.filter(
        (pl.col("format") == "pointwise")
        & ~pl.col("rubrics")
        & (pl.col("gold_effort") == "high")
        & pl.col("training").is_in(["untuned", "sft", "sft+grpo"])
    )
