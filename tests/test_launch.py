"""Every trainer starts one way (launch.run), with or without a judge server, on one node or
several, and the launcher settings reach `accelerate launch` on every path."""

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from judgerl import launch, serving
from judgerl.engines import EngineError
from judgerl.layout import Layout

ROOT = Path(__file__).resolve().parents[1]
TRAINERS = ("train_judge_sft", "train_judge_grpo", "train_policy")


@pytest.mark.parametrize("rule", TRAINERS)
def test_every_trainer_starts_through_launch_run_alone(rule):
    source = (ROOT / f"workflow_scripts/{rule}.py").read_text()
    assert "launch.run(" in source
    # one path to accelerate: a second one would drift from it
    assert "relaunch(" not in source
    assert not re.search(
        rf'["\']{rule}\.py["\']', source
    )  # a script never names its file


def fake_job(rule, log=()):
    return SimpleNamespace(
        rule=rule, scriptdir=str(ROOT / "workflow_scripts"), log=list(log)
    )


def test_a_launch_beside_a_judge_server_keeps_every_setting(monkeypatch, tmp_path):
    """One node: the judge server takes the GPUs after the trainer's, its URL is passed on, and
    every launcher setting reaches accelerate."""
    calls, servers = [], []

    class Server:
        def __init__(self, command, port, log_path, gpus=None, **kwargs):
            servers.append((command, gpus))
            self.urls = [f"http://127.0.0.1:{port}/v1"]

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            pass

    monkeypatch.delenv(launch.CHILD, raising=False)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1,2,3,4,5,6,7")
    monkeypatch.setattr(serving, "JudgeServer", Server)
    monkeypatch.setattr(
        launch, "relaunch", lambda *args, **kwargs: calls.append((args, kwargs))
    )
    settings = {
        "processes": 4,
        "mixed_precision": "no",
        "accelerate_config": "configs/accelerate/fsdp.yaml",
        "judge_server": {"gpus": 4, "max_model_len": 4096},
    }
    job = fake_job("train_policy", log=[str(tmp_path / "train.log")])
    launch.run(
        job,
        lambda launched: pytest.fail("ran in the launching process"),
        settings,
        tmp_path,
        serve=serving.ServerSpec.of("results/judges/j", settings["judge_server"]),
    )
    ((command, gpus),) = servers
    assert gpus == ["4", "5", "6", "7"]
    assert command[command.index("--tensor-parallel-size") + 1] == "4"
    ((args, kwargs),) = calls
    _, work, processes, gpus, launched = args
    assert (processes, gpus) == (4, ["0", "1", "2", "3"])
    assert launched["judge_urls"][0].startswith("http://127.0.0.1:")
    assert kwargs == {
        "config_file": "configs/accelerate/fsdp.yaml",
        "mixed_precision": "no",
    }


def test_one_process_runs_in_place(monkeypatch, tmp_path):
    monkeypatch.delenv(launch.CHILD, raising=False)
    seen = []
    launch.run(fake_job("train_policy"), seen.append, {"processes": 1}, tmp_path)
    assert seen == [{}]


def test_several_nodes_need_a_slurm_allocation(monkeypatch, tmp_path):
    monkeypatch.delenv(launch.CHILD, raising=False)
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    with pytest.raises(RuntimeError, match="inside a SLURM allocation"):
        launch.run(
            fake_job("train_judge_grpo"),
            lambda launched: None,
            {"nodes": 4, "processes": 8},
            tmp_path,
        )


# ---- the paper's layouts ---------------------------------------------------------------------

POLICY = {
    "nodes": 4,
    "processes": 8,
    "judge_server": {"nodes": 4, "gpus": 8, "tensor_parallel_size": 2},
}


def test_a_policy_layout_places_machines_then_servers():
    layout = Layout.of(POLICY)
    assert (layout.world_size, layout.job_nodes, layout.servers) == (32, 8, 16)
    hosts = [f"n{i}" for i in range(8)]
    trainers, servers = launch.place(layout, hosts)
    assert trainers == ["n0", "n1", "n2", "n3"]
    assert servers == [
        h for h in hosts[4:] for _ in range(4)
    ]  # 4 groups of 2 GPUs a node
    urls = launch.server_urls(servers, 9000)
    assert urls[:5] == [
        "http://n4:9000/v1",
        "http://n4:9001/v1",
        "http://n4:9002/v1",
        "http://n4:9003/v1",
        "http://n5:9000/v1",
    ]
    assert len(set(urls)) == 16


def test_one_host_stands_in_for_several_nodes():
    layout = Layout.of(
        {"nodes": 2, "processes": 1, "judge_server": {"nodes": 2, "gpus": 0}}
    )
    trainers, servers = launch.place(layout, ["vm"])
    assert trainers == ["vm", "vm"] and servers == ["vm", "vm"]
    assert launch.server_urls(servers, 7000) == [
        "http://vm:7000/v1",
        "http://vm:7001/v1",
    ]


def test_a_server_task_takes_its_own_tensor_parallel_group():
    assert serving.task_gpus("0,1,2,3,4,5,6,7", 2, 2) == "4,5"
    assert serving.task_gpus(None, 1, 2) is None  # vLLM's CPU build
    with pytest.raises(EngineError, match="larger than the node's GPUs"):
        serving.task_gpus("0,1,2,3", 1, 4)


def test_an_srun_step_places_each_task_by_the_host_file(tmp_path):
    command, env = launch.srun_step(
        ["n0", "n1", "n1"], tmp_path / "hosts", 16, ["python", "x"]
    )
    assert (tmp_path / "hosts").read_text().split() == ["n0", "n1", "n1"]
    assert env == {"SLURM_HOSTFILE": str(tmp_path / "hosts")}
    assert command[:1] == ["srun"] and command[-2:] == ["python", "x"]
    for flag in (
        "--ntasks=3",
        "--label",
        "--distribution=arbitrary",
        "--cpus-per-task=16",
        "--kill-on-bad-exit=1",
    ):
        assert flag in command


def test_each_machine_launches_its_share_as_accelerate_reads_it(tmp_path):
    """accelerate's own parser on a machine's command: all processes over the machines, this
    machine's rank, the rendezvous on the first trainer host."""
    from accelerate.commands.launch import (
        _validate_launch_command,
        launch_command_parser,
    )

    machines = {"count": 4, "rank": 2, "main_ip": "10.0.0.1", "port": 29512}
    command = launch.accelerate_command(
        tmp_path / "job.json",
        32,
        config_file=str(ROOT / "configs/accelerate/fsdp.yaml"),
        machines=machines,
    )
    args = launch_command_parser().parse_args(command[3:])
    args, _, _ = _validate_launch_command(args)
    assert (args.num_processes, args.num_machines, args.machine_rank) == (32, 4, 2)
    assert (args.main_process_ip, args.main_process_port) == ("10.0.0.1", 29512)
    assert args.use_fsdp


def test_a_rule_without_an_entry_script_is_named():
    with pytest.raises(FileNotFoundError, match="rule no_such_rule"):
        launch.rule_script(fake_job("no_such_rule"))


def test_cpu_processes_resume_an_optimizer_state(tmp_path):
    """Several CPU processes load a resumed optimizer state with map_location `cpu:<index>`
    (accelerate's device of each), which torch refuses until launched processes allow it."""
    import subprocess
    import sys

    script = (
        "import torch, judgerl.launch as l\n"
        f"torch.save({{'m': torch.ones(2)}}, {str(tmp_path / 'o.pt')!r})\n"
        "load = lambda: torch.load("
        f"{str(tmp_path / 'o.pt')!r}, map_location=torch.device('cpu', 1))\n"
        "try:\n    load(); print('loaded')\nexcept RuntimeError: print('refused')\n"
        "l.allow_resume_on_cpu(); print(load()['m'].tolist())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.stdout.split("\n")[:2] == ["refused", "[1.0, 1.0]"], out.stderr[-2000:]
