"""Atomic writes and resumable JSONL: nothing half-written ever looks finished."""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def read_json(path: str | Path):
    return json.loads(Path(path).read_text())


def read_jsonl(path: str | Path) -> list[dict]:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"missing input file: {path}")
    rows = []
    with path.open() as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as err:
                    raise ValueError(
                        f"{path}:{lineno}: not valid JSON ({err.msg})"
                    ) from err
    return rows


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary sibling path; rename it onto `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    _remove(tmp)
    try:
        yield tmp
        if path.exists():
            _remove(path)
        os.replace(tmp, path)
    finally:
        _remove(tmp)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def write_jsonl(path: str | Path, rows: Iterable[dict]) -> None:
    with atomic_path(path) as tmp, tmp.open("w") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def append_jsonl(path: str | Path, rows: Iterable[dict]) -> None:
    """Append `rows` to `path`, on disk before it returns: a crash after it keeps them all."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def write_json(path: str | Path, obj: Any) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


class ResumableJsonl:
    """Progress of a long job, one JSON row per finished item, keyed by `key`.

    Rows are appended and flushed as they finish, next to the final output; a rerun after a crash
    skips the keys already there. `finish` moves the progress file onto the final output. `job`
    (runtime.job_record) is kept beside the progress: progress left by a job with other params
    or inputs (a killed run, then a changed config) is discarded, not resumed.
    """

    def __init__(self, output: str | Path, key: str = "key", job: str | None = None):
        self.output = Path(output)
        self.progress = self.output.with_name(f"{self.output.name}.progress")
        self.job = self.progress.with_name(f"{self.progress.name}.job")
        self.key = key
        self.rows: dict[str, dict] = {}
        if job is not None:
            if self.job.exists() and self.job.read_text() != job:
                log.warning(
                    "%s was left by a job with other params or inputs: starting afresh",
                    self.progress,
                )
                self.progress.unlink(missing_ok=True)
            self.progress.parent.mkdir(parents=True, exist_ok=True)
            write_text(self.job, job)
        if self.progress.exists():
            with self.progress.open() as fh:
                for line in fh:
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError:
                        break  # a line cut by the crash: everything after it is redone
                    self.rows[row[key]] = row
            # Rewrite without a possibly truncated last line before appending.
            self._rewrite()

    def _rewrite(self) -> None:
        with atomic_path(self.progress) as tmp, tmp.open("w") as fh:
            for row in self.rows.values():
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")

    def done(self, key: str) -> bool:
        return key in self.rows

    def add(self, rows: Iterable[dict]) -> None:
        rows = list(rows)
        keyed = [(row[self.key], row) for row in rows]
        append_jsonl(self.progress, rows)
        self.rows.update(keyed)

    def finish(self, order: list[str], keep=None) -> list[dict]:
        """Write the rows of `order` (those `keep` accepts, if given) onto the output, in one go."""
        missing = [k for k in order if k not in self.rows]
        if missing:
            raise RuntimeError(
                f"{self.output}: {len(missing)} items never finished, e.g. {missing[:3]}"
            )
        rows = [self.rows[k] for k in order]
        if keep is not None:
            rows = keep(rows)
        write_jsonl(self.output, rows)
        self.progress.unlink(missing_ok=True)
        self.job.unlink(missing_ok=True)
        return rows
