"""Multi-process training from a Snakemake `script:` rule, through `accelerate launch`.

A rule's script runs in one Python process that Snakemake starts. For a trainer on several GPUs,
the script hands its job to `accelerate launch`: `relaunch` writes the job (inputs, outputs,
params, log, wildcards) to a JSON file and starts `accelerate launch --num_processes N -m
judgerl.launch <job.json>` on the trainer's GPUs; every process then runs the same script file
with a stand-in `snakemake` object rebuilt from that JSON. The GPU split is explicit: the job's
visible GPUs go to the trainer first, then to the judge server (serving.split_gpus).
"""

from __future__ import annotations

import json
import logging
import os
import runpy
import subprocess
import sys
from pathlib import Path

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


class Job:
    """What a Snakemake script sees as `snakemake`, rebuilt from a job file."""

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
) -> list[str]:
    """`accelerate launch` of this module on one machine.

    With `config_file` (FSDP, DeepSpeed), the file's `distributed_type` decides how the processes
    train: a `--multi_gpu` flag beside it would override it, and every process would hold the
    whole model as plain DDP. Without one, several processes are plain data parallel.
    """
    command = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--num_processes",
        str(num_processes),
        "--num_machines",
        "1",
        "--mixed_precision",
        mixed_precision,
        "--dynamo_backend",
        "no",
    ]
    if config_file:
        command += ["--config_file", config_file]
    elif num_processes > 1:
        # One process per device through torch.distributed; on a CPU-only machine the trainers
        # run with use_cpu and talk over gloo, which tests the launch path without GPUs.
        command.append("--multi_gpu")
    return command + ["-m", "judgerl.launch", str(job_file)]


def relaunch(
    snakemake,
    script: str | Path,
    work: Path,
    num_processes: int,
    gpus: list[str] | None,
    launched: dict | None = None,
    **accelerate,
) -> None:
    """Run `script` under `accelerate launch` on `gpus`; raise if any process fails."""
    work.mkdir(parents=True, exist_ok=True)
    job_file = work / "job.json"
    spec = job_spec(snakemake, launched)
    spec["script"] = str(Path(script).resolve())
    job_file.write_text(json.dumps(spec, indent=1))
    env = dict(os.environ, **{CHILD: "1"})
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in [snakemake.scriptdir, env.get("PYTHONPATH")] if p
    )
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


def run(
    snakemake,
    train,
    settings: dict | None,
    work: Path,
    launched: dict | None = None,
    gpus: list[str] | None = None,
) -> None:
    """`train(launched)` here, or under `accelerate launch` when `settings` asks for several
    processes: the one way every trainer starts, with or without a judge server beside it.

    `launched` is what the launching process passes on (a judge server's URL); `gpus`, the
    trainer's GPUs where the job's other GPUs serve a judge (default: the first `processes` of
    the job's). In the launched processes (`is_child`), `train` runs with what was passed on.
    """
    settings = settings or {}
    if is_child():
        log.info(
            "trainer process %s of %s",
            os.environ.get("RANK", "?"),
            os.environ.get("WORLD_SIZE", "?"),
        )
        train(snakemake.launched)
        return
    processes = int(settings.get("processes", 1))
    if processes <= 1:
        if gpus is not None:
            os.environ["CUDA_VISIBLE_DEVICES"] = ",".join(gpus)
        train(launched or {})
        return
    relaunch(
        snakemake,
        rule_script(snakemake),
        work,
        processes,
        gpus if gpus is not None else trainer_gpus(processes),
        launched,
        config_file=settings.get("accelerate_config"),
        mixed_precision=settings.get("mixed_precision", "bf16"),
    )


def allow_fsdp_on_cpu() -> None:
    """Let an FSDP launch config shard over CPU processes (gloo), as it does over GPUs.

    accelerate 1.15 turns a config's `distributed_type: FSDP` into FSDP on accelerator devices
    only: on a machine without a GPU its processes become MULTI_CPU, plain data parallel, each
    holding the whole model, although torch's FSDP2 shards over gloo. Setting the state to FSDP
    once accelerate has decided sends a CPU run through accelerate's own FSDP2 path
    (`fully_shard`, the sharded optimizer, the gathered state dict), which is how the tests prove
    the paper's sharded training on a CPU.
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


def main(job_file: str) -> None:
    spec = json.loads(Path(job_file).read_text())
    allow_fsdp_on_cpu()
    sys.path.insert(0, spec["scriptdir"])
    runpy.run_path(
        spec["script"], init_globals={"snakemake": Job(spec)}, run_name="__main__"
    )


if __name__ == "__main__":
    main(sys.argv[1])
