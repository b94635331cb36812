"""One end-to-end run of the embedded default, then every artifact checked against what it claims.

This is the slow test (minutes): it runs the real workflow, with real models and real trainers, in
a copy of the repository.
"""

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
import yaml

from judgerl.files import read_jsonl
from judgerl.stats import interval_alpha
from judgerl.verdicts import expected_score
from test_workflow_dag import WORKFLOW, planned_jobs

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    import shutil

    workdir = tmp_path_factory.mktemp("e2e")
    for name in WORKFLOW:
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, workdir / name)
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2"], cwd=workdir, capture_output=True,
                          text=True, timeout=3600)
    if proc.returncode != 0:
        raise AssertionError(f"the default workflow failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}")
    return workdir, yaml.safe_load((workdir / "config.yaml").read_text())


def test_nothing_left_to_do(run):
    workdir, _ = run
    assert planned_jobs(workdir) == set()


def test_splits_are_disjoint_and_sized(run):
    workdir, cfg = run
    seen = set()
    for split, size in cfg["data"]["splits"].items():
        ids = {r["id"] for r in read_jsonl(workdir / f"results/data/splits/{split}.jsonl")}
        assert len(ids) == size and not ids & seen
        seen |= ids


def test_gold_annotations(run):
    workdir, cfg = run
    for split in ("judge_train", "judge_val", "judge_test"):
        candidates = read_jsonl(workdir / f"results/data/candidates/{split}.jsonl")
        gold = read_jsonl(workdir / f"results/gold/high/{split}.jsonl")
        assert len(gold) == 2 * len(candidates) == 2 * cfg["data"]["splits"][split]
        assert not (workdir / f"results/gold/high/{split}.jsonl.progress").exists()
        for row in gold:
            assert row["score"] in range(10) and row["valid"]
            assert row["reasoning"] is not None  # the trace that distils the reasoning judge
            assert row["score"] == max(range(10), key=lambda x: row["probs"][x])  # verdict: argmax
            assert row["expected_score"] == pytest.approx(expected_score(row["probs"]), abs=1e-3)


def test_judge_agreement_recomputed_from_files(run):
    workdir, cfg = run
    table = pl.read_csv(workdir / "results/tables/judge_agreement.csv")
    assert sorted(table["judge"].to_list()) == sorted(cfg["judges"])
    for judge in cfg["judges"]:
        verdicts = read_jsonl(workdir / f"results/judges/{judge}/eval/verdicts.jsonl")
        gold = {r["key"]: r["score"] for r in read_jsonl(workdir / "results/gold/high/judge_test.jsonl")}
        assert len(verdicts) == len(gold)
        alpha = interval_alpha([v["score"] for v in verdicts], [gold[v["key"]] for v in verdicts])
        row = table.filter(pl.col("judge") == judge).row(0, named=True)
        assert (math.isnan(alpha) and (row["alpha"] is None or math.isnan(row["alpha"]))) or row["alpha"] == pytest.approx(alpha)
        assert row["n_invalid"] == sum(not v["valid"] for v in verdicts)
        assert row["malformed_rate"] == pytest.approx(row["n_invalid"] / len(verdicts))
        assert row["training"] == ("+".join(cfg["judges"][judge]["stages"]) or "untuned")
    png = workdir / "results/figures/judge_agreement.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_judges_and_policies_are_loadable_models(run):
    workdir, cfg = run
    from transformers import AutoConfig

    for judge, spec in cfg["judges"].items():
        for stage in spec["stages"]:
            folder = workdir / f"results/judges/{judge}/{stage}"
            assert AutoConfig.from_pretrained(folder).model_type == "llama"
            assert len(pl.read_csv(folder / "train_log.csv")) > 0
    steps = range(cfg["training"]["policy_grpo"]["save_steps"], cfg["training"]["policy_grpo"]["max_steps"] + 1,
                  cfg["training"]["policy_grpo"]["save_steps"])
    for run_name in cfg["policy_runs"]:
        for step in steps:
            assert (workdir / f"results/policies/{run_name}/checkpoint-{step}/model.safetensors").exists()
        assert not (workdir / f"results/policies/{run_name}/.work").exists()


def test_policy_rewards_recomputed_from_logged_judge_outputs(run):
    workdir, cfg = run
    grpo = cfg["training"]["policy_grpo"]
    for run_name in cfg["policy_runs"]:
        calls = read_jsonl(workdir / f"results/policies/{run_name}/judge_calls.jsonl")
        assert len(calls) == grpo["max_steps"] * grpo["per_device_train_batch_size"]
        assert {c["step"] for c in calls} == set(range(1, grpo["max_steps"] + 1))
        for call in calls:
            assert call["reward"] == pytest.approx(sum(x * p for x, p in enumerate(call["probs"])), abs=1e-3)
        log = pl.read_csv(workdir / f"results/policies/{run_name}/train_log.csv")
        logged = log.filter(pl.col("reward").is_not_null()).sort("step")
        for step, mean in zip(logged["step"], logged["reward"]):
            batch = [c["reward"] for c in calls if c["step"] == step]
            assert mean == pytest.approx(sum(batch) / len(batch), abs=1e-3)


def test_policy_scores_table_recomputed_from_score_files(run):
    workdir, cfg = run
    table = pl.read_csv(workdir / "results/tables/policy_scores.csv")
    grpo = cfg["training"]["policy_grpo"]
    steps = [0, *range(grpo["save_steps"], grpo["max_steps"] + 1, grpo["save_steps"])]
    assert len(table) == len(cfg["policy_runs"]) * len(steps) * 2 * 2
    for row in table.iter_rows(named=True):
        verdicts = read_jsonl(workdir / f"results/policies/{row['run']}/scores/step-{row['step']}.{row['scorer']}.jsonl")
        values = [v[row["metric"]] for v in verdicts if v[row["metric"]] is not None]
        assert len(verdicts) == cfg["data"]["splits"]["policy_test"]
        assert row["n"] == len(values)
        assert row["n_invalid"] == sum(not v["valid"] for v in verdicts)
        if not values:  # every verdict invalid: no score to average
            assert row["mean"] is None or math.isnan(row["mean"])
            continue
        assert row["mean"] == pytest.approx(sum(values) / len(values))
        assert row["ci_low"] <= row["mean"] + 1e-9 <= row["ci_high"] + 2e-9
    for run_name in cfg["policy_runs"]:
        png = workdir / f"results/figures/policy_scores_{run_name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_killed_policy_training_resumes_without_repeating_steps(run):
    """Kill a policy's training after its first checkpoint; the rerun continues from it."""
    workdir, cfg = run
    name = "smollm2-vs-nr-135m"
    grpo = cfg["training"]["policy_grpo"]
    first = workdir / f"results/policies/{name}/.work/exports/checkpoint-{grpo['save_steps']}"
    target = f"results/policies/{name}/train_log.csv"
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", target]
    proc = subprocess.Popen([*cmd, "--forcerun", "train_policy"], cwd=workdir, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 900
        while not first.is_dir() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.5)
        assert first.is_dir(), "training never reached its first checkpoint"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=120)
    assert not (workdir / target).exists()  # nothing half-done looks finished

    done = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    log = (workdir / f"logs/train_policy/{name}.log").read_text()
    assert f"resuming from results/policies/{name}/.work/trainer/checkpoint-{grpo['save_steps']}" in log
    calls = read_jsonl(workdir / f"results/policies/{name}/judge_calls.jsonl")
    per_step = {step: sum(c["step"] == step for c in calls) for step in range(1, grpo["max_steps"] + 1)}
    assert set(per_step.values()) == {grpo["per_device_train_batch_size"]}, per_step  # no step twice
    assert len(calls) == grpo["max_steps"] * grpo["per_device_train_batch_size"]


def test_rerun_of_a_killed_annotation_continues(run):
    """Resume: a gold file reduced to progress is completed without redoing the kept rows."""
    workdir, _ = run
    out = workdir / "results/gold/high/judge_val.jsonl"
    rows = read_jsonl(out)
    progress = out.with_name(out.name + ".progress")
    progress.write_text("".join(json.dumps(r) + "\n" for r in rows[:5]))
    out.unlink()
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", str(out.relative_to(workdir))],
                          cwd=workdir, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = (workdir / "logs/annotate_gold/high/judge_val.log").read_text()
    assert f"{len(rows)} items, 5 already annotated" in log
    assert [r["key"] for r in read_jsonl(out)] == [r["key"] for r in rows]
