"""Tracked runs: every trainer's logged scalars mirrored to TensorBoard and / or W&B.

Config `tracking` chooses the backends (`report_to`) and where they write: a folder per job,
`<dir>/<rule>/<job>` (the job's wildcards), outside `results/`, so that Snakemake's removal of a
job's outputs before a rerun leaves it. The trainer's own files (`train_log.csv`, the judge-call
logs) stay the record; the trackers mirror what the Trainer logs, from the main process only.

A job resumed after a kill or a time limit continues the same tracked run, without a step twice:
the run starts at the first step the resumed Trainer takes (its checkpoint's step s is known only
once it has loaded it), and
- TensorBoard writes a purge marker at s + 1, so readers drop what an earlier attempt logged
  after the resume point (torch's SummaryWriter `purge_step`);
- W&B continues the run of the id kept in the job's work folder (with its resume state). W&B
  cannot overwrite a step, and a job stopped by its time limit takes W&B's service with it
  before its last steps reach W&B's files: the run is rewound to its start (`resume_from`) and
  the checkpoint's own log (the Trainer's log history up to s) is logged again, then the
  resumed steps. Its steps are the Trainer's (`step=global_step`). Offline by default
  (`wandb_mode`), synced later with `wandb sync`.

`check` runs before any job starts: a backend whose package is missing, or W&B online without a
key, is named then, not at hour 30.
"""

from __future__ import annotations

import functools
import logging
import math
import os
from pathlib import Path

log = logging.getLogger(__name__)

BACKENDS = ("tensorboard", "wandb")
PACKAGES = {"tensorboard": "tensorboard", "wandb": "wandb"}


class TrackingError(RuntimeError):
    pass


def check(settings: dict) -> None:
    """Every chosen backend can log: its package imports, and W&B online has a key."""
    import importlib.util

    for backend in settings.get("report_to", []):
        if importlib.util.find_spec(PACKAGES[backend]) is None:
            raise TrackingError(
                f"tracking.report_to names {backend}, but its package ({PACKAGES[backend]}) is "
                "not installed: pip install it, or leave it out of tracking.report_to"
            )
        if (
            backend == "wandb"
            and settings.get("wandb_mode", "offline") == "online"
            and not os.environ.get("WANDB_API_KEY")
            and not (Path.home() / ".netrc").exists()
        ):
            raise TrackingError(
                "tracking.wandb_mode is online, but W&B has no key (WANDB_API_KEY, or "
                "`wandb login`): set one, or log offline (wandb_mode: offline)"
            )


def job_name(wildcards: dict) -> str:
    return "-".join(str(v) for v in wildcards.values()) or "all"


def job_dir(settings: dict, rule: str, wildcards: dict) -> Path:
    """The job's tracking folder: `<dir>/<rule>/<job>`."""
    return Path(settings.get("dir", "tracking")) / rule / job_name(wildcards)


def scalars(logs: dict) -> dict[str, float]:
    """The numbers of one Trainer log; NaN (a step that a sampled monitor skipped) left out."""
    return {
        k: float(v)
        for k, v in logs.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v)
    }


def callbacks(settings: dict | None, rule: str, wildcards: dict, work: Path) -> list:
    """TrainerCallbacks of the chosen backends for one job (none without `tracking`)."""
    settings = settings or {}
    folder = job_dir(settings, rule, wildcards)
    name = f"{rule}/{job_name(wildcards)}"
    TensorBoardLog, WandbLog = _trackers()
    out = []
    for backend in settings.get("report_to", []):
        if backend == "tensorboard":
            out.append(TensorBoardLog(folder / "tensorboard"))
        elif backend == "wandb":
            out.append(
                WandbLog(
                    folder,
                    project=settings.get("project", "judgerl"),
                    name=name,
                    mode=settings.get("wandb_mode", "offline"),
                    id_file=Path(work) / "wandb_run_id",
                )
            )
    return out


def for_job(snakemake, launched: dict, work: Path) -> list:
    """The trackers of a trainer job: config `tracking`, passed on by launch.run."""
    return callbacks(
        launched.get("tracking"),
        snakemake.rule,
        dict(snakemake.wildcards.items()),
        work,
    )


@functools.cache
def _trackers():
    """The tracker callbacks, defined on first use: the Snakefile imports this module for
    `check` without loading transformers."""
    from transformers import TrainerCallback

    class Tracker(TrainerCallback):
        """Starts at the Trainer's first step (after a resumed Trainer has loaded its checkpoint),
        on the main process only; mirrors every logged scalar at the Trainer's step."""

        started = False

        def on_step_begin(self, args, state, control, **kwargs):
            if not self.started and state.is_world_process_zero:
                self.start(state.global_step, state.log_history)
                self.started = True

        def on_log(self, args, state, control, logs=None, **kwargs):
            if self.started and logs:
                self.write(scalars(logs), state.global_step)

        def on_train_end(self, args, state, control, **kwargs):
            if self.started:
                self.stop()
                self.started = False

    class TensorBoardLog(Tracker):
        def __init__(self, folder: Path):
            self.folder, self.writer = Path(folder), None

        def start(self, step: int, history: list[dict]) -> None:
            from torch.utils.tensorboard import SummaryWriter

            # After a resume at step s, readers drop the events an earlier attempt wrote after s.
            self.writer = SummaryWriter(
                str(self.folder), purge_step=step + 1 if step else None
            )
            log.info("TensorBoard: %s (from step %d)", self.folder, step + 1)

        def write(self, values: dict, step: int) -> None:
            for key, value in values.items():
                self.writer.add_scalar(key, value, step)
            self.writer.flush()

        def stop(self) -> None:
            self.writer.close()

    class WandbLog(Tracker):
        def __init__(
            self, folder: Path, project: str, name: str, mode: str, id_file: Path
        ):
            self.folder, self.project, self.name, self.mode = (
                Path(folder),
                project,
                name,
                mode,
            )
            self.id_file, self.run = Path(id_file), None

        def start(self, step: int, history: list[dict]) -> None:
            import wandb

            self.folder.mkdir(parents=True, exist_ok=True)
            common = dict(
                project=self.project,
                name=self.name,
                dir=str(self.folder),
                mode=self.mode,
            )
            if self.id_file.exists():
                # The stopped attempt's last steps may not have reached W&B's files (its
                # service dies with the job): rewind the run to its start and log again what
                # the checkpoint's own log holds, up to the resume point.
                run_id = self.id_file.read_text().strip()
                self.run = wandb.init(**common, resume_from=f"{run_id}?_step=0")
                for row in history:
                    if 0 < row.get("step", 0) <= step:
                        self.write(scalars(row), row["step"])
            else:
                self.run = wandb.init(**common)
                run_id = self.run.id
                self.id_file.parent.mkdir(parents=True, exist_ok=True)
                self.id_file.write_text(run_id + "\n")
            log.info(
                "W&B run %s (%s, %s) from step %d",
                run_id,
                self.name,
                self.mode,
                step + 1,
            )

        def write(self, values: dict, step: int) -> None:
            self.run.log(values, step=step)

        def stop(self) -> None:
            self.run.finish()

    return TensorBoardLog, WandbLog
