"""What every rule script does first: send output to the rule's log, set threads and seeds."""

from __future__ import annotations

import logging
import os
import random
import sys

log = logging.getLogger("judgerl")


def setup(snakemake, seed: int | None = None) -> None:
    """Route stdout, stderr and logging to the rule's log file; pin threads and seeds."""
    if snakemake.log:
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
