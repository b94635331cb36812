"""Training from a Snakemake `script:` rule on one process, one node, or several nodes.

A rule's script runs in one Python process that Snakemake starts. `run` is the one way every
trainer starts (config `launch.<rule>`, judgerl/layout.py):

- one process: the script trains in place;
- one node: it writes the job (inputs, outputs, params, log, wildcards) to a JSON file and starts
  `accelerate launch --num_processes N -m judgerl.launch <job.json>` on the trainer's GPUs; every
  process runs the same script file with a stand-in `snakemake` object rebuilt from that JSON. A
  judge server (vllm serve) takes the job's other GPUs (serving.split_gpus);
- several nodes (a SLURM allocation): one srun step starts one `accelerate launch` per machine
  (`--num_machines`, `--machine_rank` from the task's SLURM_PROCID, `--main_process_ip` the first
  trainer host), and a second one the judge's servers on nodes of their own, one per
  tensor-parallel group. srun places every task by a host file (`--distribution=arbitrary`):
  trainer machines on the allocation's first nodes, the batch host first, servers on the rest.
"""

from __future__ import annotations

import json
import logging
import os
import runpy
import socket
import subprocess
import sys
from contextlib import nullcontext
from pathlib import Path

from judgerl.layout import Layout

log = logging.getLogger(__name__)
CHILD = "JUDGERL_LAUNCHED"  # set in the launched processes: they train, they do not relaunch


class Named(list):
    """A flat list with named entries, like Snakemake's input / output / log containers."""

    def __init__(self, items: list, named: dict):
        super().__init__(items)
        self._named = dict(named)
        for name, value in named.items():
            setattr(self, name, value)

    def items(self):
        return self._named.items()


class SavedJob:
    """What a Snakemake script sees as `snakemake`, rebuilt from a saved job file (job_spec):
    in a launched trainer process, or a script rerun alone from its saved job."""

    def __init__(self, spec: dict):
        self.input = Named(spec["input"]["items"], spec["input"]["named"])
        self.output = Named(spec["output"]["items"], spec["output"]["named"])
        self.log = Named(spec["log"]["items"], spec["log"]["named"])
        self.params = Named([], spec["params"])
        self.wildcards = Named([], spec["wildcards"])
        self.threads = spec["threads"]
        self.rule = spec["rule"]
        self.scriptdir = spec["scriptdir"]
        self.launched = spec.get("launched", {})


# The name runtime.current_job imports.


def _named(container) -> dict:
    return {
        "items": [str(x) for x in container],
        "named": {
            k: (list(map(str, v)) if isinstance(v, list) else str(v))
            for k, v in container.items()
        },
    }


def job_spec(snakemake, launched: dict | None = None) -> dict:
    return {
        "input": _named(snakemake.input),
        "output": _named(snakemake.output),
        "log": _named(snakemake.log),
        "params": dict(snakemake.params.items()),
        "wildcards": dict(snakemake.wildcards.items()),
        "threads": snakemake.threads,
        "rule": snakemake.rule,
        "scriptdir": snakemake.scriptdir,
        "launched": launched or {},
    }


def is_child() -> bool:
    return os.environ.get(CHILD) == "1"


def process_rank() -> int:
    """This trainer process's rank among all of its job's processes (0 without a launcher)."""
    return int(os.environ.get("RANK", "0"))


def accelerate_command(
    job_file: Path,
    num_processes: int,
    mixed_precision: str = "bf16",
    config_file: str | None = None,
    machines: dict | None = None,
) -> list[str]:
    """`accelerate launch` of this module: `num_processes` over all machines.

    With `config_file` (FSDP, DeepSpeed), the file's `distributed_type` decides how the processes
    train: a `--multi_gpu` flag beside it would override it, and every process would hold the
    whole model as plain DDP. Without one, several processes are plain data parallel.
    `machines` ({count, rank, main_ip, port}) makes it this machine's launcher of several.
    """
    machines = machines or {"count": 1}
    command = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--num_processes",
        str(num_processes),
        "--num_machines",
        str(machines["count"]),
        "--mixed_precision",
        mixed_precision,
        "--dynamo_backend",
        "no",
    ]
    if machines["count"] > 1:
        command += [
            "--machine_rank",
            str(machines["rank"]),
            "--main_process_ip",
            machines["main_ip"],
            "--main_process_port",
            str(machines["port"]),
            "--rdzv_backend",
            "static",
        ]
    if config_file:
        command += ["--config_file", config_file]
    elif num_processes > 1:
        # One process per device through torch.distributed; on a CPU-only machine the trainers
        # run with use_cpu and talk over gloo, which tests the launch path without GPUs.
        command.append("--multi_gpu")
    return command + ["-m", "judgerl.launch", str(job_file)]


def child_env(scriptdir: str) -> dict:
    """The environment of launched processes: they train (CHILD) and import the library."""
    env = dict(os.environ, **{CHILD: "1"})
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in [scriptdir, env.get("PYTHONPATH")] if p
    )
    return env


def write_job(snakemake, work: Path, launched: dict | None, **extra) -> Path:
    """The job file that launched processes rebuild `snakemake` from (`main`)."""
    work.mkdir(parents=True, exist_ok=True)
    job_file = work / "job.json"
    spec = job_spec(snakemake, launched)
    spec["script"] = str(rule_script(snakemake).resolve())
    spec.update(extra)
    job_file.write_text(json.dumps(spec, indent=1))
    return job_file


def relaunch(
    snakemake,
    work: Path,
    num_processes: int,
    gpus: list[str] | None,
    launched: dict | None = None,
    **accelerate,
) -> None:
    """Run the rule's script under `accelerate launch` on `gpus` of this node; raise if any
    process fails."""
    job_file = write_job(snakemake, work, launched)
    env = child_env(snakemake.scriptdir)
    if gpus is not None:
        env["CUDA_VISIBLE_DEVICES"] = ",".join(gpus)
    command = accelerate_command(job_file, num_processes, **accelerate)
    log.info(
        "launching %d trainer processes on GPUs %s: %s",
        num_processes,
        gpus,
        " ".join(command),
    )
    done = subprocess.run(command, env=env)
    if done.returncode != 0:
        raise RuntimeError(
            f"the launched trainer failed with exit code {done.returncode}; see the log above"
        )


def trainer_gpus(processes: int, reserved: int = 0) -> list[str] | None:
    """The first `processes` of the job's GPUs (CUDA_VISIBLE_DEVICES); None on a CPU-only job."""
    from judgerl.serving import split_gpus

    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    return None if visible is None else split_gpus(visible, processes, reserved)[0]


def rule_script(snakemake) -> Path:
    """The entry script of a trainer rule: `<scriptdir>/<rule>.py`, one script per rule kind."""
    script = Path(snakemake.scriptdir) / f"{snakemake.rule}.py"
    if not script.is_file():
        raise FileNotFoundError(
            f"rule {snakemake.rule}: no entry script {script} to launch trainer processes with"
        )
    return script


# ---- several nodes: srun steps in the job's SLURM allocation ----------------------------------


def allocation_hosts() -> list[str]:
    """The hosts of this SLURM job, the batch host (where this process runs) first.

    Asked of the controller by job id: the SLURM plugin's job step passes on SLURM_JOB_ID but
    drops the allocation's other variables (SLURM_JOB_NODELIST among them).
    """
    job = os.environ.get("SLURM_JOB_ID")
    if not job:
        raise RuntimeError(
            "a trainer on several nodes (launch.<rule>.nodes, judge_server.nodes) runs inside a "
            "SLURM allocation: run the workflow with --profile profiles/slurm"
        )

    def scontrol(*args: str) -> str:
        return subprocess.run(
            ["scontrol", *args], capture_output=True, text=True, check=True
        ).stdout

    fields = dict(
        field.split("=", 1)
        for field in scontrol("show", "job", "--oneliner", job).split()
        if "=" in field
    )
    hosts = scontrol("show", "hostnames", fields["NodeList"]).split()
    here = socket.gethostname().split(".")[0]
    if here in hosts:
        hosts.remove(here)
        hosts.insert(0, here)
    return hosts


def place(layout: Layout, hosts: list[str]) -> tuple[list[str], list[str]]:
    """The host of every trainer machine, and of every judge server task.

    Trainer machines take the first nodes, the judge the next ones, `servers_per_node` tasks
    each. An allocation with fewer hosts than nodes (a one-node test cluster) cycles through its
    hosts, so that two tasks on one host stand in for two nodes.
    """
    if len(hosts) < layout.job_nodes:
        log.warning(
            "%d nodes on %d host(s): hosts stand in for several nodes",
            layout.job_nodes,
            len(hosts),
        )
    nodes = [hosts[i % len(hosts)] for i in range(layout.job_nodes)]
    servers = [
        host for host in nodes[layout.nodes :] for _ in range(layout.servers_per_node)
    ]
    return nodes[: layout.nodes], servers


def srun_step(
    hosts: list[str], hostfile: Path, cpus_per_task: int, command: list[str]
) -> tuple[list[str], dict]:
    """An srun step of one task per entry of `hosts`, placed in that order (`SLURM_HOSTFILE`
    with `--distribution=arbitrary`, which takes the nodes from the file alone); `--overlap` lets the trainer's and the servers' steps share
    a host where one stands in for several nodes. One failed task ends the step."""
    hostfile.parent.mkdir(parents=True, exist_ok=True)
    hostfile.write_text("\n".join(hosts) + "\n")
    step = [
        "srun",
        "--overlap",
        f"--ntasks={len(hosts)}",
        "--distribution=arbitrary",
        f"--cpus-per-task={max(int(cpus_per_task), 1)}",
        "--kill-on-bad-exit=1",
        "--label",  # each line of the log names its task
    ]
    return step + command, {"SLURM_HOSTFILE": str(hostfile)}


def server_urls(hosts: list[str], base_port: int) -> list[str]:
    """Each server task's URL: on its host, at the base port plus its index on that host
    (SLURM_LOCALID, judgerl.serving.serve_task)."""
    seen: dict[str, int] = {}
    urls = []
    for host in hosts:
        urls.append(f"http://{host}:{base_port + seen.get(host, 0)}/v1")
        seen[host] = seen.get(host, 0) + 1
    return urls


def relaunch_on_machines(
    snakemake,
    work: Path,
    layout: Layout,
    hosts: list[str],
    launched: dict,
    **accelerate,
) -> None:
    """One `accelerate launch` per trainer machine, as the tasks of one srun step."""
    from judgerl.serving import free_port

    machines = {
        "count": layout.nodes,
        "main_ip": socket.gethostbyname(hosts[0]),
        "port": free_port(),
        "processes": layout.world_size,
        **accelerate,
    }
    job_file = write_job(snakemake, work, launched, machines=machines)
    command, env = srun_step(
        hosts,
        work / "trainer.hosts",
        snakemake.threads,
        [sys.executable, "-m", "judgerl.launch", "--machine", str(job_file)],
    )
    log.info(
        "launching %s on %s: %s", layout.describe(), ",".join(hosts), " ".join(command)
    )
    done = subprocess.run(command, env={**child_env(snakemake.scriptdir), **env})
    if done.returncode != 0:
        raise RuntimeError(
            f"the trainer's srun step failed with exit code {done.returncode}; each machine's "
            "output is in the log above"
        )


def machine_main(job_file: str) -> None:
    """One machine of a multi-node trainer: its rank is its srun task's."""
    spec = json.loads(Path(job_file).read_text())
    machines = {**spec["machines"], "rank": int(os.environ["SLURM_PROCID"])}
    command = accelerate_command(
        Path(job_file),
        machines["processes"],
        mixed_precision=machines["mixed_precision"],
        config_file=machines["config_file"],
        machines=machines,
    )
    os.execve(command[0], command, child_env(spec["scriptdir"]))


# ---- the one way every trainer starts -------------------------------------------------------


def judge_servers(snakemake, serve, layout: Layout, hosts, work: Path):
    """The judge's servers of this job, not yet started (serving.JudgeServer)."""
    from judgerl.serving import JudgeServer, free_port, split_gpus

    server_log = Path(snakemake.log[0]).with_suffix(".judge_server.log")
    if layout.multi_node:
        base = free_port()
        spec = work / "server.json"
        spec.parent.mkdir(parents=True, exist_ok=True)
        spec.write_text(serve.to_json())
        command, env = srun_step(
            hosts,
            work / "servers.hosts",
            snakemake.threads,
            [sys.executable, "-m", "judgerl.serving", str(spec), str(base)],
        )
        env["PYTHONPATH"] = child_env(snakemake.scriptdir)["PYTHONPATH"]
        return JudgeServer(
            command,
            None,
            server_log,
            startup_timeout_s=serve.startup_timeout_s,
            env=env,
            urls=server_urls(hosts, base),
        )
    gpus = None
    if layout.judge_gpus:
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        gpus = split_gpus(visible, layout.processes, layout.judge_gpus)[1]
    port = free_port()
    return JudgeServer(
        serve.command(port),
        port,
        server_log,
        gpus=gpus,
        startup_timeout_s=serve.startup_timeout_s,
        env=serve.env,
    )


def run(
    snakemake, train, settings: dict | None, work: Path, serve=None, check=None
) -> None:
    """`train(launched)` on the layout of `settings` (config `launch.<rule>`): in place, under
    `accelerate launch` on this node, or one launcher per machine over several nodes; with
    `serve` (serving.ServerSpec), the judge's servers first, their URLs passed on as
    `launched["judge_urls"]`, after `check(urls)` (the served-judge check) has passed. In the
    launched processes (`is_child`), `train` runs with what was passed on."""
    if is_child():
        log.info(
            "trainer process %s of %s",
            os.environ.get("RANK", "?"),
            os.environ.get("WORLD_SIZE", "?"),
        )
        train(snakemake.launched)
        return
    settings = settings or {}
    layout = Layout.of(settings)
    accelerate = {
        "config_file": settings.get("accelerate_config"),
        "mixed_precision": settings.get("mixed_precision", "bf16"),
    }
    trainer_hosts, server_hosts = (
        place(layout, allocation_hosts()) if layout.multi_node else ([], [])
    )
    servers = (
        judge_servers(snakemake, serve, layout, server_hosts, work)
        if serve is not None
        else nullcontext()
    )
    with servers as judge:
        # The trackers come from the config, not params: choosing one reruns no trainer.
        launched = {}
        tracked = (getattr(snakemake, "config", None) or {}).get("tracking")
        if tracked:
            launched["tracking"] = tracked
        if judge is not None:
            if check is not None:
                check(judge.urls)
            launched["judge_urls"] = judge.urls
        if layout.multi_node:
            relaunch_on_machines(
                snakemake, work, layout, trainer_hosts, launched, **accelerate
            )
            return
        gpus = trainer_gpus(layout.processes, layout.judge_gpus)
        if layout.processes > 1:
            relaunch(snakemake, work, layout.processes, gpus, launched, **accelerate)
            return
        if gpus is not None:
            os.environ["CUDA_VISIBLE_DEVICES"] = ",".join(gpus)
        train(launched)


def allow_fsdp_on_cpu() -> None:
    """Let an FSDP launch config shard over CPU processes (gloo), as it does over GPUs.

    accelerate makes a config's `distributed_type: FSDP` FSDP on accelerator devices only: on a
    machine without a GPU the processes become MULTI_CPU, plain data parallel, each holding the
    whole model, although torch's FSDP2 shards over gloo as well. Setting the state to FSDP
    after accelerate has decided sends a CPU run through accelerate's own FSDP2 path
    (`fully_shard`, the sharded optimizer, the gathered state dict): that is how the tests run
    the paper's sharded training on a CPU. On a GPU, or without an FSDP config, it does nothing.
    """
    import torch

    if torch.cuda.is_available() or os.environ.get("ACCELERATE_USE_FSDP") != "true":
        return
    from accelerate import state
    from accelerate.utils import DistributedType

    init = state.AcceleratorState.__init__

    def fsdp_init(self, *args, fsdp_plugin=None, **kwargs):
        init(self, *args, fsdp_plugin=fsdp_plugin, **kwargs)
        if (
            fsdp_plugin is not None
            and self.distributed_type == DistributedType.MULTI_CPU
        ):
            self.distributed_type = DistributedType.FSDP
            self.fsdp_plugin = fsdp_plugin
            # A later AcceleratorState() merges PartialState's fields back in: set it there too.
            state.PartialState._shared_state["distributed_type"] = DistributedType.FSDP

    state.AcceleratorState.__init__ = fsdp_init


def allow_resume_on_cpu() -> None:
    """Let several CPU processes resume from a checkpoint, as GPU processes do.

    accelerate gives each process of a multi-process CPU run the device `cpu:<index>`, and
    transformers loads a resumed optimizer state with that device as `map_location`
    (Trainer._load_optimizer_and_scheduler, world size > 1); torch knows the location `cpu`
    only and refuses `cpu:0` (accelerate 1.15, transformers 5.17, torch 2.13). Registering
    `cpu:<index>` as the CPU lets the load go through (its tensors stay where they are: on the
    CPU).
    """
    import re

    import torch

    if torch.cuda.is_available():
        return

    def cpu_index(obj, location):
        return obj if re.fullmatch(r"cpu:\d+", location) else None

    def no_tag(obj):
        return None

    torch.serialization.register_package(30, no_tag, cpu_index)


def main(job_file: str) -> None:
    spec = json.loads(Path(job_file).read_text())
    allow_fsdp_on_cpu()
    allow_resume_on_cpu()
    # The script imports judgerl installed, or from its own folder on PYTHONPATH (child_env).
    runpy.run_path(
        spec["script"], init_globals={"snakemake": SavedJob(spec)}, run_name="__main__"
    )


if __name__ == "__main__":
    if sys.argv[1] == "--machine":
        machine_main(sys.argv[2])
    else:
        main(sys.argv[1])
