"""Policy answers scored pointwise and against baseline answers (judgerl/scoring.py)."""

import pytest

from judgerl import scoring

ANSWERS = [
    {"id": f"q{n}", "instruction": f"Say {n}.", "answer": f"a{n}"} for n in range(2)
]


def test_pointwise_scores_keep_the_answer_and_its_rubric(monkeypatch):
    seen = {}

    def judge(engine, instructions, texts, settings, rubrics):
        seen["rubrics"] = rubrics
        return [{"score": 4, "valid": True} for _ in texts]

    monkeypatch.setattr(scoring, "judge_pointwise", judge)
    rows = scoring.score_pointwise(None, ANSWERS, None, {"q0": "r0", "q1": "r1"})
    assert rows[1] == {"id": "q1", "answer": "a1", "score": 4, "valid": True}
    assert seen["rubrics"] == ["r0", "r1"]


def test_a_win_rate_over_both_orders(monkeypatch):
    games = [
        ({"choice": 1, "valid": True}, {"choice": 2, "valid": True}),
        ({"choice": 1, "valid": True}, {"choice": None, "valid": False}),
    ]
    monkeypatch.setattr(scoring, "judge_both_orders", lambda *a: games)
    rows = scoring.score_pairwise(None, ANSWERS, None, {"q0": "b0", "q1": "b1"})
    assert [(r["baseline"], r["win_rate"], r["valid"]) for r in rows] == [
        ("b0", 1.0, True),
        ("b1", 0.75, False),
    ]
    with pytest.raises(
        KeyError, match="base.jsonl has no baseline answer for 1 prompts"
    ):
        scoring.score_pairwise(
            None, ANSWERS, None, {"q0": "b0"}, baseline_file="base.jsonl"
        )
