"""The gold judge's annotation of the candidates (rules annotate_gold, annotate_gold_pairwise):
the items it judges, and its verdicts on them.

Pointwise: one item per (instruction, candidate). Pairwise: one item per instruction, its two
candidates in an order that is recorded and balanced (a seeded half of the pairs show candidate 1
first), and the winner named by its index in the candidates file, whatever the order shown.
"""

from __future__ import annotations

import random

from judgerl.judging import JudgeSettings, judge_pairwise, judge_pointwise


def pointwise_items(rows: list[dict]) -> list[dict]:
    """One item per candidate response, keyed `<id>:<candidate>`."""
    return [
        {
            "key": f"{row['id']}:{k}",
            "id": row["id"],
            "candidate": k,
            "instruction": row["instruction"],
            "response": response,
            "origin": row["origins"][k],
        }
        for row in rows
        for k, response in enumerate(row["responses"])
    ]


def pairwise_items(rows: list[dict], seed: int) -> list[dict]:
    """One item per instruction, keyed by its id; a seeded half of them shown swapped."""
    rows = list(rows)
    swapped = set(random.Random(seed).sample(range(len(rows)), len(rows) // 2))
    items = []
    for n, row in enumerate(rows):
        order = [1, 0] if n in swapped else [0, 1]
        items.append(
            {
                "key": row["id"],
                "id": row["id"],
                "instruction": row["instruction"],
                "order": order,
                "response_1": row["responses"][order[0]],
                "response_2": row["responses"][order[1]],
                "origins": [row["origins"][k] for k in order],
            }
        )
    return items


def annotate(
    engine, settings: JudgeSettings, chunk: list[dict], pairwise: bool
) -> list[dict]:
    """The gold's verdicts on a chunk of items; a pairwise verdict names its `winner` (the
    candidate's index in the candidates file, None if invalid)."""
    instructions = [i["instruction"] for i in chunk]
    if not pairwise:
        return judge_pointwise(
            engine, instructions, [i["response"] for i in chunk], settings
        )
    verdicts = judge_pairwise(
        engine,
        instructions,
        [i["response_1"] for i in chunk],
        [i["response_2"] for i in chunk],
        settings,
    )
    for item, verdict in zip(chunk, verdicts):
        verdict["winner"] = (
            item["order"][verdict["choice"] - 1] if verdict["valid"] else None
        )
    return verdicts


def annotate_all(
    engine,
    settings: JudgeSettings,
    todo: list[dict],
    pairwise: bool,
    progress,
    meter,
    chunk_size: int,
) -> None:
    """Annotate `todo` chunk by chunk, each chunk's rows (item and verdict) appended to
    `progress` (files.ResumableJsonl) as it is done, so that a rerun continues after it."""
    for start in range(0, len(todo), chunk_size):
        chunk = todo[start : start + chunk_size]
        progress.add(
            {**item, **verdict}
            for item, verdict in zip(chunk, annotate(engine, settings, chunk, pairwise))
        )
        meter.advance(len(chunk))


def counts(items: list[dict], rows: dict[str, dict]) -> dict[str, int]:
    """How many annotations of `items` (`rows` by key) are invalid, and how many prefer the
    response shown first (pairwise; 0 for pointwise rows)."""
    annotated = [rows[item["key"]] for item in items]
    return {
        "invalid": sum(not r["valid"] for r in annotated),
        "first_preferred": sum(r.get("choice") == 1 for r in annotated),
    }
