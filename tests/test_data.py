from pathlib import Path

import pytest

from judgerl.data import SPLITS, load_items, split_items

ROOT = Path(__file__).resolve().parents[1]


def test_embedded_set_is_varied_and_in_tulu_schema():
    items = load_items(
        {"source": "embedded", "path": "resources/instructions.jsonl"}, root=ROOT
    )
    assert len(items) >= 200
    kinds = {item["source"].split("/")[-1] for item in items}
    assert {
        "writing",
        "advice",
        "explanation",
        "coding",
        "math",
        "creative_writing",
        "should_refuse",
    } <= kinds
    assert all(
        item["responses"] is None for item in items
    )  # the default samples its own candidates
    assert len({item["instruction"] for item in items}) == len(items)


def test_tulu_loader_on_a_local_file_of_the_hub_schema():
    source = {"source": "tulu", "path": "tests/data/tulu_sample.jsonl"}
    counts = {}
    items = load_items(source, root=ROOT, counts=counts)
    ids = [item["id"] for item in items]
    assert "tulu-sample-multiturn" not in ids  # multi-turn conversations are left out
    assert counts == {"rows": 6, "left_out_multi_turn_or_empty": 1}
    first = next(item for item in items if item["id"] == "tulu-sample-0")
    assert first["source"] == "allenai/tulu-3-sft-reused-off-policy-8b"
    assert first["instruction"] == "What is the capital of France?"
    assert first["responses"] == [
        "The capital of France is Paris.",
        "France's capital is Lyon.",
    ]


def items_of(n, source="", text="q{k}"):
    return [
        {"id": f"{source}{k:04d}", "source": source, "instruction": text.format(k=k)}
        for k in range(n)
    ]


SIZES = {
    "judge_train": 10,
    "judge_val": 5,
    "judge_test": 5,
    "policy_train": 20,
    "policy_test": 10,
}


def test_splits_are_disjoint_seeded_and_sized():
    items = items_of(50)
    a, summary = split_items(items, SIZES, seed=3)
    b, _ = split_items(
        list(reversed(items)), SIZES, seed=3
    )  # row order does not matter
    assert a == b
    ids = [item["id"] for name in SPLITS for item in a[name]]
    assert len(ids) == len(set(ids)) == 50
    assert {name: len(a[name]) for name in SPLITS} == SIZES
    assert summary["shortfall"] == {} and summary["unused"] == 0
    assert split_items(items, SIZES, seed=4)[0] != a


def test_a_short_source_shortens_the_training_splits_and_says_so():
    splits, summary = split_items(items_of(45), SIZES, seed=3)
    # 5 too few: the policy training split gives them up, the test splits stay whole.
    assert len(splits["policy_test"]) == 10 and len(splits["judge_test"]) == 5
    assert summary["shortfall"] == {"policy_train": {"asked": 20, "got": 15}}
    with pytest.raises(ValueError, match="no instructions are left.*policy_train"):
        split_items(items_of(30), SIZES, seed=3)


def test_repeated_instructions_are_one_instruction():
    items = items_of(50) + items_of(5, source="x", text="  Q{k} ")
    splits, summary = split_items(items, SIZES, seed=3)
    texts = [i["instruction"].strip().lower() for n in SPLITS for i in splits[n]]
    assert len(texts) == len(set(texts)) == 50
    assert summary["repeated_instructions_dropped"] == 5


def test_judge_splits_come_from_the_named_sources_only():
    items = items_of(30, source="off") + items_of(40, source="on", text="o{k}")
    items += items_of(
        2, source="a-repeat", text="Q{k}"
    )  # sorts first, yet the judges get q0, q1
    splits, summary = split_items(items, SIZES, seed=3, judge_sources=["off"])
    assert summary["repeated_instructions_dropped"] == 2
    assert all(i["source"] == "off" for n in SPLITS[:3] for i in splits[n])
    policy = [i for n in SPLITS[3:] for i in splits[n]]
    assert {i["source"] for i in policy} == {
        "off",
        "on",
    }  # what the judges left, and the rest
    assert summary["judge_pool"] == 30 and summary["by_source"] == {"off": 30, "on": 40}
    with pytest.raises(ValueError, match=r"\['of'\].*'off', 'on'\]"):
        split_items(items, SIZES, seed=3, judge_sources=["of"])


# The Tulu 3 8B preference mixture's subsets (the `source` column; dataset card) and their rows,
# scaled by 1/1000. The SFT-reused on-policy subset reuses prompts of the off-policy one.
MIXTURE = {
    "allenai/tulu-3-sft-reused-off-policy-8b": 97,
    "allenai/tulu-3-sft-reused-if": 66,
    "allenai/tulu-3-sft-reused-on-policy-8b": 20,
    "allenai/tulu-3-wildchat-reused-on-policy-8b": 18,
    "allenai/tulu-3-wildchat-if-on-policy-8b": 11,
    "allenai/tulu-3-ultrafeedback-cleaned-on-policy-8b": 41,
    "allenai/tulu-3-sft-personas-instruction-following": 20,
}


def mixture_rows():
    rows = []
    for source, n in MIXTURE.items():
        for k in range(n):
            prompt = f"{source.split('/')[-1]} prompt {k}"
            if source.endswith("on-policy-8b") and "sft-reused" in source and k < 10:
                prompt = f"  TULU-3-SFT-REUSED-OFF-POLICY-8B   prompt {k}"  # a repeat
            turns = [{"role": "user", "content": prompt}]
            if source.startswith("allenai/tulu-3-wildchat") and k < 3:
                turns = [
                    {"role": "user", "content": "Hi"},
                    {"role": "assistant", "content": "Hello!"},
                    *turns,
                ]
            rows.append(
                {
                    "id": f"{source}-{k}",
                    "source": source,
                    "prompt": prompt,
                    "chosen": [*turns, {"role": "assistant", "content": "good"}],
                    "rejected": [*turns, {"role": "assistant", "content": "bad"}],
                }
            )
    return rows


def test_the_paper_data_settings_build_on_a_sample_shaped_like_the_mixture(
    tmp_path, tiny_model_dir, run_job
):
    """make_splits, run from a saved job as a user would rerun it, with configs/paper.yaml's data
    settings and its split sizes scaled like the sample."""
    import json

    import yaml

    from judgerl.files import read_jsonl, write_jsonl

    data = yaml.safe_load((ROOT / "configs/paper.yaml").read_text())["data"]
    write_jsonl(tmp_path / "mixture.jsonl", mixture_rows())
    data.update(
        path="mixture.jsonl",
        splits={k: max(1, round(v / 1000)) for k, v in data["splits"].items()},
    )
    outputs = {s: f"splits/{s}.jsonl" for s in SPLITS}
    run_job(
        tmp_path,
        "make_splits",
        {"token_counter": [str(tiny_model_dir)]},
        {"splits": list(outputs.values()), "summary": "splits/summary.json"},
        {"data": data, "seed": 1234},
    )
    splits = {s: read_jsonl(tmp_path / p) for s, p in outputs.items()}
    summary = json.loads((tmp_path / "splits/summary.json").read_text())
    (off_policy,) = data["judge_sources"]
    assert all(r["source"] == off_policy for s in SPLITS[:3] for r in splits[s])
    # 97 off-policy prompts for 100 + 1 + 1 judge instructions: judge_train falls short.
    assert summary["shortfall"] == {"judge_train": {"asked": 100, "got": 95}}
    assert (
        "judge_train: 95 instructions of the 100 asked for"
        in (tmp_path / "make_splits.log").read_text()
    )
    assert summary["rows"] == sum(MIXTURE.values())
    assert summary["left_out_multi_turn_or_empty"] == 6
    assert summary["repeated_instructions_dropped"] == 10
    assert len(splits["policy_train"]) == 117 and len(splits["policy_test"]) == 1
    policy_sources = {r["source"] for s in SPLITS[3:] for r in splits[s]}
    assert len(policy_sources) > 3  # the whole mixture, not its off-policy part
    keys = [
        " ".join(r["instruction"].lower().split()) for s in SPLITS for r in splits[s]
    ]
    assert len(keys) == len(set(keys))


def test_token_caps_drop_long_items_and_count_them(tiny_model_dir):
    from judgerl.data import token_counter, within_token_limit

    count = token_counter(tiny_model_dir)
    items = [
        {"instruction": "Say hi.", "responses": ["Hi!", "Hello " * 50]},
        {"instruction": "word " * 40, "responses": ["a", "b"]},
    ]
    assert count("Say hi.") < 8 and count("word " * 40) >= 40
    kept, dropped = within_token_limit(items, count, 20)
    assert [i["instruction"] for i in kept] == ["Say hi."] and dropped == 1
    kept, dropped = within_token_limit(items, count, 20, texts=lambda i: i["responses"])
    assert [i["instruction"] for i in kept] == ["word " * 40] and dropped == 1
