"""The two games of an Arena-Hard-V2 question before the judge (game 1: the baseline is
assistant A; game 2: the contestant is), their verdict labels, and the battle rows they give."""

from __future__ import annotations

import re
from collections import Counter

from judgerl.arena.answers import answer_text
from judgerl.arena.prompts import judge_messages
from judgerl.engines import Sampling, TokenizerEngine

LABELS = (
    "A>>B",
    "A>B",
    "A=B",
    "B>A",
    "B>>A",
)  # what a forced (argmax) verdict chooses from
# Outcome for assistant A, repeated for strong verdicts (each entry is one battle row).
_OUTCOME_A = {
    "A>B": (1.0,),
    "A>>B": (1.0,) * 3,
    "A=B": (0.5,),
    "B>A": (0.0,),
    "B>>A": (0.0,) * 3,
    "A<B": (0.0,),
    "A<<B": (0.0,) * 3,
    "B<A": (1.0,),
    "B<<A": (1.0,) * 3,
    "B=A": (0.5,),
}
_DOUBLE = re.compile(r"\[\[([AB<>=]+)\]\]")
_SINGLE = re.compile(r"\[([AB<>=]+)\]")

# A forced verdict continues the judge's reply from here (only for stand-in judges too small to
# write a judgment).
VERDICT_PREFIX = "My final verdict is: [["
# Questions judged per call; the judgments are kept between calls.
CHUNK = 16


def parse_label(judgment: str | None) -> str | None:
    """The verdict label of a judgment: the last [[...]] label, else the last [...] one; None if
    there is none or it is not a known label."""
    if not judgment:
        return None
    text = judgment.upper()
    found = _DOUBLE.findall(text) or _SINGLE.findall(text)
    if not found:
        return None
    label = found[-1].strip()
    return label if label in _OUTCOME_A else None


def _argmax_games(engine, conversations: list[list[dict]]) -> list[dict]:
    """Each conversation's most probable label sequence after VERDICT_PREFIX, with the label
    log-probabilities."""
    if not isinstance(engine, TokenizerEngine):
        raise ValueError(
            "arena_hard.judge.verdict 'argmax' needs a local judge (transformers backend)"
        )
    prefixes = [engine.render(c, None) + VERDICT_PREFIX for c in conversations]
    scores = engine.continuation_logprobs(prefixes, [f"{label}]]" for label in LABELS])
    games = []
    for row in scores:
        label = LABELS[max(range(len(row)), key=row.__getitem__)]
        games.append(
            {
                "score": label,
                "judgment": f"{VERDICT_PREFIX}{label}]]",
                "label_logprobs": [round(x, 4) for x in row],
            }
        )
    return games


def judge_games(
    engine,
    questions: list[dict],
    answers: dict[str, dict],
    baseline: dict[str, dict],
    judge: dict,
    prompts: dict | None = None,
) -> list[dict]:
    """Both games of every question, as arena-hard judgment records (uid, category, judge, model,
    baseline, games). Game 1 shows the baseline as assistant A, game 2 the contestant.

    judge: name, verdict (`parsed`: the judge writes its judgment, the last label counts;
    `argmax`: the most probable label sequence after VERDICT_PREFIX, local engines only), sampling.
    """
    conversations = []
    for q in questions:
        mine, theirs = answer_text(answers[q["uid"]]), answer_text(baseline[q["uid"]])
        conversations += [
            judge_messages(q["category"], q["prompt"], theirs, mine, prompts),
            judge_messages(q["category"], q["prompt"], mine, theirs, prompts),
        ]
    if judge["verdict"] == "argmax":
        games = _argmax_games(engine, conversations)
    else:
        completions = engine.complete(
            conversations, Sampling.from_config(judge["sampling"])
        )
        games = [
            {"score": parse_label(c.text), "judgment": c.text} for c in completions
        ]
    return [
        {
            "uid": q["uid"],
            "category": q["category"],
            "judge": judge["name"],
            "model": answers[q["uid"]]["model"],
            "baseline": baseline[q["uid"]]["model"],
            "judge_prompts": prompts["source"] if prompts else "judgerl.arena",
            "games": games[2 * k : 2 * k + 2],
        }
        for k, q in enumerate(questions)
    ]


def judge_in_chunks(
    engine,
    todo: list[dict],
    answers: dict[str, dict],
    baseline: dict[str, dict],
    judge: dict,
    prompts: dict | None,
    progress,
    meter,
) -> None:
    """judge_games over `todo`, CHUNK questions a call, each chunk's records added to `progress`
    and counted on `meter`."""
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        progress.add(judge_games(engine, chunk, answers, baseline, judge, prompts))
        meter.advance(len(chunk))


def verdict_summary(records: list[dict]) -> tuple[int, dict[str | None, int]]:
    """How many questions have a game without a readable verdict, and the count of every
    verdict label over all games (None: unreadable)."""
    unreadable = sum(any(g["score"] is None for g in r["games"]) for r in records)
    return unreadable, dict(Counter(g["score"] for r in records for g in r["games"]))


def battle_rows(judgment: dict, weight: int = 3) -> list[float]:
    """The model's outcomes from one judgment record (games[0]: A = baseline, games[1]: A = model).
    Empty when either game has no readable verdict: the question is dropped, as arena-hard does."""
    games = judgment.get("games") or []
    if len(games) != 2 or any(
        g is None or g.get("score") not in _OUTCOME_A for g in games
    ):
        return []
    rows = []
    for game, model_is_a in ((games[0], False), (games[1], True)):
        outcomes = _OUTCOME_A[game["score"]]
        if len(outcomes) > 1:
            outcomes = (outcomes[0],) * weight
        rows += [s if model_is_a else 1.0 - s for s in outcomes]
    return rows
