"""Every trainer starts one way (launch.run), with or without a judge server beside it, and the
launcher settings reach `accelerate launch` on either path."""

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from judgerl import launch

ROOT = Path(__file__).resolve().parents[1]
TRAINERS = ("train_judge_sft", "train_judge_grpo", "train_policy")


@pytest.mark.parametrize("rule", TRAINERS)
def test_every_trainer_starts_through_launch_run_alone(rule):
    source = (ROOT / f"workflow_scripts/{rule}.py").read_text()
    assert "launch.run(" in source
    assert (
        "relaunch(" not in source
    )  # a second path to accelerate, which drifted before
    assert not re.search(
        rf'["\']{rule}\.py["\']', source
    )  # a script never names its file


def fake_job(rule):
    return SimpleNamespace(rule=rule, scriptdir=str(ROOT / "workflow_scripts"))


def test_a_launch_beside_a_judge_server_keeps_every_setting(monkeypatch, tmp_path):
    calls = []
    monkeypatch.delenv(launch.CHILD, raising=False)
    monkeypatch.setattr(
        launch, "relaunch", lambda *args, **kwargs: calls.append((args, kwargs))
    )
    settings = {
        "processes": 4,
        "mixed_precision": "no",
        "accelerate_config": "configs/accelerate/fsdp.yaml",
    }
    launch.run(
        fake_job("train_policy"),
        lambda launched: pytest.fail("ran in the launching process"),
        settings,
        tmp_path,
        launched={"judge_url": "http://127.0.0.1:8000/v1"},
        gpus=["0", "1", "2", "3"],
    )
    ((args, kwargs),) = calls
    job, script, work, processes, gpus, launched = args
    assert script == ROOT / "workflow_scripts/train_policy.py"
    assert (processes, gpus) == (4, ["0", "1", "2", "3"])
    assert launched == {"judge_url": "http://127.0.0.1:8000/v1"}
    assert kwargs == {
        "config_file": "configs/accelerate/fsdp.yaml",
        "mixed_precision": "no",
    }


def test_one_process_runs_in_place_with_what_was_passed_on(monkeypatch, tmp_path):
    monkeypatch.delenv(launch.CHILD, raising=False)
    seen = []
    launch.run(
        fake_job("train_policy"),
        seen.append,
        {"processes": 1},
        tmp_path,
        launched={"judge_url": "u"},
    )
    assert seen == [{"judge_url": "u"}]


def test_a_rule_without_an_entry_script_is_named():
    with pytest.raises(FileNotFoundError, match="rule no_such_rule"):
        launch.rule_script(fake_job("no_such_rule"))
