"""Judge agreement measures and the paper's judge tables, on hand-made cases."""

import polars as pl
import pytest

from judgerl import tables
from judgerl.agreement import agreement
from judgerl.prompts import PAIRWISE, POINTWISE


def v(label, tokens=0, malformed=None):
    return {
        "label": label,
        "valid": label is not None,
        "thinking_tokens": tokens,
        "expected_score": label,
        "malformed": label is None if malformed is None else malformed,
    }


def test_pairwise_accuracy_counts_invalid_as_wrong():
    measured = agreement(
        [v(1, 10), v(2, 20), v(None, 30), v(1, 40)], [1, 1, 2, 1], PAIRWISE
    )
    assert measured["accuracy"] == 0.5 and measured["n_invalid"] == 1
    assert measured["malformed_rate"] == 0.25 and measured["mean_thinking_tokens"] == 25
    assert measured["mean_reward"] == pytest.approx((1 + 0 - 1 + 1) / 4)  # Eq. 3
    assert measured["alpha"] is None


def test_pointwise_agreement_by_hand():
    # Perfect agreement: alpha 1; Eq. 1 rewards 1 each.
    measured = agreement([v(1), v(5), v(9)], [1, 5, 9], POINTWISE)
    assert measured["alpha"] == pytest.approx(1.0) and measured["mean_reward"] == 1.0
    # One off by 3 and one invalid: Eq. 1 gives (81 - 9) / 81 and -1.
    measured = agreement([v(1), v(8), v(None)], [1, 5, 9], POINTWISE)
    assert measured["mean_reward"] == pytest.approx((1 + 72 / 81 - 1) / 3)
    assert measured["accuracy"] is None and measured["n_invalid"] == 1


def test_a_forced_verdict_is_usable_but_still_malformed():
    # The judge's thinking never closed (malformed), its forced verdict 5 matches gold: alpha uses
    # the verdict, the RL reward treats the output as invalid.
    measured = agreement([v(5, malformed=True), v(1), v(9)], [5, 1, 9], POINTWISE)
    assert measured["alpha"] == pytest.approx(1.0) and measured["n_invalid"] == 0
    assert measured["malformed_rate"] == pytest.approx(1 / 3)
    assert measured["mean_reward"] == pytest.approx((-1 + 1 + 1) / 3)


def judge(name, mode, stages, fmt="pointwise", rubrics=False, effort="high", base="m"):
    return name, {
        "base": base,
        "mode": mode,
        "stages": stages,
        "format": fmt,
        "rubrics": rubrics,
        "gold_effort": effort,
    }


def frame_of(judges, values):
    measured = []
    for name, spec in judges.items():
        x = values[name]
        pairwise = spec["format"] == "pairwise"
        measured.append(
            {
                "judge": name,
                "n": 10,
                "alpha": None if pairwise else x,
                "alpha_expected_score": None if pairwise else x,
                "accuracy": x if pairwise else None,
                "malformed_rate": 0.1,
                "mean_thinking_tokens": 5.0,
            }
        )
    rows = tables.judge_rows(measured, judges)
    return pl.from_dicts(rows, infer_schema_length=None)


def test_judge_tables_pick_judges_by_what_they_are():
    judges = dict(
        [
            judge("nr", "non_reasoning", ["sft"]),
            judge("base-nr", "non_reasoning", []),
            judge("r", "reasoning", ["sft", "grpo"]),
            judge("rl", "reasoning", ["grpo"]),
            judge("base-r", "reasoning", []),
            judge("nr-rub", "non_reasoning", ["sft"], rubrics=True),
            judge("base-nr-rub", "non_reasoning", [], rubrics=True),
            judge("r-med", "reasoning", ["sft", "grpo"], effort="medium"),
            judge("r-low", "reasoning", ["sft"], effort="low"),
            judge("pw-nr", "non_reasoning", ["sft"], fmt="pairwise"),
            judge("pw-r", "reasoning", ["sft", "grpo"], fmt="pairwise"),
            judge("base-pw-r", "reasoning", [], fmt="pairwise"),
            judge("r-big", "reasoning", ["sft", "grpo"], base="big"),
        ]
    )
    values = {name: k / 20 for k, name in enumerate(judges)}
    frame = frame_of(judges, values)

    t2 = tables.judge_table(frame, "table2")
    assert t2.columns == ["base", "distill+RL alpha_x100", "RL-only alpha_x100"]
    rows = {r["base"]: r for r in t2.iter_rows(named=True)}
    assert rows["m"]["distill+RL alpha_x100"] == pytest.approx(100 * values["r"])
    assert rows["m"]["RL-only alpha_x100"] == pytest.approx(100 * values["rl"])
    assert (
        rows["big"]["RL-only alpha_x100"] is None
    )  # no RL-only judge of that base: an empty cell

    t3 = {
        r["training"]: r
        for r in tables.judge_table(frame, "table3").iter_rows(named=True)
    }
    assert t3["untuned"]["without rubrics alpha_x100"] == pytest.approx(
        100 * values["base-nr"]
    )
    assert t3["untuned"]["with rubrics alpha_x100"] == pytest.approx(
        100 * values["base-nr-rub"]
    )
    assert t3["fine-tuned"]["with rubrics alpha_x100"] == pytest.approx(
        100 * values["nr-rub"]
    )

    t4 = tables.judge_table(frame, "table4").filter(pl.col("base") == "m")
    assert t4["judge"].to_list() == ["r-low", "r-med", "r"]  # low, medium, high effort
    assert t4["mean_thinking_tokens"].to_list() == [5.0, 5.0, 5.0]

    t5 = {
        r["mode"]: r for r in tables.judge_table(frame, "table5").iter_rows(named=True)
    }
    assert t5["reasoning"]["fine-tuned accuracy_x100"] == pytest.approx(
        100 * values["pw-r"]
    )
    assert t5["reasoning"]["untuned accuracy_x100"] == pytest.approx(
        100 * values["base-pw-r"]
    )
    assert t5["non_reasoning"]["untuned accuracy_x100"] is None

    fig2 = tables.figure2_rows(frame)
    assert set(fig2["judge"]) == {"nr", "base-nr", "r", "base-r", "r-big"}
    with pytest.raises(ValueError, match="unknown judge table"):
        tables.judge_table(frame, "table9")


def test_an_empty_table_keeps_its_columns():
    judges = dict([judge("nr", "non_reasoning", ["sft"])])
    t5 = tables.judge_table(frame_of(judges, {"nr": 0.5}), "table5")
    assert t5.is_empty() and t5.columns == [
        "base",
        "mode",
        "untuned accuracy_x100",
        "fine-tuned accuracy_x100",
    ]


def test_the_malformed_rate_before_rl_sits_beside_the_judges_own():
    judges = dict(
        [
            judge("r", "reasoning", ["sft", "grpo"]),
            judge("nr", "non_reasoning", ["sft"]),
        ]
    )
    measured = [
        {"judge": name, "n": 10, "alpha": 0.5, "malformed_rate": 0.01}
        | {"mean_thinking_tokens": 5.0}
        for name in judges
    ]
    rows = tables.judge_rows(measured, judges, {"r": {"malformed_rate": 0.08}})
    by_judge = {r["judge"]: r for r in rows}
    assert by_judge["r"]["malformed_rate_before_rl"] == 0.08
    assert by_judge["r"]["malformed_rate"] == 0.01
    assert by_judge["nr"]["malformed_rate_before_rl"] is None
