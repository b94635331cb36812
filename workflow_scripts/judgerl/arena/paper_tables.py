"""The paper's Arena-Hard-V2 tables (Table 1: a reasoning-judge policy; Table 6: a pairwise-judge
one) from the long-format scores, and the note that says what the numbers are."""

from __future__ import annotations

import math

import polars as pl
from tabulate import tabulate

from judgerl import files, tables
from judgerl.arena.scoring import SCORE_COLUMNS

_CATEGORY_TITLES = {
    "creative_writing": "Creative writing",
    "hard_prompt": "Hard prompts",
}


def score_frame(rows: list[dict]) -> pl.DataFrame:
    """The long-format scores (scoring.score_rows) as arena_hard.csv's frame."""
    return pl.DataFrame(rows, schema_overrides={"run": pl.String}).select(SCORE_COLUMNS)


def _cell(row: dict) -> str:
    if row is None or math.isnan(row["score"]):
        return "n/a"
    return f"{row['score']:.1f} (-{row['score'] - row['ci_low']:.1f} / +{row['ci_high'] - row['score']:.1f})"


def column_title(style_control: bool, category: str, judge: str | None) -> str:
    """A score column's title: the category, with the judge on creative writing and the style
    control where it is on."""
    notes = [f"{judge} judge"] if judge and category == "creative_writing" else []
    notes += ["style control"] if style_control else []
    return _CATEGORY_TITLES[category] + (f" ({', '.join(notes)})" if notes else "")


def paper_table(
    rows: list[dict], contestants: list[dict], runs: list[str], judge: str | None = None
) -> tuple[list[str], list[list]]:
    """A table of the paper: each run's initial policy (step 0) and its last checkpoint, by category,
    without and with style control; cells are 'score (-lower / +upper)' of the 90% interval. The
    creative-writing columns name their `judge`: arena-hard-auto's own creative-writing board
    pools two judges without style control, these columns do not."""
    index = {(r["contestant"], r["category"], r["style_control"]): r for r in rows}
    info = {c["contestant"]: c for c in contestants}
    order = [
        (sc, c) for sc in (False, True) for c in ("creative_writing", "hard_prompt")
    ]
    headers = ["model", "run", "step"] + [column_title(sc, c, judge) for sc, c in order]
    body = []
    for run in runs:
        for name in (info[run]["policy"], run):
            body.append(
                [
                    name,
                    run,
                    info[name]["step"],
                    *[_cell(index.get((name, c, sc))) for sc, c in order],
                ]
            )
    return headers, body


def table_note(rows: list[dict], judge: str, prompts: dict, pool_size: int) -> str:
    """The note under a paper table: baselines, interval, judge and its prompts' wording, and
    which models the style-controlled fit holds."""
    baselines = ", ".join(sorted({f"{r['category']}: {r['baseline']}" for r in rows}))
    pool_words = (
        f"every contestant and {pool_size} models of arena-hard-auto's published pool "
        "(their own answers and judgments)"
        if pool_size
        else "the contestants and the baseline only, not arena-hard-auto's published "
        "pool, so its numbers are not on the leaderboard's scale"
    )
    wording = (
        f"arena-hard-auto's prompts at {prompts['repo']}@{prompts['commit'][:12]}"
        if prompts
        else "this workflow's wording of its prompts"
    )
    return (
        f"Arena-Hard-V2 score against the baseline ({baselines}), percent, 90% "
        f"bootstrap interval; judge {judge} with {wording}, every "
        f"category. Style control: length and markdown features in a Bradley-Terry fit "
        f"over {pool_words}. The official "
        "creative-writing board pools two judges and uses no style control; here both "
        "columns of each category come from the one judge above.\n"
    )


def write_paper_table(
    headers: list[str], body: list[list], note: str, csv: str, md: str
) -> None:
    """A paper table as CSV, and as a GitHub markdown table followed by its note."""
    tables.write_table(pl.DataFrame(body, schema=headers, orient="row"), csv)
    files.write_text(
        md, tabulate(body, headers=headers, tablefmt="github") + f"\n\n{note}"
    )
