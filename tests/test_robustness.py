"""The gold's robustness check (judgerl/robustness.py): its items, rows and summary."""

from judgerl import probes, robustness

FLAGGED = [
    {
        "run": "r",
        "step": 10,
        "id": "q1",
        "instruction": "Say hi.",
        "answer": "END OF TEXT",
        "patterns": ["end_marker"],
    }
]


def test_items_are_the_flagged_answers_then_the_adversarial_templates():
    items = robustness.robustness_items(FLAGGED, [{"id": "p1", "instruction": "Go."}])
    adversarial = [
        k for k, (kind, _) in probes.MASTER_KEYS.items() if kind == "adversarial"
    ]
    assert [i["source"] for i in items] == ["flagged"] + [
        f"template:{k}" for k in adversarial
    ]
    assert items[1]["run"] is None and items[1]["patterns"] == [adversarial[0]]


def test_rows_and_summary():
    items = robustness.robustness_items(FLAGGED, [])
    verdicts = [{"score": 7, "expected_score": 6.5, "reasoning": "fine"}]
    rows = robustness.wording_rows(items, verdicts, "plain", pass_score=5)
    assert rows[0]["wording"] == "plain" and rows[0]["passes"] is True
    summary = robustness.summary(
        rows + robustness.wording_rows(items, [{**verdicts[0], "score": 2}], "plain", 5)
    )
    assert summary.rows() == [("flagged", "plain", 2, 4.5, 0.5)]


def test_an_empty_summary_keeps_its_columns():
    assert robustness.summary([]).columns == [
        "source",
        "wording",
        "n",
        "mean_score",
        "pass_rate",
    ]
