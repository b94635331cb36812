"""Progress lines in a job's log: how far a long job is, how fast it goes, how long it has left.

Every long job (gold annotation, candidate and answer generation, scoring, Arena-Hard judging,
judge evaluation, training) counts its items with a `Progress`, which logs

    annotated: 1,234 / 5,000 (24.7%), 3.2 items/s, 20 min left

at most once every `every_s` seconds, and once more when the last item is done (or at `finish`):

    annotated: 5,000 / 5,000 (100.0%), 3.2 items/s, took 26 min

so that `tail -f` on a log shows where a job is, and the log of a 24-hour job stays small. Items
already done when a resumed job starts (its progress file, its last checkpoint) count toward the
done items, not toward the rate, which is that of this run alone.

Why not tqdm: its bar redraws one line with carriage returns, which a log file keeps as one
ever-growing line, and its `mininterval` counts from the last redraw, not per logged line. A
plain class writes whole lines through `logging`, with the rule's logger and timestamp.

The interval is `DEFAULT_SECONDS` (60 s: at most 1,440 lines, about 120 KB, for a 24-hour job,
and the time left is shown in minutes anyway), or the environment variable
`JUDGERL_PROGRESS_SECONDS` (0: a line at every step, for tests and for a close look).
"""

from __future__ import annotations

import logging
import os
import time

ENV = "JUDGERL_PROGRESS_SECONDS"
DEFAULT_SECONDS = 60.0

log = logging.getLogger(__name__)


def interval() -> float:
    """Seconds between two progress lines: $JUDGERL_PROGRESS_SECONDS, else DEFAULT_SECONDS."""
    value = os.environ.get(ENV, "").strip()
    if not value:
        return DEFAULT_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"{ENV} must be a number of seconds, got {value!r}") from None
    if seconds < 0:
        raise ValueError(f"{ENV} must be 0 or more seconds, got {value!r}")
    return seconds


def duration(seconds: float) -> str:
    """A span of time as a log reader wants it: seconds, minutes or hours."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def rate(per_second: float, unit: str) -> str:
    """Items per second, per minute or per hour, whichever reads as 1 or more."""
    if per_second >= 1:
        return f"{per_second:.1f} {unit}/s"
    if per_second * 60 >= 1:
        return f"{per_second * 60:.1f} {unit}/min"
    return f"{per_second * 3600:.1f} {unit}/h"


class Progress:
    """Count `total` items of work, `done` of them done before this run; log now and then.

    `advance(n)` after every n items (a chunk), or `advance_to(done)` with a running count (a
    trainer's step). The last item logs the final line; `finish()` (or leaving a `with` block
    without an error) logs it for a job that ends short of `total`.
    """

    def __init__(
        self,
        what: str,
        total: int,
        done: int = 0,
        logger: logging.Logger | None = None,
        every_s: float | None = None,
        clock=time.monotonic,
        unit: str = "items",
    ):
        self.what, self.total, self.done, self.unit = what, total, done, unit
        self.log = logger or log
        self.every_s = interval() if every_s is None else every_s
        self.clock = clock
        self.first = done  # done before this run: not part of the rate
        self.start = self.last = clock()
        self.finished = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.finish()

    def advance(self, n: int = 1) -> None:
        self.advance_to(self.done + n)

    def advance_to(self, done: int) -> None:
        self.done = done
        if self.finished:
            return
        if self.done >= self.total:
            self.finish()
            return
        now = self.clock()
        if now - self.last >= self.every_s:
            self.last = now
            self.log.info("%s", self.line(now))

    def finish(self) -> None:
        if not self.finished:
            self.finished = True
            self.log.info("%s", self.line(self.clock(), final=True))

    def per_second(self, now: float) -> float | None:
        """This run's rate; None before it has done anything."""
        elapsed, new = now - self.start, self.done - self.first
        return new / elapsed if new > 0 and elapsed > 0 else None

    def line(self, now: float, final: bool = False) -> str:
        share = 100 * self.done / self.total if self.total else 100.0
        parts = [f"{self.what}: {self.done:,} / {self.total:,} ({share:.1f}%)"]
        speed = self.per_second(now)
        if speed is not None:
            parts.append(rate(speed, self.unit))
        if final:
            parts.append(f"took {duration(now - self.start)}")
        elif speed is not None:
            parts.append(f"{duration(max(self.total - self.done, 0) / speed)} left")
        return ", ".join(parts)


def in_chunks(judge, n: int, size: int, meter: Progress) -> list:
    """`judge(start, stop)` over items start:stop, `size` at a time, joined in order; the meter
    advances after each chunk."""
    out = []
    for start in range(0, n, size):
        stop = min(start + size, n)
        out += judge(start, stop)
        meter.advance(stop - start)
    return out
