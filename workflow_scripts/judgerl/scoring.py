"""Policy answers scored by one scorer (rules score_answers_*): the run's training judge or gold.

Pointwise: a score 0..9 per answer. Pairwise: a win rate against the baseline answer to the same
prompt, each answer judged against it in both orders (rewards.both_order_wins: a win in both is
1, a split 0.5, an invalid verdict half a game).
"""

from __future__ import annotations

from judgerl.judging import JudgeSettings, judge_both_orders, judge_pointwise
from judgerl.rewards import both_order_wins


def score_pointwise(
    engine,
    answers: list[dict],
    settings: JudgeSettings,
    rubrics: dict[str, str] | None = None,
) -> list[dict]:
    """Each answer's id and text beside the scorer's verdict on it."""
    verdicts = judge_pointwise(
        engine,
        [a["instruction"] for a in answers],
        [a["answer"] for a in answers],
        settings,
        [rubrics[a["id"]] for a in answers] if rubrics else None,
    )
    return [
        {"id": a["id"], "answer": a["answer"], **v} for a, v in zip(answers, verdicts)
    ]


def score_pairwise(
    engine,
    answers: list[dict],
    settings: JudgeSettings,
    baseline: dict[str, str],
    rubrics: dict[str, str] | None = None,
    baseline_file: str = "the baseline",
) -> list[dict]:
    """Each answer's win rate against its prompt's baseline answer (`baseline` by prompt id,
    read from `baseline_file`), with the two games' verdicts."""
    missing = [a["id"] for a in answers if a["id"] not in baseline]
    if missing:
        raise KeyError(
            f"{baseline_file} has no baseline answer for {len(missing)} prompts, "
            f"e.g. {missing[:3]}"
        )
    base = [baseline[a["id"]] for a in answers]
    games = judge_both_orders(
        engine,
        [a["instruction"] for a in answers],
        [a["answer"] for a in answers],
        base,
        settings,
        [rubrics[a["id"]] for a in answers] if rubrics else None,
    )
    return [
        {
            "id": a["id"],
            "answer": a["answer"],
            "baseline": opponent,
            "win_rate": both_order_wins(first["choice"], second["choice"]),
            "valid": first["valid"] and second["valid"],
            "verdicts": [first, second],
        }
        for a, opponent, (first, second) in zip(answers, base, games)
    ]
