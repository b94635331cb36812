"""Instruction sources and seeded, disjoint splits.

Every source is normalised to one row schema (`Item`): id, source, instruction, and the dataset's
own pair of responses where it has one (the Tulu 3 preference mixture's chosen / rejected).
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

from judgerl.files import read_jsonl

SPLITS = ("judge_train", "judge_val", "judge_test", "policy_train", "policy_test")
ITEM_KEYS = ("id", "source", "instruction", "responses")


def _last_turn(messages: list[dict] | None, role: str) -> str | None:
    for message in reversed(messages or []):
        if message.get("role") == role:
            return message.get("content")
    return None


def normalise(row: dict) -> dict | None:
    """One Tulu-schema row -> an item, or None for a multi-turn or empty conversation."""
    for key in ("id", "prompt"):
        if key not in row:
            raise ValueError(
                f"instruction row lacks the field {key!r}: {str(row)[:120]}"
            )
    chosen, rejected = row.get("chosen") or [], row.get("rejected") or []
    if sum(m.get("role") == "user" for m in chosen) > 1:
        return None  # the study judges single-turn instructions only
    instruction = (row["prompt"] or _last_turn(chosen, "user") or "").strip()
    if not instruction:
        return None
    pair = [_last_turn(chosen, "assistant"), _last_turn(rejected, "assistant")]
    return {
        "id": str(row["id"]),
        "source": row.get("source", ""),
        "instruction": instruction,
        "responses": pair if all(pair) else None,
    }


def load_items(
    source: dict, root: str | Path = ".", counts: dict | None = None
) -> list[dict]:
    """Load and normalise the instruction source described by config `data`; `counts`, if
    given, gets the rows read and those left out (multi-turn, empty, too long)."""
    kind = source["source"]
    if kind == "embedded":
        rows = read_jsonl(Path(root) / source["path"])
    elif kind == "tulu":
        import datasets  # heavy: only the paper-scale path needs it

        if source.get(
            "path"
        ):  # a local copy in the hub's schema (json / jsonl / parquet)
            fmt = "parquet" if str(source["path"]).endswith(".parquet") else "json"
            ds = datasets.load_dataset(
                fmt, data_files=str(Path(root) / source["path"]), split="train"
            )
        else:
            ds = datasets.load_dataset(
                source["hub_id"], split=source.get("hub_split", "train")
            )
        rows = ds
    else:
        raise ValueError(f"data.source must be 'embedded' or 'tulu', got {kind!r}")
    items, n_rows = [], 0
    for row in rows:
        n_rows += 1
        item = normalise(row)
        if item is not None and len(item["instruction"]) <= source.get(
            "max_instruction_chars", 10**9
        ):
            items.append(item)
    ids = [item["id"] for item in items]
    if len(set(ids)) != len(ids):
        raise ValueError("instruction ids are not unique in the data source")
    if counts is not None:
        counts.update(rows=n_rows, left_out_multi_turn_or_empty=n_rows - len(items))
    return items


def within_token_limit(
    items: list[dict],
    count_tokens,
    max_tokens: int,
    texts=lambda item: [item["instruction"]],
) -> tuple[list[dict], int]:
    """The items whose every text (`texts(item)`) has at most `max_tokens` tokens, and how many
    were dropped. Applied when the data are made, so that no prompt downstream outgrows the
    engines' maximum length (vLLM fails a whole batch for one over-long prompt)."""
    kept = [
        item
        for item in items
        if all(count_tokens(t) <= max_tokens for t in texts(item))
    ]
    return kept, len(items) - len(kept)


def token_counter(model_dir: str | Path):
    """The token count of a text by a model's tokenizer (config `data.token_counter`)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    return lambda text: len(tokenizer.encode(text, add_special_tokens=False))


def instruction_key(text: str) -> str:
    """What makes two instructions the same: their words, ignoring case and spacing (the mixture
    repeats prompts across its subsets, differing only in whitespace or capitals)."""
    return " ".join(text.casefold().split())


def split_items(
    items: list[dict],
    sizes: dict[str, int],
    seed: int,
    judge_sources: list[str] | None = None,
) -> tuple[dict[str, list[dict]], dict]:
    """Seeded, disjoint splits, and a summary of what was available.

    Instructions that repeat (by `instruction_key`) are kept once, so no text is in two splits.
    One seeded shuffle (of the items in id order, so the source's row order does not matter);
    the judge splits come from the items of `judge_sources` (all when None), the policy splits
    from every item that no judge split took. Where too few items exist, the test and validation
    splits are filled first and the training split takes the rest: a shortfall is counted in the
    summary, and only an empty split is an error."""
    unknown = set(sizes) - set(SPLITS)
    if unknown:
        raise ValueError(f"unknown split names {sorted(unknown)}; expected {SPLITS}")
    # A repeated instruction is kept where the judges may use it (its pair is in a judge source).
    judge_sources = list(judge_sources or [])
    order, seen = [], set()
    first = sorted(items, key=lambda i: (i["source"] not in judge_sources, i["id"]))
    for item in first:
        key = instruction_key(item["instruction"])
        if key not in seen:
            seen.add(key)
            order.append(item)
    order.sort(key=lambda item: item["id"])
    random.Random(seed).shuffle(order)
    by_source = Counter(item["source"] for item in order)
    if judge_sources:
        missing = [name for name in judge_sources if not by_source[name]]
        if missing:
            raise ValueError(
                f"data.judge_sources names {missing}, which the source does not have; its "
                f"sources are {sorted(by_source)}"
            )
        judge_pool = [item for item in order if item["source"] in judge_sources]
    else:
        judge_pool = order
    out = _cut(judge_pool, SPLITS[:3], sizes)
    used = {id(item) for name in SPLITS[:3] for item in out[name]}
    out.update(_cut([i for i in order if id(i) not in used], SPLITS[3:], sizes))
    shortfall = {
        name: {"asked": sizes.get(name, 0), "got": len(out[name])}
        for name in SPLITS
        if len(out[name]) < sizes.get(name, 0)
    }
    empty = [name for name, n in shortfall.items() if n["got"] == 0]
    if empty:
        raise ValueError(
            f"no instructions are left for the splits {empty}: the splits ask for "
            f"{sum(sizes.values())}, the source has {len(order)} distinct instructions"
            + (
                f", {len(judge_pool)} of them in data.judge_sources"
                if judge_sources
                else ""
            )
        )
    summary = {
        "distinct_instructions": len(order),
        "repeated_instructions_dropped": len(items) - len(order),
        "by_source": dict(sorted(by_source.items())),
        "judge_pool": len(judge_pool),
        "splits": {name: len(out[name]) for name in SPLITS},
        "shortfall": shortfall,
        "unused": len(order) - sum(len(out[name]) for name in SPLITS),
    }
    return out, summary


def _cut(pool: list[dict], names: tuple[str, ...], sizes: dict[str, int]) -> dict:
    """Consecutive slices of `pool` in the order of `names`; the first (the training split)
    gives up what the pool lacks."""
    want = {name: sizes.get(name, 0) for name in names}
    lacking = max(0, sum(want.values()) - len(pool))
    for name in names:  # the training split first, then the others, fill in order
        give = min(lacking, want[name])
        want[name] -= give
        lacking -= give
    out, start = {}, 0
    for name in names:
        out[name] = pool[start : start + want[name]]
        start += want[name]
    return out


def load_rubrics(paths) -> dict[str, str]:
    """Rubric text by instruction id, from the rubric files of one or more splits."""
    rubrics = {}
    for path in paths:
        rubrics.update({r["id"]: r["rubric"] for r in read_jsonl(path)})
    return rubrics


def gold_examples(
    path: str | Path, fmt: str, rubrics: dict[str, str] | None = None
) -> list[dict]:
    """The valid gold verdicts of a file as judge examples: instruction, the response(s) shown,
    the gold label (score 0..9, or choice 1 / 2), the gold reasoning and the rubric if any."""
    examples = []
    for row in read_jsonl(path):
        if not row["valid"]:
            continue
        pairwise = fmt == "pairwise"
        if rubrics is not None and row["id"] not in rubrics:
            raise KeyError(f"no rubric for instruction {row['id']!r} of {path}")
        examples.append(
            {
                "key": row["key"],
                "id": row["id"],
                "instruction": row["instruction"],
                "responses": [row["response_1"], row["response_2"]]
                if pairwise
                else [row["response"]],
                "label": row["choice"] if pairwise else row["score"],
                "reasoning": row.get("reasoning"),
                "rubric": rubrics[row["id"]] if rubrics is not None else None,
            }
        )
    return examples
