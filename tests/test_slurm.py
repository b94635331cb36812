"""The cluster path: part of the default workflow through Snakemake's SLURM executor, on a real
one-node SLURM cluster (.ci/slurm-up.sh starts it; CI sets SLURM_TEST=1 and then requires it)."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import memory_heavy

from judgerl.files import read_jsonl

pytestmark = pytest.mark.slow
REQUIRED = os.environ.get("SLURM_TEST") == "1"


def _cluster_answers() -> bool:
    if shutil.which("sbatch") is None or shutil.which("sacct") is None:
        return False
    return (
        subprocess.run(["scontrol", "ping"], capture_output=True, timeout=30).returncode
        == 0
    )


if not _cluster_answers():
    if REQUIRED:
        raise RuntimeError(
            "SLURM_TEST=1 but no SLURM controller answers: run .ci/slurm-up.sh first"
        )
    pytest.skip(
        "no SLURM cluster here (start one with .ci/slurm-up.sh, then set SLURM_TEST=1)",
        allow_module_level=True,
    )

# The judge data are made from scratch through the scheduler, model preparation included; the
# judge SFT below trains on them. The module runs beside the default run (conftest: its own xdist
# group), and spends most of its time waiting on the executor's status checks.
TARGETS = [f"results/gold/high/{split}.jsonl" for split in ("judge_train", "judge_val")]
RULES = {"prepare_model", "make_splits", "generate_candidates", "annotate_gold"}
STEPS = 8  # of the judge SFT that the scheduler kills


def slurm_command(*args) -> list[str]:
    return [
        sys.executable,
        "-m",
        "snakemake",
        *args,
        "--executor",
        "slurm",
        "--jobs",
        "2",
        "--default-resources",
        "slurm_partition=debug",
        "slurm_account=ci",
        "--slurm-init-seconds-before-status-checks",
        "5",
        "--latency-wait",
        "30",
    ]


def slurm_snakemake(workdir, *args, timeout=1800):
    return subprocess.run(
        slurm_command(*args),
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# In the work folder: when its test run began, on sacct's clock.
SINCE = ".slurm-test-since"


def our_jobs(workdir) -> list[tuple[str, str, str]]:
    """(job id, rule, state) of every SLURM job that ran in `workdir` since its test run began
    (not those of an earlier run in a folder of the same name), from the accounting daemon."""
    sacct = subprocess.run(
        [
            "sacct",
            "-n",
            "-X",
            "-P",
            "-S",
            (workdir / SINCE).read_text(),
            "--format=JobID,Comment,State,WorkDir",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = [line.split("|") for line in sacct.splitlines() if str(workdir) in line]
    return [
        (job, comment.removeprefix("rule_").split("_wildcards_")[0], state)
        for job, comment, state, _ in rows
    ]


def resume_points(work: Path) -> list[int]:
    """The steps of the whole resume points in a trainer's folder (read only: the trainer's own
    `last_checkpoint` clears a cut one, which here may be one being written)."""
    return sorted(
        int(p.name.split("-")[1])
        for p in work.glob("checkpoint-*")
        if (p / "trainer_state.json").is_file()
    )


def killed_at_its_time_limit_after_a_resume_point(workdir, target, rule, work):
    """Runs `target` through the scheduler until its trainer has written a whole resume point,
    then lets the scheduler kill the job at its time limit before the next one: the test stops
    the job's processes (SIGSTOP) and lowers the job's limit to 1 minute (`scontrol update`), so
    the kill falls between two resume points on a machine of any speed or load. The scheduler's
    kill is the real one (state TIMEOUT)."""
    out = workdir / f".{rule}-killed.out"
    with out.open("w") as sink:
        proc = subprocess.Popen(
            slurm_command(target, "--set-resources", f"{rule}:runtime=10"),
            cwd=workdir,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 1200
        while not resume_points(work):
            assert proc.poll() is None, out.read_text()[-4000:]
            assert time.monotonic() < deadline, out.read_text()[-4000:]
            time.sleep(1)
        # The other ranks' RNG states are written beside rank 0's trainer state.
        time.sleep(3)
        squeue = subprocess.run(
            ["squeue", "-h", "-o", "%i|%k|%Z"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        (job,) = [
            line.split("|")[0]
            for line in squeue.splitlines()
            if line.endswith(f"|{workdir}") and f"rule_{rule}_" in line
        ]
        frozen = []
        for environ in Path("/proc").glob("[0-9]*/environ"):
            try:
                if f"SLURM_JOB_ID={job}".encode() in environ.read_bytes().split(b"\0"):
                    os.kill(int(environ.parent.name), signal.SIGSTOP)
                    frozen.append(environ.parent.name)
            except (OSError, ProcessLookupError):
                pass  # a process that ended meanwhile
        assert frozen, f"no process of job {job} found"
        subprocess.run(
            ["scontrol", "update", f"JobId={job}", "TimeLimit=1"], check=True
        )
        proc.wait(timeout=600)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out.read_text(), "")


@pytest.fixture(scope="module")
def cluster_run(dag, tmp_path_factory):
    import yaml

    workdir = dag.copy(tmp_path_factory.mktemp("slurm"))
    # Small judge splits: what is tested is the path through the scheduler, and the SFT below
    # validates at every step (on judge_val), so a small validation split keeps its steps short.
    path = workdir / "config.yaml"
    cfg = yaml.safe_load(path.read_text())
    cfg["data"]["splits"].update(judge_train=12, judge_val=2)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    (workdir / SINCE).write_text(time.strftime("%Y-%m-%dT%H:%M:%S"))
    proc = slurm_snakemake(workdir, *TARGETS)
    assert proc.returncode == 0, f"{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}"
    return workdir


def test_gold_annotation_through_slurm(cluster_run):
    for target in TARGETS:
        gold = read_jsonl(cluster_run / target)
        assert len(gold) > 0 and all(row["score"] in range(10) for row in gold)
    # Every job ran as a SLURM job, recorded by the accounting daemon with its rule in the comment.
    jobs = our_jobs(cluster_run)
    assert {rule for _, rule, _ in jobs} == RULES, jobs
    assert all(state == "COMPLETED" for *_, state in jobs), jobs


def test_a_training_killed_at_its_time_limit_resumes_from_its_checkpoint(cluster_run):
    """The scheduler kills a judge's SFT at its time limit; --rerun-incomplete continues it."""
    import yaml

    path = cluster_run / "config.yaml"
    cfg = yaml.safe_load(path.read_text())
    # One example per step and a checkpoint (with validation) after every step.
    cfg["training"]["judge_sft"].update(
        max_steps=STEPS, per_device_train_batch_size=1, save_steps=1
    )
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    target = "results/judges/nr-135m/sft"
    work = cluster_run / "results/judges/nr-135m/sft.work/trainer"

    killed = killed_at_its_time_limit_after_a_resume_point(
        cluster_run, target, "train_judge_sft", work
    )
    assert killed.returncode != 0
    assert [
        state for _, rule, state in our_jobs(cluster_run) if rule == "train_judge_sft"
    ] == ["TIMEOUT"], killed.stdout[-3000:]
    assert not (cluster_run / target).exists()  # nothing half-trained looks finished
    from judgerl.training import last_checkpoint

    # A checkpoint cut by the kill does not count (and is cleared; seen when the kill fell inside
    # the first save).
    last = last_checkpoint(work)
    assert last is not None, list(work.iterdir())
    step = int(Path(last).name.split("-")[1])
    assert 0 < step < STEPS

    resumed = slurm_snakemake(cluster_run, target, "--rerun-incomplete")
    assert resumed.returncode == 0, (
        f"{resumed.stdout[-4000:]}\n{resumed.stderr[-4000:]}"
    )
    log = (cluster_run / "logs/train_judge_sft/nr-135m.log").read_text()
    assert (
        f"resuming from results/judges/nr-135m/sft.work/trainer/checkpoint-{step}"
        in log
    )
    states = [
        state for _, rule, state in our_jobs(cluster_run) if rule == "train_judge_sft"
    ]
    assert sorted(states) == ["COMPLETED", "TIMEOUT"]
    import polars as pl

    history = pl.read_csv(cluster_run / target / "train_log.csv")
    assert history["step"].max() == STEPS


def edit_config(workdir, edit) -> dict:
    import yaml

    path = workdir / "config.yaml"
    cfg = yaml.safe_load(path.read_text())
    edit(cfg)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return cfg


POLICY_RUN = "smollm2-vs-nr-135m"
POLICY_STEPS = 16


def test_a_policy_on_two_processes_killed_at_its_time_limit_resumes_from_its_last_resume_point(
    cluster_run,
):
    """A policy run of two trainer processes with resume points by the clock (every 15 s) and
    no export before its last step: the scheduler kills it at its time limit, between two
    resume points; the rerun continues from the last one. Every judge call of every step and
    rank is in judge_calls.jsonl exactly once, every line whole JSON, and the count the job
    logs is over both ranks."""
    import polars as pl

    from judgerl.training import last_checkpoint

    def edit(cfg):
        cfg["training"]["policy_grpo"].update(
            max_steps=POLICY_STEPS, save_steps=POLICY_STEPS
        )
        cfg["launch"] = {
            "train_policy": {
                "processes": 2,
                "mixed_precision": "no",
                "resume_minutes": 0.25,
            }
        }
        cfg["tracking"] = {"report_to": ["tensorboard", "wandb"], "dir": "tracking"}

    cfg = edit_config(cluster_run, edit)
    grpo = cfg["training"]["policy_grpo"]
    target = f"results/policies/{POLICY_RUN}/train_log.csv"
    work = cluster_run / f"results/policies/{POLICY_RUN}/.work/trainer"
    killed = killed_at_its_time_limit_after_a_resume_point(
        cluster_run, target, "train_policy", work
    )
    assert killed.returncode != 0
    assert [s for _, rule, s in our_jobs(cluster_run) if rule == "train_policy"] == [
        "TIMEOUT"
    ], killed.stdout[-3000:]
    assert not (cluster_run / target).exists()
    last = last_checkpoint(work)
    assert last is not None, list(work.iterdir()) if work.exists() else "no trainer dir"
    step = int(Path(last).name.split("-")[1])  # TRL updates: one per step here
    assert 0 < step < POLICY_STEPS

    resumed = slurm_snakemake(cluster_run, target, "--rerun-incomplete")
    assert resumed.returncode == 0, (
        f"{resumed.stdout[-4000:]}\n{resumed.stderr[-4000:]}"
    )
    log = (cluster_run / f"logs/train_policy/{POLICY_RUN}.log").read_text()
    assert (
        f"resuming from results/policies/{POLICY_RUN}/.work/trainer/checkpoint-{step}"
        in log
    )
    history = pl.read_csv(cluster_run / target).filter(pl.col("reward").is_not_null())
    assert history["step"].to_list() == list(range(1, POLICY_STEPS + 1))
    path = cluster_run / f"results/policies/{POLICY_RUN}/judge_calls.jsonl"
    lines = path.read_text().splitlines()
    calls = [json.loads(line) for line in lines]  # every line whole JSON
    rollouts = 2 * grpo["per_device_train_batch_size"]  # per step, both ranks
    per_step = {
        s: sum(c["step"] == s for c in calls) for s in range(1, POLICY_STEPS + 1)
    }
    assert set(per_step.values()) == {rollouts}, per_step  # none missing, none twice
    assert len(calls) == POLICY_STEPS * rollouts
    assert f"{POLICY_STEPS * rollouts} judge calls logged by 2 process(es)" in log
    # One tracked run per backend, continued by the resumed attempt: every step once, with the
    # values of the train log (W&B's rewind and TensorBoard's purge drop the killed attempt's
    # steps after its resume point).
    from tracker_records import tensorboard_runs, tensorboard_scalars, wandb_run

    folder = cluster_run / f"tracking/train_policy/{POLICY_RUN}"
    rewards = dict(zip(history["trainer_step"], history["reward"]))
    (run,) = tensorboard_runs(folder / "tensorboard")
    tb = tensorboard_scalars(run)["reward"]
    assert [step for step, _ in tb] == list(range(1, POLICY_STEPS + 1))  # none twice
    assert dict(tb) == pytest.approx(rewards)
    ids, steps = wandb_run(folder)
    assert len(ids) == 1 and sorted(steps) == list(range(1, POLICY_STEPS + 1))
    assert {s: h["reward"] for s, h in steps.items()} == pytest.approx(rewards)


def test_two_machines_train_over_gloo_against_two_served_judges(cluster_run):
    """The multi-node layout on the one-node cluster, two srun tasks standing in for two nodes:
    a judge SFT step on two machines of one process each (FSDP over gloo), then a policy GRPO step
    on two machines whose reward comes from two vLLM CPU servers on two more "nodes". Each
    process logs its shard, both servers answer requests, and the gathered judge reloads."""
    import torch
    from transformers import AutoModelForCausalLM

    fsdp = str(Path(__file__).resolve().parents[1] / "configs/accelerate/fsdp.yaml")

    def edit(cfg):
        cfg["training"]["judge_sft"].update(max_steps=1, save_steps=1)
        cfg["training"]["policy_grpo"].update(max_steps=1, save_steps=1)
        cfg["launch"] = {
            "train_judge_sft": {
                "nodes": 2,
                "processes": 1,
                "accelerate_config": fsdp,
                "mixed_precision": "no",
            },
            "train_policy": {
                "nodes": 2,
                "processes": 1,
                "mixed_precision": "no",
                "judge_server": {
                    "nodes": 2,
                    "gpus": 0,
                    "max_model_len": 2048,
                    "env": {"VLLM_CPU_KVCACHE_SPACE": 1},
                    "extra_args": ["--enforce-eager", "--max-num-seqs", "8"],
                },
            },
        }
        # Memory: four processes of this layout, two of them vLLM servers, share the host
        # (about 14 GB at their peak): the KL monitor's reference copies and W&B's service,
        # tested in the test above, stay out.
        cfg["policy_monitoring"]["kl_to_initial"] = False
        cfg["tracking"] = {"report_to": []}

    cfg = edit_config(cluster_run, edit)
    judge = "results/judges/nr-135m/sft"
    target = f"results/policies/{POLICY_RUN}/train_log.csv"
    # The one node stands in for two (SFT) and four (policy) nodes: one node, one task each.
    with memory_heavy():  # not beside the default run of the other test worker
        done = slurm_snakemake(
            cluster_run,
            target,
            "--set-resources",
            "train_judge_sft:nodes=1",
            "train_policy:nodes=1",
            "train_policy:tasks=2",
        )
    assert done.returncode == 0, f"{done.stdout[-4000:]}\n{done.stderr[-6000:]}"
    states = {rule: s for _, rule, s in our_jobs(cluster_run)}
    assert states["train_judge_sft"] == states["train_policy"] == "COMPLETED"

    sft_log = (cluster_run / "logs/train_judge_sft/nr-135m.log").read_text()
    host = socket_host()  # both machines on the one host
    assert f"launching 2 x 1 trainer processes on {host},{host}" in sft_log
    shards = sorted(set(re.findall(r"process (\d) of (\d) holds", sft_log)))
    assert shards == [("0", "2"), ("1", "2")], sft_log[-3000:]
    reloaded = AutoModelForCausalLM.from_pretrained(
        cluster_run / judge, dtype=torch.float32
    )
    start = AutoModelForCausalLM.from_pretrained(
        cluster_run / "results/models/smollm2-135m", dtype=torch.float32
    )
    before, after = start.state_dict(), reloaded.state_dict()
    assert set(before) == set(after)
    assert any(not torch.equal(before[k], after[k]) for k in before)  # it trained

    policy_log = (cluster_run / f"logs/train_policy/{POLICY_RUN}.log").read_text()
    assert (
        "judge server ready at" in policy_log and "judge server stopped" in policy_log
    )
    answered = re.findall(r"judge requests answered per server: (\{.*\})", policy_log)
    assert len(answered) == 2  # one line per trainer process
    totals: dict = {}
    for line in answered:
        for url, n in json.loads(line).items():
            totals[url] = totals.get(url, 0) + n
    assert len(totals) == 2 and all(n > 0 for n in totals.values()), totals
    server_log = (
        cluster_run / f"logs/train_policy/{POLICY_RUN}.judge_server.log"
    ).read_text()
    for task in ("0", "1"):  # srun --label: each server's own lines
        assert re.search(rf"^{task}: .*POST /v1/completions", server_log, re.M), task
    grpo = cfg["training"]["policy_grpo"]
    calls = [
        json.loads(line)
        for line in (cluster_run / f"results/policies/{POLICY_RUN}/judge_calls.jsonl")
        .read_text()
        .splitlines()
    ]
    assert len(calls) == 2 * grpo["per_device_train_batch_size"]


def socket_host() -> str:
    import socket

    return socket.gethostname().split(".")[0]
