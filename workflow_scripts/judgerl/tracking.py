"""Tracked runs: every trainer's logged scalars mirrored to TensorBoard and / or W&B.

Config `tracking` chooses the backends (`report_to`) and where they write: a folder per job,
`<dir>/<rule>/<job>` (the job's wildcards), outside `results/`, so that Snakemake's removal of a
job's outputs before a rerun leaves it. The trainer's own files (`train_log.csv`, the judge-call
logs) stay the record; the trackers mirror what the Trainer logs, from the main process only.

A job resumed after a kill or a time limit continues the same tracked run (its id is kept in the
job's work folder with the resume state; a fresh start is a new run), without a step twice: the
trackers start at the first step the resumed Trainer takes (its checkpoint's step s is known only
once it has loaded it), and
- TensorBoard (one folder per tracked run, `tensorboard/<run id>/`) writes a purge marker at
  s + 1, so readers drop what the stopped attempt logged after the resume point (torch's
  SummaryWriter `purge_step`);
- W&B continues the run of that id. W&B cannot overwrite a step, and a job stopped by its time
  limit takes W&B's service with it before its last steps reach W&B's files: the run is rewound
  to its start (`resume_from`) and the checkpoint's own log (the Trainer's log history up to s)
  is logged again, then the resumed steps. Its steps are the Trainer's (`step=global_step`). Offline by default
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


class TrackedRun:
    """A job's tracked run: its id, kept in the job's work folder with the resume state, so
    that an attempt that resumes the training continues it. A fresh start (the work folder
    without one: a new job, or one whose settings changed) is a new run, named by its start time.
    Read by the main process only, when its trackers start."""

    def __init__(self, work: Path):
        self.file = Path(work) / "tracked_run"
        self._id: str | None = None
        self.resumed = False

    @property
    def id(self) -> str:
        if self._id is None:
            if self.file.exists():
                self._id, self.resumed = self.file.read_text().strip(), True
            else:
                import secrets
                import time

                self._id = time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)
                self.file.parent.mkdir(parents=True, exist_ok=True)
                self.file.write_text(self._id + "\n")
        return self._id


def callbacks(settings: dict | None, rule: str, wildcards: dict, work: Path) -> list:
    """TrainerCallbacks of the chosen backends for one job (none without `tracking`)."""
    settings = settings or {}
    folder = job_dir(settings, rule, wildcards)
    run = TrackedRun(work)
    TensorBoardLog, WandbLog = _trackers()
    out = []
    for backend in settings.get("report_to", []):
        if backend == "tensorboard":
            out.append(TensorBoardLog(folder / "tensorboard", run))
        elif backend == "wandb":
            out.append(
                WandbLog(
                    folder,
                    run,
                    project=settings.get("project", "judgerl"),
                    name=f"{rule}/{job_name(wildcards)}",
                    mode=settings.get("wandb_mode", "offline"),
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


class Tracker:
    """Starts at the Trainer's first step (after a resumed Trainer has loaded its checkpoint),
    on the main process only; mirrors every logged scalar at the Trainer's step. The Trainer
    sees it as a TrainerCallback (`_trackers`)."""

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


class TensorBoardTracker(Tracker):
    """`<folder>/<run id>/`: one TensorBoard run per tracked run."""

    def __init__(self, folder: Path, run: TrackedRun):
        self.folder, self.run, self.writer = Path(folder), run, None

    def start(self, step: int, history: list[dict]) -> None:
        from torch.utils.tensorboard import SummaryWriter

        folder = self.folder / self.run.id
        # Resumed at step s: readers drop what the stopped attempt logged after s.
        purge = step + 1 if self.run.resumed else None
        self.writer = SummaryWriter(str(folder), purge_step=purge)
        log.info("TensorBoard: %s (from step %d)", folder, step + 1)

    def write(self, values: dict, step: int) -> None:
        for key, value in values.items():
            self.writer.add_scalar(key, value, step)
        self.writer.flush()

    def stop(self) -> None:
        self.writer.close()


class WandbTracker(Tracker):
    """The W&B run of the tracked run's id, under `<folder>`."""

    def __init__(
        self, folder: Path, run: TrackedRun, project: str, name: str, mode: str
    ):
        self.folder, self.tracked, self.project = Path(folder), run, project
        self.name, self.mode, self.run = name, mode, None

    def start(self, step: int, history: list[dict]) -> None:
        import wandb

        self.folder.mkdir(parents=True, exist_ok=True)
        common = dict(
            project=self.project,
            name=self.name,
            dir=str(self.folder),
            mode=self.mode,
        )
        run_id = self.tracked.id
        if not self.tracked.resumed:
            self.run = wandb.init(**common, id=run_id)
        else:
            # The stopped attempt's last steps may not have reached W&B's files (its
            # service dies with the job): rewind the run to its start and log again what
            # the checkpoint's own log holds, up to the resume point.
            self.run = wandb.init(**common, resume_from=f"{run_id}?_step=0")
            for row in history:
                if 0 < row.get("step", 0) <= step:
                    self.write(scalars(row), row["step"])
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


@functools.cache
def _trackers():
    """The trackers as TrainerCallbacks, made on first use: the Snakefile imports this module
    for `check` without loading transformers."""
    from transformers import TrainerCallback

    return tuple(
        type(name, (tracker, TrainerCallback), {})
        for name, tracker in (
            ("TensorBoardLog", TensorBoardTracker),
            ("WandbLog", WandbTracker),
        )
    )
