"""What every rule script does first: send output to the rule's log, save its job, set threads
and seeds; and how a script finds its job, from Snakemake or from a saved job file.

Every rule script is `main(snakemake)` plus

    if __name__ == "__main__":
        main(runtime.current_job(globals()))

so Snakemake runs it with its own `snakemake` object, and a person reruns one job on its own,
for debugging, from the job file saved beside the job's log:

    python workflow_scripts/<script>.py logs/<rule>/<job>.job.json
"""

from __future__ import annotations

import json
import logging
import os
import random
import sys
from pathlib import Path

log = logging.getLogger("judgerl")


def setup(snakemake, seed: int | None = None) -> None:
    """Route stdout, stderr and logging to the rule's log file; pin threads and seeds."""
    if snakemake.log:
        save_job(snakemake)
        stream = open(snakemake.log[0], "a", buffering=1)  # noqa: SIM115 - lives as long as the job
        sys.stdout = sys.stderr = stream
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    threads = max(1, int(snakemake.threads))
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    import torch

    torch.set_num_threads(threads)
    if seed is not None:
        set_seed(seed)
    log.info("rule %s, %d thread(s)", snakemake.rule, threads)


def set_seed(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def job_file(log_path: str | Path) -> Path:
    """Where a job is saved: beside its log, `<log name>.job.json`."""
    return Path(log_path).with_suffix(".job.json")


def save_job(snakemake) -> Path:
    from judgerl.files import write_json
    from judgerl.launch import job_spec

    path = job_file(snakemake.log[0])
    write_json(path, job_spec(snakemake, getattr(snakemake, "launched", None)))
    return path


def job_record(snakemake) -> str:
    """What makes a job's partial work its own: its params (but how it is launched) and its
    inputs, an input remade since (a retrained judge at the same path) counting as another."""
    import os

    return json.dumps(
        {
            "params": {k: v for k, v in snakemake.params.items() if k != "launch"},
            "input": {str(p): os.stat(p).st_mtime_ns for p in snakemake.input},
        },
        sort_keys=True,
        default=str,
    )


def current_job(namespace: dict):
    """The job a rule script runs: Snakemake's `snakemake` object when Snakemake (or the launcher)
    runs it, else the saved job file named on the command line."""
    if "snakemake" in namespace:
        return namespace["snakemake"]
    from judgerl.launch import SavedJob

    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_file():
        raise SystemExit(
            f"usage: python {sys.argv[0]} <job file>  (logs/<rule>/<job>.job.json)"
        )
    return SavedJob(json.loads(Path(sys.argv[1]).read_text()))
