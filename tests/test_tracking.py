"""Tracked runs: the trainers' logged scalars in TensorBoard and W&B (offline), one tracked run
per job that a resumed attempt continues without a step twice, read back with each tool's own
reader (tests/tracker_records.py)."""

import math
from types import SimpleNamespace

import pytest
import wandb
from tracker_records import (
    tensorboard_runs,
    tensorboard_scalars,
    wandb_records,
    wandb_run,
)

from judgerl import tracking

BOTH = {
    "report_to": ["tensorboard", "wandb"],
    "project": "test",
    "wandb_mode": "offline",
}


def attempt(callbacks, first: int, last: int, value, history=()):
    """What a Trainer does with its callbacks: steps first..last, each logged after it ran; a
    resumed attempt starts from the checkpoint at first - 1, whose log is `history`. Returns
    the attempt's log history."""
    state = SimpleNamespace(
        global_step=0, is_world_process_zero=True, log_history=list(history)
    )
    for cb in callbacks:
        cb.on_train_begin(None, state, None)
    for step in range(first, last + 1):
        state.global_step = step - 1
        for cb in callbacks:
            cb.on_step_begin(None, state, None)
        state.global_step = step
        logs = {"reward": value(step), "epoch": 0.1}
        state.log_history.append({**logs, "step": step})
        for cb in callbacks:
            cb.on_log(None, state, None, logs=logs)
    for cb in callbacks:
        cb.on_train_end(None, state, None)
    return state.log_history


def test_a_resumed_job_continues_one_tracked_run_without_a_step_twice(tmp_path):
    """Attempt 1 logs steps 1-5 and is stopped; its resume point was step 3. Attempt 2 resumes
    there and logs 4-8 with new values: both trackers show 1-8 once each, 4-5 from attempt 2.
    Attempt 1's W&B file is cut in the middle of a record, as a kill leaves it (its service killed
    in a buffered write): nothing is lost, attempt 2 logs again what the checkpoint holds."""
    settings = {**BOTH, "dir": str(tmp_path / "tracking")}
    work = tmp_path / "work"
    wildcards = {"run": "smollm2-vs-nr"}
    first = attempt(
        tracking.callbacks(settings, "train_policy", wildcards, work), 1, 5, float
    )
    attempt(
        tracking.callbacks(settings, "train_policy", wildcards, work),
        4,
        8,
        lambda s: 100.0 * s,
        history=[row for row in first if row["step"] <= 3],  # the checkpoint's log
    )
    folder = tmp_path / "tracking/train_policy/smollm2-vs-nr"
    wandb.teardown()  # its service closes the files, as a job's exit does
    killed = min(
        folder.glob("wandb/offline-run-*/run-*.wandb"), key=lambda p: p.parent.name
    )
    whole = len(list(wandb_records(killed)))
    killed.write_bytes(killed.read_bytes()[: killed.stat().st_size // 2])
    assert 0 < len(list(wandb_records(killed))) < whole
    expected = {s: float(s) if s <= 3 else 100.0 * s for s in range(1, 9)}
    run_id = (work / "tracked_run").read_text().strip()
    (run,) = tensorboard_runs(folder / "tensorboard")  # one run, both attempts
    assert run.name == run_id
    reward = tensorboard_scalars(run)["reward"]
    assert [step for step, _ in reward] == list(range(1, 9))  # none twice
    assert dict(reward) == pytest.approx(expected)
    ids, history = wandb_run(folder)
    assert ids == {run_id}
    assert sorted(history) == list(range(1, 9))
    assert {s: h["reward"] for s, h in history.items()} == pytest.approx(expected)


def test_a_fresh_start_is_a_new_tracked_run(tmp_path):
    """A job rerun from scratch (its work folder gone: new settings, --forcerun) is a new run
    beside the old one, not a continuation of it."""
    settings = {"report_to": ["tensorboard"], "dir": str(tmp_path / "tracking")}
    for work in (tmp_path / "work1", tmp_path / "work2"):
        callbacks = tracking.callbacks(settings, "train_judge_sft", {"j": "x"}, work)
        attempt(callbacks, 1, 3, float)
    runs = tensorboard_runs(tmp_path / "tracking/train_judge_sft/x/tensorboard")
    assert len(runs) == 2
    for run in runs:
        assert [s for s, _ in tensorboard_scalars(run)["reward"]] == [1, 2, 3]


def test_only_the_main_process_logs(tmp_path):
    settings = {"report_to": ["tensorboard"], "dir": str(tmp_path)}
    (cb,) = tracking.callbacks(settings, "train_judge_sft", {"judge": "j"}, tmp_path)
    state = SimpleNamespace(global_step=0, is_world_process_zero=False)
    cb.on_step_begin(None, state, None)
    cb.on_log(None, state, None, logs={"loss": 1.0})
    assert not (tmp_path / "train_judge_sft").exists()


def test_nothing_is_tracked_without_backends(tmp_path):
    assert tracking.callbacks(None, "train_policy", {"run": "r"}, tmp_path) == []
    assert tracking.scalars(
        {"a": 1, "b": "x", "c": True, "d": math.inf, "e": math.nan}
    ) == {
        "a": 1.0,
        "d": math.inf,
    }


def test_a_tracker_that_cannot_log_is_named_before_any_job(monkeypatch, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name: None if name == "wandb" else real(name),
    )
    with pytest.raises(tracking.TrackingError, match="names wandb.*not installed"):
        tracking.check({"report_to": ["tensorboard", "wandb"]})
    monkeypatch.setattr(importlib.util, "find_spec", real)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc
    with pytest.raises(tracking.TrackingError, match="online, but W&B has no key"):
        tracking.check({"report_to": ["wandb"], "wandb_mode": "online"})
    tracking.check({"report_to": ["wandb"], "wandb_mode": "offline"})


def test_the_trackers_are_trainer_callbacks(tmp_path):
    from transformers import TrainerCallback

    for cb in tracking.callbacks(BOTH, "train_policy", {"run": "r"}, tmp_path):
        assert isinstance(cb, TrainerCallback) and isinstance(cb, tracking.Tracker)
