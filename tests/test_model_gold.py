"""The paper's gold path, a model, on a small DAG of its own: the default's gold is a known
function (judgerl/known_gold.py), so the model gold's annotation, effort filter and rubrics run
here, with the tiny model as gold (as configs/paper.yaml runs gpt-oss-120b)."""

import shutil

import pytest
import yaml

from judgerl.files import read_jsonl

pytestmark = pytest.mark.slow

MODEL_GOLD = {
    "model": "smollm2-135m",
    "backend": {"kind": "transformers", "batch_size": 16},
    "verdict": "argmax",  # a 135M model rarely writes its own score line
    "temperature": 0.0,
    "efforts": {
        "high": {"reasoning_effort": "high", "max_tokens": 24},
        "medium": {"reasoning_effort": "medium", "max_tokens": 12},
        "low": {"reasoning_effort": "low", "max_tokens": 6},
    },
    "rubrics": {"temperature": 0.0, "max_tokens": 24},
}


def test_model_gold_annotates_filters_by_effort_and_writes_rubrics(
    dag, tiny_model_dir, tmp_path
):
    workdir = dag.copy(tmp_path / "wf")
    cfg = yaml.safe_load((workdir / "config.yaml").read_text())
    cfg["gold"] = MODEL_GOLD
    cfg["data"]["splits"] = dict.fromkeys(cfg["data"]["splits"], 3)
    (workdir / "config.yaml").write_text(yaml.safe_dump(cfg))
    shutil.copytree(tiny_model_dir, workdir / "results/models/smollm2-135m")
    targets = [
        "results/gold/high/judge_val.jsonl",
        "results/gold/low/judge_val.jsonl",
        "results/gold/high/pairwise/judge_val.jsonl",
        "results/gold/rubrics/judge_val.jsonl",
    ]
    dag.snakemake(workdir, "--cores", "2", *targets, timeout=900)

    high = read_jsonl(workdir / targets[0])
    assert len(high) == 6  # 3 instructions x 2 candidates
    for row in high:
        # the model's own thinking, cut by its budget, then the forced verdict
        assert row["valid"] and row["score"] in range(10)
        assert row["reasoning"] and row["n_tokens"] <= 24
        assert row["score"] == max(range(10), key=lambda x: row["probs"][x])
    by_key = {r["key"]: r for r in high}
    low = read_jsonl(workdir / targets[1])
    assert all(r["score"] == by_key[r["key"]]["score"] for r in low)
    assert all(r["n_tokens"] <= 6 for r in low)
    pairs = read_jsonl(workdir / targets[2])
    assert len(pairs) == 3 and all(p["choice"] in (1, 2) for p in pairs)
    rubrics = read_jsonl(workdir / targets[3])
    assert len(rubrics) == 3 and all(isinstance(r["rubric"], str) for r in rubrics)
    log = (workdir / "logs/annotate_gold/high/judge_val.log").read_text()
    assert "6 annotations, 0 invalid" in log
