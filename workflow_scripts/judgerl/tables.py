"""The paper's tables: long-format frames written as CSV and as Markdown."""

from __future__ import annotations

import re
from pathlib import Path

from judgerl.files import atomic_path, read_jsonl
from judgerl.stats import bootstrap_mean

SCORE_FILE = re.compile(r"policies/(?P<run>[^/]+)/scores/step-(?P<step>\d+)\.(?P<scorer>judge|gold)\.jsonl$")
POLICY_SCORE_COLUMNS = ["run", "judge", "step", "scorer", "metric", "mean", "ci_low", "ci_high", "n", "n_invalid"]


def write_table(frame, csv_path: str | Path, md_path: str | Path | None = None, floatfmt: str = ".4f") -> None:
    from tabulate import tabulate

    with atomic_path(csv_path) as tmp:
        frame.write_csv(tmp)
    if md_path is not None:
        text = tabulate(frame.rows(), headers=frame.columns, tablefmt="github", floatfmt=floatfmt)
        with atomic_path(md_path) as tmp:
            tmp.write_text(text + "\n")


def policy_score_rows(paths: list[str], runs: dict, confidence: float = 0.95, n_resamples: int = 1000,
                      seed: int = 0) -> list[dict]:
    """One row per (run, step, scorer, metric): the mean over test prompts and its bootstrap interval.

    `score` is the integer verdict (invalid verdicts left out, and counted); `expected_score` is
    sum_x x p(x), the quantity the policy was trained on.
    """
    rows = []
    for path in paths:
        match = SCORE_FILE.search(str(path))
        if not match:
            raise ValueError(f"not a score file path: {path}")
        run, step, scorer = match["run"], int(match["step"]), match["scorer"]
        verdicts = read_jsonl(path)
        n_invalid = sum(not v["valid"] for v in verdicts)
        for metric in ("score", "expected_score"):
            values = [v[metric] for v in verdicts if v[metric] is not None]
            mean, low, high = bootstrap_mean(values, confidence, n_resamples, seed)
            rows.append({"run": run, "judge": runs[run]["judge"], "step": step, "scorer": scorer, "metric": metric,
                         "mean": mean, "ci_low": low, "ci_high": high, "n": len(values), "n_invalid": n_invalid})
    rows.sort(key=lambda r: (r["run"], r["scorer"], r["metric"], r["step"]))
    return rows
