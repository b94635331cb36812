"""The DAG: config validation, and exactly which jobs a config edit reruns.

A copy of the workflow gets every output as a placeholder, recorded by `snakemake --touch` (which
stores the params that each job ran with); an edit of the config then makes the dry run list the
jobs that Snakemake would rerun, and nothing else.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
WORKFLOW = ["Snakefile", "rules", "schemas", "workflow_scripts", "config.yaml", "configs", "resources", "profiles", "envs"]


def snakemake(workdir, *args, check=True):
    proc = subprocess.run([*SNAKEMAKE, *args], cwd=workdir, capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def planned_jobs(workdir) -> set[tuple[str, str]]:
    """(rule, wildcards) of every job a dry run would execute."""
    out = snakemake(workdir, "--dry-run").stdout
    jobs, rule = set(), None
    for line in out.splitlines():
        if m := re.match(r"^(?:local)?rule (\w+):", line):
            rule = m.group(1)
            jobs.add((rule, ""))
        elif rule and (m := re.match(r"^\s+wildcards: (.*)$", line)):
            jobs.discard((rule, ""))
            jobs.add((rule, m.group(1)))
        elif not line.strip():
            rule = None
    return jobs


@pytest.fixture
def workflow(tmp_path):
    for name in WORKFLOW:
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    return tmp_path


def materialise(workdir):
    """Create every planned output as a placeholder and record it as done."""
    out = snakemake(workdir, "--dry-run").stdout
    for line in out.splitlines():
        if m := re.match(r"^\s+output: (.*)$", line):
            for path in (p.strip() for p in m.group(1).split(",")):
                target = workdir / path
                if Path(path).suffix in {".jsonl", ".json", ".csv", ".md", ".png"}:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text("placeholder")
                else:
                    target.mkdir(parents=True, exist_ok=True)
    snakemake(workdir, "--touch", "--forceall", "--cores", "1")
    assert planned_jobs(workdir) == set()


def edit_config(workdir, edit):
    path = workdir / "config.yaml"
    cfg = yaml.safe_load(path.read_text())
    edit(cfg)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))


def test_default_dag_has_every_stage(workflow):
    rules = {rule for rule, _ in planned_jobs(workflow)}
    assert rules == {
        "prepare_model", "make_splits", "generate_candidates", "annotate_gold", "train_judge_sft",
        "train_judge_grpo", "evaluate_judge", "train_policy", "generate_answers", "score_answers",
        "judge_agreement_table", "plot_judge_agreement", "policy_scores_table", "plot_policy_scores", "all",
    }


def test_editing_one_judge_reruns_only_its_branch(workflow):
    materialise(workflow)
    edit_config(workflow, lambda c: c["judges"]["nr-135m"].update(sft={"learning_rate": 1e-4}))
    run = "smollm2-vs-nr-135m"
    assert planned_jobs(workflow) == {
        ("train_judge_sft", "judge=nr-135m"),
        ("evaluate_judge", "judge=nr-135m"),
        ("train_policy", f"run={run}"),
        # Step 0 is the untrained policy: its answers stand; only its training-judge score changes.
        ("generate_answers", f"run={run}, step=2"),
        ("generate_answers", f"run={run}, step=4"),
        ("score_answers", f"run={run}, step=0, scorer=judge"),
        *{("score_answers", f"run={run}, step={s}, scorer={k}") for s in (2, 4) for k in ("judge", "gold")},
        ("judge_agreement_table", ""),
        ("plot_judge_agreement", ""),
        ("policy_scores_table", ""),
        ("plot_policy_scores", "run=smollm2-vs-nr-135m"),
        ("plot_policy_scores", "run=smollm2-vs-r-135m"),
        ("all", ""),
    }


def test_judge_rl_settings_do_not_touch_sft(workflow):
    materialise(workflow)
    edit_config(workflow, lambda c: c["training"]["judge_grpo"].update(max_steps=3))
    rerun = planned_jobs(workflow)
    assert ("train_judge_grpo", "judge=r-135m") in rerun
    assert not any(rule == "train_judge_sft" for rule, _ in rerun)
    # The other judge's branch stands; only its figure is redrawn from the shared table.
    assert {job for job in rerun if "nr-135m" in job[1]} == {("plot_policy_scores", "run=smollm2-vs-nr-135m")}


def test_untuned_judges_are_evaluated_from_the_base_model(workflow):
    out = snakemake(workflow, "--dry-run").stdout
    block = next(b for b in job_blocks(out) if "wildcards: judge=base-r-135m" in b and "rule evaluate_judge" in b)
    assert "input: results/models/smollm2-135m, results/gold/high/judge_test.jsonl" in block
    assert not any("judge=base-" in b for b in job_blocks(out) if "rule train_judge" in b)


def test_lower_effort_gold_is_filtered_against_high(workflow):
    def add_low_effort_judge(c):
        c["gold"]["efforts"]["low"] = {"reasoning_effort": "low", "max_tokens": 8}
        c["judges"]["r-low-135m"] = {"base": "smollm2-135m", "mode": "reasoning", "gold_effort": "low",
                                     "stages": ["sft"]}

    edit_config(workflow, add_low_effort_judge)
    out = snakemake(workflow, "--dry-run").stdout
    low = [b for b in job_blocks(out) if "rule annotate_gold" in b and "effort=low" in b]
    assert {re.search(r"split=(\w+)", b).group(1) for b in low} == {"judge_train", "judge_val"}
    for block in low:
        split = re.search(r"split=(\w+)", block).group(1)
        assert f"results/gold/high/{split}.jsonl" in block.split("output:")[0]


def test_misspelt_key_fails_naming_it(workflow):
    edit_config(workflow, lambda c: c["judges"]["r-135m"].update(gold_efort="high"))
    proc = snakemake(workflow, "--dry-run", check=False)
    assert proc.returncode != 0
    assert "gold_efort" in proc.stdout + proc.stderr


def test_dangling_reference_fails_naming_it(workflow):
    edit_config(workflow, lambda c: c["policy_runs"]["smollm2-vs-r-135m"].update(judge="r-999m"))
    proc = snakemake(workflow, "--dry-run", check=False)
    assert proc.returncode != 0
    assert "policy_runs.smollm2-vs-r-135m.judge names judge 'r-999m'" in proc.stdout + proc.stderr


def job_blocks(out: str) -> list[str]:
    return [block for block in re.split(r"\n\s*\n", out) if re.match(r"^\[.*\]\n(local)?rule \w+:", block.strip())]


def test_paper_config_lists_every_artifact(workflow):
    out = snakemake(workflow, "--configfile", "configs/paper.yaml", "--dry-run").stdout
    blocks = job_blocks(out)
    counts = {}
    for block in blocks:
        rule = re.search(r"rule (\w+):", block).group(1)
        counts[rule] = counts.get(rule, 0) + 1
    checkpoints = 1200 // 100 + 1
    assert counts["train_judge_sft"] == 9  # 4 NR + 3 R + 2 lower-effort R (RL-only judges skip SFT)
    assert counts["train_judge_grpo"] == 7  # 3 R + 2 RL-only + 2 lower-effort
    assert counts["evaluate_judge"] == 11
    assert counts["train_policy"] == 22
    assert counts["generate_answers"] == 22 * checkpoints  # steps 0, 100, ..., 1200 of every run
    assert counts["score_answers"] == 22 * checkpoints * 2  # by the training judge and by gold
    # high: train, val, test; medium and low: train and val only (every judge is tested against high).
    assert counts["annotate_gold"] == 7
    assert "prepare_model" in counts and counts["prepare_model"] == 7  # gpt-oss is served, not loaded
    policy = next(b for b in blocks if "rule train_policy:" in b)
    assert re.search(r"resources: .*gpu=16", policy)
    gold = next(b for b in blocks if "rule annotate_gold:" in b)
    assert not re.search(r"gpu=[1-9]", gold)


def test_single_gpu_config_asks_for_one_gpu_per_job(workflow):
    out = snakemake(workflow, "--configfile", "configs/single_gpu.yaml", "--dry-run").stdout
    gpus = {int(g) for g in re.findall(r"gpu=(\d+)", out)}
    assert gpus == {0, 1}


def test_gpu_resource_becomes_the_sbatch_gpus_flag():
    from snakemake_executor_plugin_slurm.utils import set_gres_string

    class Job:
        resources = {"gpu": 16}

    assert set_gres_string(Job()).strip() == "--gpus=16"
    Job.resources = {"gpu": 0}
    assert set_gres_string(Job()).strip() == ""
