"""The gold's annotation items and verdicts (judgerl/annotation.py)."""

from judgerl import annotation

ROWS = [
    {
        "id": f"q{n}",
        "instruction": f"Say {n}.",
        "responses": [f"first {n}", f"second {n}"],
        "origins": ["model:T=0.6", "model:T=1.1"],
    }
    for n in range(10)
]


def test_pointwise_items_one_per_candidate():
    items = annotation.pointwise_items(ROWS)
    assert [i["key"] for i in items[:3]] == ["q0:0", "q0:1", "q1:0"]
    assert items[1]["response"] == "second 0" and items[1]["origin"] == "model:T=1.1"
    assert items[1]["candidate"] == 1 and len(items) == 20


def test_pairwise_items_swap_a_seeded_half():
    items = annotation.pairwise_items(ROWS, seed=3)
    swapped = [i for i in items if i["order"] == [1, 0]]
    assert len(swapped) == 5 and items == annotation.pairwise_items(ROWS, seed=3)
    first = swapped[0]
    n = first["key"][1:]
    assert first["response_1"] == f"second {n}" and first["response_2"] == f"first {n}"
    assert first["origins"] == ["model:T=1.1", "model:T=0.6"]


def test_a_pairwise_winner_is_the_candidates_index(monkeypatch):
    verdicts = [
        {"choice": 1, "valid": True},
        {"choice": 1, "valid": True},
        {"choice": None, "valid": False},
    ]
    monkeypatch.setattr(
        annotation, "judge_pairwise", lambda *a, **k: [dict(v) for v in verdicts]
    )
    chunk = [
        {"instruction": "i", "response_1": "a", "response_2": "b", "order": o}
        for o in ([0, 1], [1, 0], [1, 0])
    ]
    out = annotation.annotate(None, None, chunk, pairwise=True)
    assert [v["winner"] for v in out] == [0, 1, None]


def test_counts_of_invalid_and_first_preferred():
    items = [{"key": "a"}, {"key": "b"}, {"key": "c"}]
    rows = {
        "a": {"valid": True, "choice": 1},
        "b": {"valid": False, "choice": None},
        "c": {"valid": True, "choice": 2},
        "d": {"valid": False, "choice": 1},
    }
    assert annotation.counts(items, rows) == {"invalid": 1, "first_preferred": 1}
    pointwise = {"a": {"valid": True, "score": 1}}
    assert annotation.counts([{"key": "a"}], pointwise)["first_preferred"] == 0
