"""The known gold (judgerl/known_gold.py) and the default's candidates (judgerl/candidates.py)."""

import random

import pytest

from judgerl import candidates, known_gold
from judgerl.engines import Sampling
from judgerl.judging import JudgeSettings, judge_pairwise, judge_pointwise
from judgerl.verdicts import parse_verdict

GOLD = known_gold.KnownGold(length=(8, 24))
INSTRUCTION = "How does a solar panel produce electricity?"
GOOD = (
    "A solar panel turns sunlight into electricity: light frees electrons in silicon "
    "cells, and the panel carries them off as a current."
)


def settings(effort="high"):
    return JudgeSettings("reasoning", Sampling(max_tokens=96, reasoning_effort=effort))


def test_key_words_skip_stopwords_and_short_words():
    assert known_gold.key_words(INSTRUCTION) == [
        "solar",
        "panel",
        "produce",
        "electricity",
    ]


@pytest.mark.parametrize(
    "response, points, score",
    [
        # every key word but "produce" (3 of 4: topic 3), ends, 22 words, no repeats
        (GOOD, {"topic": 3, "ending": 2, "length": 2, "repetition": 2}, 9),
        # cut off: no sentence end
        (
            "A solar panel turns sunlight into electricity by freeing electrons in the",
            {"topic": 3, "ending": 0, "length": 2, "repetition": 2},
            7,
        ),
        # off topic, and a stub of 5 words (half the lower bound is 4: one length point)
        (
            "Cats sleep most of the day.",
            {"topic": 0, "ending": 2, "length": 1, "repetition": 2},
            5,
        ),
        # one phrase six times: 42 words (over 1.5 x 24), 33 of 40 trigrams repeated
        (
            " ".join(["solar panel makes power from light now."] * 6),
            {"topic": 2, "ending": 2, "length": 0, "repetition": 0},
            4,
        ),
        ("", {"topic": 0, "ending": 0, "length": 0, "repetition": 2}, 2),
    ],
)
def test_points_by_hand(response, points, score):
    verdict = GOLD.check(INSTRUCTION, response)
    assert verdict.points == points
    assert verdict.score == score == sum(points.values())


def test_trace_walks_the_checks_and_parses_to_its_score():
    [record] = judge_pointwise(GOLD, [INSTRUCTION], [GOOD], settings())
    assert record["reasoning"].startswith(
        "Key words: solar, panel, produce, electricity."
    )
    assert (
        "found 3 -> 3; ends -> 2; 22 words -> 2; 0% repeated -> 2; total 9."
        in (record["reasoning"])
    )
    assert record["score"] == 9 and record["valid"] and record["probs"][9] == 1.0
    # The trace and its verdict line read back as the judges' own output would be.
    text = f"{record['reasoning']}</think>\n{record['answer']}"
    assert parse_verdict(text, "reasoning").score == 9


def test_lower_effort_skips_the_last_checks():
    repeated = " ".join(["A solar panel makes electricity from light."] * 4)
    high = judge_pointwise(GOLD, [INSTRUCTION], [repeated], settings("high"))[0]
    low = judge_pointwise(GOLD, [INSTRUCTION], [repeated], settings("low"))[0]
    # low effort checks topic and ending only and grants length and repetition unexamined
    assert low["score"] == 9 and high["score"] < 9
    assert "repeated" not in low["reasoning"] and "repeated" in high["reasoning"]
    with pytest.raises(ValueError, match="no effort 'extreme'"):
        known_gold.effort_checks("extreme")


def test_pairwise_prefers_the_higher_score_in_either_order():
    bad = "Cats sleep"
    one = judge_pairwise(GOLD, [INSTRUCTION], [GOOD], [bad], settings())[0]
    two = judge_pairwise(GOLD, [INSTRUCTION], [bad], [GOOD], settings())[0]
    assert (one["choice"], two["choice"]) == (1, 2)
    assert two["p_second"] == 1.0 and two["reasoning"].endswith("Response 2 is better.")


def test_rubric_states_what_is_checked():
    rubric = GOLD.rubric(INSTRUCTION)
    assert "solar, panel, produce, electricity" in rubric and "8 to 24 words" in rubric


def test_trim_to_sentence():
    assert candidates.trim_to_sentence("One. Two is cut") == "One."
    assert candidates.trim_to_sentence("Steps:\n1. Open the") == "Steps:\n1. Open the"
    assert candidates.trim_to_sentence("no end at all") == "no end at all"


def test_degrade_changes_one_candidate_in_a_share_of_rows():
    rows = [
        {
            "responses": [
                f"Answer {n} is a full sentence here.",
                f"Other {n} one too.",
            ],
            "origins": ["model:T=0.6", "model:T=1.1"],
        }
        for n in range(10)
    ]
    before = [list(r["responses"]) for r in rows]
    candidates.degrade(rows, 0.5, list(candidates.KINDS), seed=3)
    changed = [
        k
        for n, r in enumerate(rows)
        for k in range(2)
        if r["responses"][k] != before[n][k]
    ]
    assert len(changed) == 5
    tags = [o.split("+")[1] for r in rows for o in r["origins"] if "+" in o]
    assert len(tags) == 5 and set(tags) <= set(candidates.KINDS)
    again = [
        {"responses": list(b), "origins": ["model:T=0.6", "model:T=1.1"]}
        for b in before
    ]
    candidates.degrade(again, 0.5, list(candidates.KINDS), seed=3)
    assert [r["responses"] for r in again] == [r["responses"] for r in rows]  # seeded
    with pytest.raises(ValueError, match="unknown degradation"):
        candidates.degrade(rows, 0.5, ["shouting"], seed=3)


def test_degradations_lower_the_gold_score():
    rng = random.Random(0)
    assert GOLD.check(INSTRUCTION, candidates.cut_off(GOOD, rng)).score < 9
    assert GOLD.check(INSTRUCTION, candidates.repetitive(GOOD, rng)).score < 9


def test_dataset_pairs_in_a_seeded_order():
    items = [
        {
            "id": f"q{n}",
            "instruction": f"Say {n}.",
            "responses": [f"good {n}", f"bad {n}"],
        }
        for n in range(20)
    ]
    rows = candidates.dataset_pairs(items, seed=1)
    assert rows == candidates.dataset_pairs(items, seed=1)
    firsts = {r["origins"][0] for r in rows}
    assert firsts == {"dataset:chosen", "dataset:rejected"}
    for r in rows:
        chosen = r["origins"].index("dataset:chosen")
        assert r["responses"][chosen].startswith("good")
    with pytest.raises(ValueError, match="has no response pair"):
        candidates.dataset_pairs([{"id": "x", "instruction": "i"}], seed=1)


def test_sampled_rows_one_response_per_temperature():
    from types import SimpleNamespace

    items = [{"id": "q", "instruction": "Say."}]
    samples = [
        [SimpleNamespace(text=" One. Two is cut")],
        [SimpleNamespace(text=" Alone ")],
    ]
    (trimmed,) = candidates.sampled_rows(items, samples, [0.6, 1.1], trim=True)
    assert trimmed["responses"] == ["One.", "Alone"]
    assert trimmed["origins"] == ["model:T=0.6", "model:T=1.1"]
    (plain,) = candidates.sampled_rows(items, samples, [0.6, 1.1], trim=False)
    assert plain["responses"] == ["One. Two is cut", "Alone"]
