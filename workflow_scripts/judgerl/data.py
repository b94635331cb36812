"""Instruction sources and seeded, disjoint splits.

Every source is normalised to one row schema (`Item`): id, source, instruction, and the dataset's
own pair of responses where it has one (the Tulu 3 preference mixture's chosen / rejected).
"""

from __future__ import annotations

import random
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


def load_items(source: dict, root: str | Path = ".") -> list[dict]:
    """Load and normalise the instruction source described by config `data`."""
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
    wanted = source.get("source_contains")
    items = []
    for row in rows:
        if wanted and wanted not in (row.get("source") or ""):
            continue
        item = normalise(row)
        if item is not None and len(item["instruction"]) <= source.get(
            "max_instruction_chars", 10**9
        ):
            items.append(item)
    ids = [item["id"] for item in items]
    if len(set(ids)) != len(ids):
        raise ValueError("instruction ids are not unique in the data source")
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


def split_items(
    items: list[dict], sizes: dict[str, int], seed: int
) -> dict[str, list[dict]]:
    """Shuffle once with `seed` and cut consecutive, disjoint slices in the order of SPLITS."""
    unknown = set(sizes) - set(SPLITS)
    if unknown:
        raise ValueError(f"unknown split names {sorted(unknown)}; expected {SPLITS}")
    need = sum(sizes.values())
    if need > len(items):
        raise ValueError(
            f"the splits ask for {need} instructions but the source has {len(items)}"
        )
    order = sorted(
        items, key=lambda item: item["id"]
    )  # independent of the source's row order
    random.Random(seed).shuffle(order)
    out, start = {}, 0
    for name in SPLITS:
        out[name] = order[start : start + sizes.get(name, 0)]
        start += sizes.get(name, 0)
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
