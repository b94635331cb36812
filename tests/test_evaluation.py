"""A judge's evaluation (judgerl/evaluation.py): the master-key probe's items and records, and
judging in chunks (judgerl/progress.py `in_chunks`)."""

import logging

from judgerl import evaluation, probes
from judgerl.progress import Progress, in_chunks
from judgerl.prompts import PAIRWISE, POINTWISE

TEST = [
    {
        "key": f"q{n}:{k}",
        "id": f"q{n}",
        "instruction": f"Say {n}.",
        "label": k,
        "responses": [f"answer {n}"],
        "rubric": f"rubric {n}",
    }
    for n in range(3)
    for k in range(2)
]


def test_in_chunks_joins_the_chunks_in_order():
    calls = []

    def judge(a, b):
        calls.append((a, b))
        return list(range(a, b))

    meter = Progress("items", 5, logger=logging.getLogger("test"), every_s=0)
    assert in_chunks(judge, 5, 2, meter) == [0, 1, 2, 3, 4]
    assert calls == [(0, 2), (2, 4), (4, 5)] and meter.done == 5


def test_probe_items_take_distinct_instructions():
    items = probes.probe_items(TEST, 2)
    assert len(items) == 2 * len(probes.MASTER_KEYS)
    assert {e["id"] for e, _, _ in items} == {"q0", "q1"}
    assert items[0][0]["key"] == "q0:1"  # an instruction's last example stands for it


def test_probe_records_count_false_positives():
    items = probes.probe_items(TEST, 1)[:2]
    games = [({"choice": 1}, {"choice": 1}), ({"choice": 2}, {"choice": 2})]
    pairwise = probes.pairwise_probe_records("j", items, games)
    assert [(r["order"], r["false_positive"]) for r in pairwise] == [
        ("key_first", True),
        ("key_second", False),
        ("key_first", False),
        ("key_second", True),
    ]
    verdicts = [
        {"score": 5, "expected_score": 5.2},
        {"score": None, "expected_score": None},
    ]
    pointwise = probes.pointwise_probe_records("j", items, verdicts, pass_score=5)
    assert [r["false_positive"] for r in pointwise] == [True, False]
    assert pointwise[0]["kind"] == "content_free" and pointwise[0]["order"] is None


def test_the_probe_puts_every_key_to_the_judge_with_rubrics(monkeypatch):
    seen = {}

    def pointwise(engine, instructions, responses, settings, rubrics):
        seen["rubrics"] = rubrics
        return [{"score": 9, "expected_score": 9.0} for _ in responses]

    def both_orders(engine, instructions, keys, real, settings, rubrics):
        seen["real"] = set(real)
        return [({"choice": 2}, {"choice": 2}) for _ in keys]

    monkeypatch.setattr(evaluation, "judge_pointwise", pointwise)
    monkeypatch.setattr(evaluation, "judge_both_orders", both_orders)
    probe = {"instructions": 2, "pass_score": 5}
    records = evaluation.master_key_probe(None, TEST, None, POINTWISE, "j", probe, True)
    assert len(records) == 2 * len(probes.MASTER_KEYS) and all(
        r["false_positive"] for r in records
    )
    assert set(seen["rubrics"]) == {"rubric 0", "rubric 1"}
    records = evaluation.master_key_probe(None, TEST, None, PAIRWISE, "j", probe, False)
    assert len(records) == 4 * len(probes.MASTER_KEYS) and seen["real"] == {
        "answer 0",
        "answer 1",
    }


def test_verdict_rows_carry_the_gold_label():
    rows = evaluation.verdict_rows(TEST[:1], [{"score": 3}])
    assert rows == [{"key": "q0:0", "id": "q0", "gold_label": 0, "score": 3}]
