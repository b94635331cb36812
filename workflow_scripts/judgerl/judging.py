"""The one place that turns judge conversations into verdicts, pointwise and pairwise.

Gold annotation, judge evaluation, the policy reward and policy evaluation all call
`judge_pointwise` (or `judge_pairwise`), so a verdict means the same thing at every stage.

Verdicts are read one of two ways (config `verdict`):
- `parsed`: the judge writes freely; the score is parsed from its text, and an output without a
  valid score line is invalid (counted). This is how the paper reads gpt-oss and its judges.
- `argmax`: the judge thinks (reasoning mode), then the verdict line is forced and the verdict is
  the most probable of its tokens (0..9, or 1 / 2). It always yields a verdict, which a 135M
  stand-in for the gold judge needs to be a usable labeller; the thinking trace is kept as for
  `parsed`.
In both, the distribution at the verdict position gives the expected score (pointwise) and the
probability that the second response is better (pairwise).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from judgerl import known_gold
from judgerl.engines import (
    Sampling,
    TokenizerEngine,
    score_probs_from_logprobs,
    with_stop,
)
from judgerl.prompts import (
    NON_REASONING,
    PAIRWISE,
    POINTWISE,
    REASONING,
    THINK_CLOSE,
    VerdictFormat,
    judge_messages,
)
from judgerl.verdicts import expected_score, parse_verdict, renormalise

log = logging.getLogger(__name__)
VERDICT_READINGS = ("parsed", "argmax")


@dataclass(frozen=True)
class JudgeSettings:
    mode: str  # reasoning | non_reasoning
    sampling: Sampling  # max_tokens covers the thinking and the verdict line
    verdict: str = "parsed"
    wording: str = "study"  # the rules of the judge prompt (prompts.WORDINGS)

    @classmethod
    def of(cls, inference: dict) -> JudgeSettings:
        """From a rule's inference slice (config: `judge_inference`, or the gold's)."""
        return cls.from_config(
            inference["mode"], inference["sampling"], inference["wording"]
        )

    @classmethod
    def from_config(
        cls, mode: str, cfg: dict, wording: str = "study", **sampling_overrides
    ) -> JudgeSettings:
        verdict = cfg.get("verdict", "parsed")
        if verdict not in VERDICT_READINGS:
            raise ValueError(
                f"verdict must be one of {VERDICT_READINGS}, got {verdict!r}"
            )
        return cls(
            mode=mode,
            sampling=Sampling.from_config(cfg, **sampling_overrides),
            verdict=verdict,
            wording=wording,
        )


def judge_verdicts(
    engine,
    conversations: list[list[dict]],
    settings: JudgeSettings,
    fmt: VerdictFormat = POINTWISE,
) -> list[dict]:
    """One record per conversation: verdict, validity, distribution over the verdicts, trace."""
    local = isinstance(engine, TokenizerEngine)
    forced = settings.verdict == "argmax"
    if forced and not local:
        raise ValueError(
            "verdict 'argmax' needs a local engine (transformers or vllm) to force the verdict line"
        )
    completions = _completions(engine, conversations, settings)
    parsed = [
        None if c is None else parse_verdict(c.text, settings.mode, c.reasoning, fmt)
        for c in completions
    ]
    if local:
        reasonings = [None if p is None else p.reasoning for p in parsed]
        raw = engine.score_probs(conversations, settings.mode, reasonings, fmt)
    else:
        raw = [score_probs_from_logprobs(c.text, c.logprobs, fmt) for c in completions]
    tokenizer = getattr(engine, "tokenizer", None)
    records = [
        verdict_record(c, p, probs, settings, fmt, tokenizer)
        for c, p, probs in zip(completions, parsed, raw)
    ]
    n_invalid = sum(not r["valid"] for r in records)
    if n_invalid:
        log.info("%d of %d verdicts are invalid", n_invalid, len(records))
    return records


def _completions(engine, conversations: list[list[dict]], settings: JudgeSettings):
    """The judge's own writing per conversation: its thinking only, stopped at the closing tag,
    when the verdict line is forced; None where a forced non-reasoning verdict writes nothing
    before it."""
    forced = settings.verdict == "argmax"
    if forced and settings.mode == NON_REASONING:
        return [None] * len(conversations)
    sampling = (
        with_stop(settings.sampling, THINK_CLOSE) if forced else settings.sampling
    )
    return engine.complete(conversations, sampling, settings.mode)


def verdict_record(
    completion,
    parsed,
    probs: list[float] | None,
    settings: JudgeSettings,
    fmt: VerdictFormat,
    tokenizer=None,
) -> dict:
    """One verdict's record from the judge's completion (None: nothing written), its parse and
    the digit probabilities at the verdict position (None: not read)."""
    forced = settings.verdict == "argmax"
    dist = renormalise(probs, fmt) if probs is not None else None
    score = None if parsed is None else parsed.score
    if forced:
        verdict = (
            fmt.labels[max(range(len(dist)), key=dist.__getitem__)] if dist else None
        )
    else:
        verdict = score
    reasoning = None if parsed is None else parsed.reasoning
    thinking_closed = True if parsed is None else parsed.thinking_closed
    return {
        "reasoning": reasoning,
        "answer": "" if parsed is None else parsed.answer,
        "finished": True if completion is None else completion.finished,
        "n_tokens": 0 if completion is None else completion.n_tokens,
        "thinking_closed": thinking_closed,
        "parsed": score,
        "verdict_mass": (
            float(sum(probs[x] for x in fmt.labels)) if probs is not None else None
        ),
        "dist": dist,
        "verdict": verdict,
        "valid": verdict is not None,
        "malformed": _malformed(score, settings, thinking_closed),
        "thinking_tokens": _thinking_tokens(
            reasoning, completion, settings.mode, tokenizer
        ),
    }


def _malformed(
    score: int | None, settings: JudgeSettings, thinking_closed: bool
) -> bool | None:
    """The judge's own output fails its format, even where a forced verdict makes it usable: no
    verdict line (parsed), or thinking that never closed (forced). A forced non-reasoning verdict
    writes nothing of its own: not observed (None)."""
    if settings.verdict != "argmax":
        return score is None
    return None if settings.mode == NON_REASONING else not thinking_closed


def _thinking_tokens(reasoning: str | None, completion, mode: str, tokenizer) -> int:
    """Tokens of a reasoning judge's thinking (by the engine's tokenizer, else the completion's
    own count); 0 for a non-reasoning judge."""
    if mode != REASONING or reasoning is None:
        return 0
    if tokenizer is None:
        return completion.n_tokens
    return len(tokenizer.encode(reasoning, add_special_tokens=False))


def judge_pointwise(
    engine,
    instructions: list[str],
    responses: list[str],
    settings: JudgeSettings,
    rubrics: list[str | None] | None = None,
    wording: str | None = None,
) -> list[dict]:
    """Scores 0..9 of (instruction, response): score, parsed_score, probs, expected_score, trace.
    `wording` overrides the settings' wording of the prompt (prompts.WORDINGS), for the robustness
    check."""
    if len(instructions) != len(responses):
        raise ValueError("instructions and responses differ in length")
    if isinstance(engine, known_gold.KnownGold):
        # It reads no prompt, so neither rubric nor wording enters.
        effort = settings.sampling.reasoning_effort
        return known_gold.judge_pointwise(engine, instructions, responses, effort)
    rubrics = rubrics or [None] * len(instructions)
    conversations = [
        judge_messages(
            POINTWISE, settings.mode, i, [r], rb, wording or settings.wording
        )
        for i, r, rb in zip(instructions, responses, rubrics)
    ]
    records = judge_verdicts(engine, conversations, settings, POINTWISE)
    for r in records:
        dist = r.pop("dist")
        r["score"], r["parsed_score"] = r.pop("verdict"), r.pop("parsed")
        r["score_mass"] = r.pop("verdict_mass")
        r["probs"] = [round(p, 6) for p in dist] if dist else None
        r["expected_score"] = expected_score([*dist]) if dist else None
    return records


def judge_pairwise(
    engine,
    instructions: list[str],
    firsts: list[str],
    seconds: list[str],
    settings: JudgeSettings,
    rubrics: list[str | None] | None = None,
) -> list[dict]:
    """Choices between two responses: choice (1 or 2), parsed_choice, p_second, trace."""
    if not len(instructions) == len(firsts) == len(seconds):
        raise ValueError("instructions and the two response lists differ in length")
    if isinstance(engine, known_gold.KnownGold):
        effort = settings.sampling.reasoning_effort
        return known_gold.judge_pairwise(engine, instructions, firsts, seconds, effort)
    rubrics = rubrics or [None] * len(instructions)
    conversations = [
        judge_messages(PAIRWISE, settings.mode, i, [a, b], rb, settings.wording)
        for i, a, b, rb in zip(instructions, firsts, seconds, rubrics)
    ]
    records = judge_verdicts(engine, conversations, settings, PAIRWISE)
    for r in records:
        dist = r.pop("dist")
        r["choice"], r["parsed_choice"] = r.pop("verdict"), r.pop("parsed")
        r["choice_mass"] = r.pop("verdict_mass")
        r["p_second"] = round(dist[1], 6) if dist else None
    return records


def keep_matching(
    rows: list[dict], reference: list[dict], field: str = "score"
) -> list[dict]:
    """The valid verdicts whose `field` (score or choice) equals the reference verdict's, key by key."""
    ref = {r["key"]: r[field] for r in reference if r["valid"]}
    return [
        r for r in rows if r["valid"] and r["key"] in ref and r[field] == ref[r["key"]]
    ]


def judge_examples(
    engine, examples: list[dict], settings: JudgeSettings, fmt: VerdictFormat
) -> list[dict]:
    """Verdicts on gold examples (data.gold_examples), each with `label` = its score or choice."""
    instructions = [e["instruction"] for e in examples]
    rubrics = [e.get("rubric") for e in examples]
    if fmt is PAIRWISE:
        records = judge_pairwise(
            engine,
            instructions,
            [e["responses"][0] for e in examples],
            [e["responses"][1] for e in examples],
            settings,
            rubrics,
        )
        return [{**r, "label": r["choice"]} for r in records]
    records = judge_pointwise(
        engine, instructions, [e["responses"][0] for e in examples], settings, rubrics
    )
    return [{**r, "label": r["score"]} for r in records]


def judge_both_orders(
    engine,
    instructions: list[str],
    candidates: list[str],
    opponents: list[str],
    settings: JudgeSettings,
    rubrics: list[str | None] | None = None,
) -> list[tuple[dict, dict]]:
    """Each candidate against its opponent in two pairwise games, positions swapped: the first
    game shows the candidate first, the second shows it second. One batch for all games."""
    n = len(instructions)
    if not n == len(candidates) == len(opponents):
        raise ValueError("instructions, candidates and opponents differ in length")
    verdicts = judge_pairwise(
        engine,
        instructions * 2,
        candidates + opponents,
        opponents + candidates,
        settings,
        rubrics * 2 if rubrics else None,
    )
    return list(zip(verdicts[:n], verdicts[n:]))
