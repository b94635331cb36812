"""The one place that turns (instruction, response) pairs into pointwise judge verdicts.

Gold annotation, judge evaluation, the policy reward and policy evaluation all call
`judge_pointwise`, so a score means the same thing at every stage.

Verdicts are read one of two ways (config `verdict`):
- `parsed`: the judge writes freely; the score is parsed from its text, and an output without a
  valid score line is invalid (counted). This is how the paper reads gpt-oss and its judges.
- `argmax`: the judge thinks (reasoning mode), then the verdict line is forced and the score is the
  most probable of the tokens 0..9. It always yields a score, which a 135M stand-in for the gold
  judge needs to be a usable labeller; the thinking trace is kept as for `parsed`.
In both, the score distribution at the score position gives the expected score.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from judgerl.engines import LocalEngine, Sampling, with_stop
from judgerl.prompts import NON_REASONING, REASONING, THINK_CLOSE, pointwise_messages
from judgerl.verdicts import expected_score, parse_verdict, renormalise

log = logging.getLogger(__name__)
VERDICT_READINGS = ("parsed", "argmax")


@dataclass(frozen=True)
class JudgeSettings:
    mode: str  # reasoning | non_reasoning
    sampling: Sampling  # max_tokens covers the thinking and the verdict line
    verdict: str = "parsed"

    @classmethod
    def from_config(cls, mode: str, cfg: dict, **sampling_overrides) -> JudgeSettings:
        verdict = cfg.get("verdict", "parsed")
        if verdict not in VERDICT_READINGS:
            raise ValueError(f"verdict must be one of {VERDICT_READINGS}, got {verdict!r}")
        return cls(mode=mode, sampling=Sampling.from_config(cfg, **sampling_overrides), verdict=verdict)


def judge_pointwise(engine, instructions: list[str], responses: list[str], settings: JudgeSettings,
                    rubrics: list[str | None] | None = None) -> list[dict]:
    """One verdict record per (instruction, response): score, validity, distribution, trace."""
    if len(instructions) != len(responses):
        raise ValueError("instructions and responses differ in length")
    mode = settings.mode
    rubrics = rubrics or [None] * len(instructions)
    conversations = [pointwise_messages(i, r, mode, rb) for i, r, rb in zip(instructions, responses, rubrics)]
    local = isinstance(engine, LocalEngine)
    forced = settings.verdict == "argmax"
    if forced and not local:
        raise ValueError("verdict 'argmax' needs a local engine (transformers or vllm) to force the score line")

    if forced and mode == NON_REASONING:
        completions = [None] * len(conversations)  # nothing to write before the forced score line
    else:
        sampling = with_stop(settings.sampling, THINK_CLOSE) if forced else settings.sampling
        completions = engine.complete(conversations, sampling, mode)

    records = []
    for completion in completions:
        if completion is None:
            records.append({"reasoning": None, "answer": "", "finished": True, "n_tokens": 0, "thinking_closed": True,
                            "parsed_score": None})
            continue
        parsed = parse_verdict(completion.text, mode, completion.reasoning)
        records.append({
            "reasoning": parsed.reasoning,
            "answer": parsed.answer,
            "finished": completion.finished,
            "n_tokens": completion.n_tokens,
            "thinking_closed": parsed.thinking_closed,
            "parsed_score": parsed.score,
        })

    if local:
        raw = engine.score_probs(conversations, mode, [r["reasoning"] for r in records])
    else:
        raw = [c.score_probs for c in completions]
    tokenizer = getattr(engine, "tokenizer", None)
    for record, probs in zip(records, raw):
        dist = renormalise(probs) if probs is not None else None
        record["score_mass"] = float(sum(probs)) if probs is not None else None
        record["probs"] = [round(p, 6) for p in dist] if dist else None
        record["expected_score"] = expected_score(probs) if probs is not None else None
        if forced:
            record["score"] = max(range(10), key=lambda x: dist[x]) if dist else None
        else:
            record["score"] = record["parsed_score"]
        record["valid"] = record["score"] is not None
        if mode == REASONING and record["reasoning"] is not None:
            record["thinking_tokens"] = (len(tokenizer.encode(record["reasoning"], add_special_tokens=False))
                                         if tokenizer is not None else record["n_tokens"])
        else:
            record["thinking_tokens"] = 0
    n_invalid = sum(not r["valid"] for r in records)
    if n_invalid:
        log.info("%d of %d verdicts have no valid score", n_invalid, len(records))
    return records


def keep_matching(rows: list[dict], reference: list[dict]) -> list[dict]:
    """The valid verdicts whose score equals the reference verdict's score for the same key."""
    ref = {r["key"]: r["score"] for r in reference if r["valid"]}
    return [r for r in rows if r["valid"] and r["key"] in ref and r["score"] == ref[r["key"]]]
