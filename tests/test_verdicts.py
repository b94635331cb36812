import math

import pytest

from judgerl.prompts import NON_REASONING, POINTWISE, REASONING, verdict_completion
from judgerl.verdicts import (
    expected_score,
    judge_accuracy_reward,
    parse_verdict,
    renormalise,
    split_thinking,
)


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("Score: 7", 7),
        ("score: 0", 0),
        ("**Score:** 9", 9),
        ("The answer is fine.\nScore: 4", 4),
        ('Format "Score: N" asked.\nScore: 3', 3),  # the last score line wins
        ("Score: 10", None),  # out of range
        ("Score: 7.5", None),  # not an integer
        ("I would give it a seven.", None),
        ("", None),
    ],
)
def test_parse_non_reasoning(text, score):
    verdict = parse_verdict(text, NON_REASONING)
    assert verdict.score == score
    assert verdict.valid is (score is not None)


def test_parse_reasoning_needs_closed_thinking():
    closed = parse_verdict("It follows the instruction.\n</think>\nScore: 8", REASONING)
    assert (
        closed.score == 8
        and closed.reasoning == "It follows the instruction."
        and closed.thinking_closed
    )
    # A score written inside unfinished thinking is not a verdict.
    unclosed = parse_verdict("Maybe Score: 8 ... still thinking", REASONING)
    assert unclosed.score is None and not unclosed.thinking_closed
    # Thinking closed without a score line.
    assert parse_verdict("done\n</think>\nGood answer.", REASONING).score is None


def test_parse_reasoning_returned_separately():
    verdict = parse_verdict("Score: 2", REASONING, reasoning="the server's reasoning")
    assert verdict.score == 2 and verdict.reasoning == "the server's reasoning"


def test_training_target_parses_back():
    for mode in (REASONING, NON_REASONING):
        text = verdict_completion(6, mode, "Accurate and complete.")
        if mode == REASONING:
            text = text  # written after the opened <think>
        assert parse_verdict(text, mode).score == 6
    assert split_thinking(verdict_completion(6, REASONING, "r"))[0] == "r"


def test_expected_score_by_hand():
    probs = [0.0] * 10
    probs[3], probs[7] = 0.1, 0.3  # renormalised: 0.25, 0.75
    assert expected_score(probs) == pytest.approx(3 * 0.25 + 7 * 0.75)
    assert renormalise([0.0] * 10) is None
    assert expected_score([1.0] + [0.0] * 9) == 0.0
    assert expected_score([0.1] * 10) == pytest.approx(4.5)
    with pytest.raises(ValueError):
        renormalise([0.5, 0.5])


@pytest.mark.parametrize(
    ("predicted", "gold", "reward"),
    [
        (5, 5, 1.0),
        (4, 5, 80 / 81),
        (0, 9, 0.0),
        (9, 0, 0.0),
        (7, 4, 72 / 81),
        (None, 3, -1.0),
        (12, 3, -1.0),
    ],
)
def test_eq1(predicted, gold, reward):
    assert judge_accuracy_reward(predicted, gold) == pytest.approx(reward)
    assert not math.isnan(reward)


def test_lower_effort_keeps_items_matching_high():
    from judgerl.judging import keep_matching

    high = [
        {"key": "a", "score": 7, "valid": True},
        {"key": "b", "score": 2, "valid": True},
        {"key": "c", "score": None, "valid": False},
        {"key": "d", "score": 5, "valid": True},
    ]
    low = [
        {"key": "a", "score": 7, "valid": True},
        {"key": "b", "score": 3, "valid": True},
        {"key": "c", "score": 4, "valid": True},
        {"key": "d", "score": None, "valid": False},
        {"key": "e", "score": 1, "valid": True},
    ]
    assert [r["key"] for r in keep_matching(low, high)] == ["a"]


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        ("Better: 1", 1),
        ("**Better:** 2", 2),
        ("better = 2", 2),
        ("Better: Response 1", 1),
        ("Better: (2)", 2),
        ("Better: 3", None),
        ("Better: 0", None),
        ("Score: 1", None),
        ("Both are fine.", None),
    ],
)
def test_parse_pairwise(text, choice):
    from judgerl.prompts import PAIRWISE

    assert parse_verdict(text, NON_REASONING, fmt=PAIRWISE).score == choice


def test_pairwise_distribution_is_renormalised_over_the_two_choices():
    from judgerl.prompts import PAIRWISE

    probs = [0.0] * 10
    probs[1], probs[2], probs[7] = 0.2, 0.6, 0.2  # mass on other digits is not a choice
    assert renormalise(probs, PAIRWISE) == pytest.approx([0.25, 0.75])
    assert renormalise([0.5] + [0.0] * 9, PAIRWISE) is None


def test_pairwise_training_target_parses_back():
    from judgerl.prompts import PAIRWISE

    for mode in (REASONING, NON_REASONING):
        assert (
            parse_verdict(
                verdict_completion(2, mode, "The second is accurate.", PAIRWISE),
                mode,
                fmt=PAIRWISE,
            ).score
            == 2
        )


def judge_settings(mode: str, verdict: str):
    from judgerl.judging import JudgeSettings

    return JudgeSettings.from_config(mode, {"max_tokens": 8, "verdict": verdict})


def test_a_verdict_record_read_from_the_text():
    from judgerl.engines import Completion
    from judgerl.judging import verdict_record

    completion = Completion(text="<think>hm</think>Score: 3", finished=True, n_tokens=7)
    parsed = parse_verdict(completion.text, REASONING)
    probs = [0.0] * 10
    probs[3], probs[4] = 0.3, 0.1
    record = verdict_record(
        completion, parsed, probs, judge_settings(REASONING, "parsed"), POINTWISE
    )
    assert (record["verdict"], record["parsed"], record["valid"]) == (3, 3, True)
    assert record["malformed"] is False and record["thinking_tokens"] == 7
    assert record["verdict_mass"] == pytest.approx(0.4)
    assert record["dist"][3] == pytest.approx(0.75)
    assert list(record) == [
        "reasoning",
        "answer",
        "finished",
        "n_tokens",
        "thinking_closed",
        "parsed",
        "verdict_mass",
        "dist",
        "verdict",
        "valid",
        "malformed",
        "thinking_tokens",
    ]


def test_a_forced_verdict_record():
    from judgerl.engines import Completion
    from judgerl.judging import verdict_record

    probs = [0.1] * 10
    probs[6] = 0.5
    # non-reasoning: nothing written before the forced line, malformed not observed
    record = verdict_record(
        None, None, probs, judge_settings(NON_REASONING, "argmax"), POINTWISE
    )
    assert record["verdict"] == 6 and record["malformed"] is None
    assert (
        record["answer"] == ""
        and record["n_tokens"] == 0
        and record["thinking_tokens"] == 0
    )

    # reasoning whose thinking never closed: usable, but malformed
    completion = Completion(text="<think>one two three", finished=False, n_tokens=9)
    parsed = parse_verdict(completion.text, REASONING)

    class Words:
        def encode(self, text, add_special_tokens=False):
            return text.split()

    settings = judge_settings(REASONING, "argmax")
    record = verdict_record(completion, parsed, probs, settings, POINTWISE, Words())
    assert record["verdict"] == 6 and record["malformed"] is True
    assert record["thinking_tokens"] == 3
    assert (
        verdict_record(completion, parsed, [0.0] * 10, settings, POINTWISE)["valid"]
        is False
    )
