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
    source = {
        "source": "tulu",
        "path": "tests/data/tulu_sample.jsonl",
        "source_contains": "off-policy",
    }
    items = load_items(source, root=ROOT)
    ids = [item["id"] for item in items]
    assert "tulu-sample-2" not in ids  # on-policy rows are left out
    assert "tulu-sample-multiturn" not in ids  # multi-turn conversations are left out
    assert len(items) == 4
    first = next(item for item in items if item["id"] == "tulu-sample-0")
    assert first["instruction"] == "What is the capital of France?"
    assert first["responses"] == [
        "The capital of France is Paris.",
        "France's capital is Lyon.",
    ]


def test_splits_are_disjoint_seeded_and_sized():
    items = [
        {"id": f"i{k}", "source": "", "instruction": f"q{k}", "responses": None}
        for k in range(50)
    ]
    sizes = {
        "judge_train": 10,
        "judge_val": 5,
        "judge_test": 5,
        "policy_train": 20,
        "policy_test": 10,
    }
    a = split_items(items, sizes, seed=3)
    b = split_items(
        list(reversed(items)), sizes, seed=3
    )  # source order does not matter
    assert a == b
    ids = [item["id"] for name in SPLITS for item in a[name]]
    assert len(ids) == len(set(ids)) == 50
    assert {name: len(a[name]) for name in SPLITS} == sizes
    assert split_items(items, sizes, seed=4) != a
    with pytest.raises(ValueError, match="ask for 51"):
        split_items(items, {**sizes, "policy_test": 11}, seed=3)


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
