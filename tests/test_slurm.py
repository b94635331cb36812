"""The cluster path: part of the default workflow through Snakemake's SLURM executor, on a real
one-node SLURM cluster (.ci/slurm-up.sh starts it; CI sets SLURM_TEST=1 and then requires it)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from judgerl.files import read_jsonl
from test_workflow_dag import WORKFLOW

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = os.environ.get("SLURM_TEST") == "1"


def _cluster_answers() -> bool:
    if shutil.which("sbatch") is None or shutil.which("sacct") is None:
        return False
    return subprocess.run(["scontrol", "ping"], capture_output=True, timeout=30).returncode == 0


if not _cluster_answers():
    if REQUIRED:
        raise RuntimeError("SLURM_TEST=1 but no SLURM controller answers: run .ci/slurm-up.sh first")
    pytest.skip("no SLURM cluster here (start one with .ci/slurm-up.sh, then set SLURM_TEST=1)",
                allow_module_level=True)

TARGETS = ["results/gold/high/judge_test.jsonl"]
RULES = {"prepare_model", "make_splits", "generate_candidates", "annotate_gold"}


def test_gold_annotation_through_slurm(tmp_path):
    for name in WORKFLOW:
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    cmd = [
        sys.executable, "-m", "snakemake", *TARGETS,
        "--executor", "slurm", "--jobs", "2",
        "--default-resources", "slurm_partition=debug", "slurm_account=ci",
        "--slurm-init-seconds-before-status-checks", "5",
        "--latency-wait", "30",
    ]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, f"{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}"

    gold = read_jsonl(tmp_path / TARGETS[0])
    assert len(gold) > 0 and all(row["score"] in range(10) for row in gold)

    # Every job ran as a SLURM job, recorded by the accounting daemon with its rule in the comment.
    workdir = str(tmp_path)
    sacct = subprocess.run(["sacct", "-n", "-X", "-P", "-S", "now-2hours", "--format=JobID,Comment,State,WorkDir"],
                           capture_output=True, text=True, check=True).stdout
    ours = [line.split("|") for line in sacct.splitlines() if workdir in line]
    rules = {comment.removeprefix("rule_").split("_wildcards_")[0] for _, comment, _, _ in ours}
    assert rules == RULES, sacct
    assert all(state == "COMPLETED" for _, _, state, _ in ours), sacct
