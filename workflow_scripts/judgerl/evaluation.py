"""A judge's evaluation on the test split (rule evaluate_judge): its verdicts on the gold
examples, and the master-key probe (judgerl/probes.py) put to the same loaded judge.

Both judge in chunks of `CHUNK` items, with progress logged between them.
"""

from __future__ import annotations

import logging

from judgerl import probes
from judgerl.judging import (
    JudgeSettings,
    judge_both_orders,
    judge_examples,
    judge_pointwise,
)
from judgerl.progress import Progress, in_chunks
from judgerl.prompts import VerdictFormat

# Examples per judge call: several rounds of an engine's concurrent batch, so little is lost at a
# chunk's tail; progress is logged between them.
CHUNK = 1024


def judge_test(
    engine,
    test: list[dict],
    settings: JudgeSettings,
    fmt: VerdictFormat,
    logger: logging.Logger | None = None,
) -> list[dict]:
    """The judge's verdicts on the test split's gold examples, in their order."""
    return in_chunks(
        lambda a, b: judge_examples(engine, test[a:b], settings, fmt),
        len(test),
        CHUNK,
        Progress("judged test examples", len(test), logger=logger),
    )


def verdict_rows(test: list[dict], verdicts: list[dict]) -> list[dict]:
    """The verdicts file's rows: each example's key, id and gold label beside its verdict."""
    return [
        {"key": e["key"], "id": e["id"], "gold_label": e["label"], **v}
        for e, v in zip(test, verdicts)
    ]


def master_key_probe(
    engine,
    test: list[dict],
    settings: JudgeSettings,
    fmt: VerdictFormat,
    judge: str,
    probe: dict,
    rubrics: bool,
    logger: logging.Logger | None = None,
) -> list[dict]:
    """The probe's records (probes.pairwise_probe_records / pointwise_probe_records): every
    master key answering the first `probe["instructions"]` test instructions, with each
    example's rubric in the prompt where the judge reads `rubrics`."""
    items = probes.probe_items(test, probe["instructions"])
    instructions = [e["instruction"] for e, _, _ in items]
    keys = [text for _, _, text in items]
    rubric_list = [e["rubric"] for e, _, _ in items] if rubrics else None
    meter = Progress("master-key probes", len(items), logger=logger)
    if fmt.name == "pairwise":
        real = [e["responses"][0] for e, _, _ in items]
        games = in_chunks(
            lambda a, b: judge_both_orders(
                engine,
                instructions[a:b],
                keys[a:b],
                real[a:b],
                settings,
                _part(rubric_list, a, b),
            ),
            len(items),
            CHUNK,
            meter,
        )
        return probes.pairwise_probe_records(judge, items, games)
    verdicts = in_chunks(
        lambda a, b: judge_pointwise(
            engine, instructions[a:b], keys[a:b], settings, _part(rubric_list, a, b)
        ),
        len(items),
        CHUNK,
        meter,
    )
    return probes.pointwise_probe_records(judge, items, verdicts, probe["pass_score"])


def _part(values: list | None, a: int, b: int) -> list | None:
    return values[a:b] if values else None
