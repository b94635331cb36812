"""Candidate responses of the embedded default: model samples, cleaned and some degraded.

A 135M model's samples, cut at a token cap, are alike: mostly cut off mid-sentence. Preference
data needs worse and better answers side by side, as the mixture's rejected responses are worse
than its chosen ones, so:
- `trim`: a sample is cut back to its last full sentence, where it has one;
- `degrade`: in a seeded `fraction` of instructions, one of the two candidates is made worse in
  one of `kinds`: cut off mid-sentence, off topic (another instruction's response), or
  repetitive (its opening said again and again).
The origin of each candidate records what was done to it.
"""

from __future__ import annotations

import random
import re

KINDS = ("cut_off", "off_topic", "repetitive")
SENTENCE_END = re.compile(r"(?<![0-9])[.!?](?=\s|$)")


def trim_to_sentence(text: str) -> str:
    """The text up to its last sentence end; the text itself if it has none."""
    ends = [m.end() for m in SENTENCE_END.finditer(text)]
    return text[: ends[-1]].strip() if ends else text.strip()


def cut_off(text: str, rng: random.Random) -> str:
    words = text.split()
    if len(words) < 4:
        return text.rstrip(".!?")
    keep = max(2, int(len(words) * rng.uniform(0.3, 0.6)))
    return " ".join(words[:keep]).rstrip(".!?,;:")


def repetitive(text: str, rng: random.Random) -> str:
    words = text.split()
    opening = " ".join(words[: max(3, min(8, len(words) // 3))])
    return " ".join([opening] * rng.randint(3, 5))


def degrade(
    rows: list[dict], fraction: float, kinds: list[str], seed: int
) -> list[dict]:
    """Degrade one candidate in a seeded `fraction` of rows (in place; returns the rows)."""
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown degradation {sorted(unknown)}; expected {KINDS}")
    if not kinds or fraction <= 0 or len(rows) < 2:
        return rows
    rng = random.Random(seed)
    chosen = rng.sample(range(len(rows)), round(fraction * len(rows)))
    originals = [list(r["responses"]) for r in rows]
    for n in chosen:
        row, k, kind = rows[n], rng.randrange(2), rng.choice(kinds)
        text = originals[n][k]
        if kind == "off_topic":
            other = rng.choice([m for m in range(len(rows)) if m != n])
            text = originals[other][rng.randrange(2)]
        elif kind == "cut_off":
            text = cut_off(text, rng)
        else:
            text = repetitive(text, rng)
        row["responses"][k] = text
        row["origins"][k] = f"{row['origins'][k]}+{kind}"
    return rows


def dataset_pairs(items: list[dict], seed: int) -> list[dict]:
    """Candidates from the source's own pair (chosen, rejected), in a seeded random order so
    that position says nothing."""
    rng = random.Random(seed)
    rows = []
    for item in items:
        if not item.get("responses"):
            raise ValueError(
                f"candidates.source is 'dataset' but item {item['id']} has no response pair"
            )
        pair = list(zip(item["responses"], ["dataset:chosen", "dataset:rejected"]))
        rng.shuffle(pair)
        rows.append(
            {
                "id": item["id"],
                "instruction": item["instruction"],
                "responses": [p[0] for p in pair],
                "origins": [p[1] for p in pair],
            }
        )
    return rows


def sampled_rows(
    items: list[dict], samples: list[list], temperatures: list[float], trim: bool
) -> list[dict]:
    """Candidates from model samples: `samples[t][k]` is item k's completion at temperature t,
    cut back to its last full sentence where `trim`."""
    clean = trim_to_sentence if trim else str.strip
    return [
        {
            "id": item["id"],
            "instruction": item["instruction"],
            "responses": [clean(s[k].text) for s in samples],
            "origins": [f"model:T={t}" for t in temperatures],
        }
        for k, item in enumerate(items)
    ]
