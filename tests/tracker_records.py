"""Read back what the trackers wrote, with each tool's own reader where it has one: TensorBoard's
EventAccumulator; for W&B's offline runs (LevelDB-log files of protobuf records, whose Python
reader W&B no longer ships), a reader of that framing and W&B's own record type."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

BLOCK = 32768  # LevelDB log blocks; W&B's file starts with a 7-byte header of its own


def tensorboard_runs(folder: Path) -> list[Path]:
    """A job's TensorBoard runs (`tensorboard/<run id>/`), oldest first."""
    return sorted(p for p in Path(folder).iterdir() if p.is_dir())


def tensorboard_scalars(folder: Path) -> dict[str, list[tuple[int, float]]]:
    """tag -> [(step, value)] in the order logged, as TensorBoard shows one run's folder:
    events that a resumed attempt purged are gone. (The Trainer logs some tags twice at one
    step, such as `epoch` beside its closing summary.)"""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(folder), size_guidance={"scalars": 0})
    acc.Reload()
    return {
        tag: [(e.step, e.value) for e in acc.Scalars(tag)]
        for tag in acc.Tags()["scalars"]
    }


def wandb_records(path: Path):
    """The records of one `.wandb` file, each chunk's CRC checked (zlib's CRC-32 seeded with the
    chunk's type byte). A job killed by its time limit takes W&B's service with it in the middle
    of a buffered write: its file then ends in a torn record, where `wandb sync` stops reading
    (the same run's resumed attempt logs those steps again). A torn record before the file's
    last block is corruption, and fails."""
    from wandb.proto import wandb_internal_pb2 as pb

    data = Path(path).read_bytes()
    assert data[:4] == b":W&B", path
    pos, parts = 7, b""
    while pos + 7 <= len(data):
        left = BLOCK - pos % BLOCK
        if left < 7:
            pos += left
            continue
        crc, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        chunk = data[pos + 7 : pos + 7 + length]
        if len(chunk) < length or zlib.crc32(chunk, zlib.crc32(bytes([kind]))) != crc:
            assert len(data) - pos <= BLOCK, f"{path}: corrupt record at byte {pos}"
            return
        pos += 7 + length
        if kind == 0 and length == 0:
            continue
        parts += chunk
        if kind in (1, 4):  # a whole record, or its last part
            record = pb.Record()
            record.ParseFromString(parts)
            parts = b""
            yield record


def wandb_run(folder: Path) -> tuple[set[str], dict[int, dict]]:
    """The run ids of a job's offline W&B segments, and its history as W&B shows it after
    `wandb sync`: segments in the order they started, each rewind (`resume_from`) dropping the
    steps after its branch point."""
    import json

    import wandb

    # W&B's service process writes the offline files and closes them when it shuts down, which a
    # job's exit does; a test that logged in its own process reads them after the same.
    wandb.teardown()
    segments = []
    for path in Path(folder).glob("wandb/offline-run-*/run-*.wandb"):
        records = list(wandb_records(path))
        run = next(r.run for r in records if r.WhichOneof("record_type") == "run")
        segments.append(((run.start_time.seconds, run.start_time.nanos), run, records))
    ids, history = set(), {}
    for _, run, records in sorted(segments, key=lambda s: s[0]):
        ids.add(run.run_id)
        if run.HasField("branch_point"):
            rewind = int(run.branch_point.value)
            history = {s: h for s, h in history.items() if s <= rewind}
        for record in records:
            if record.WhichOneof("record_type") != "history":
                continue
            items = {
                (i.key or ".".join(i.nested_key)): json.loads(i.value_json)
                for i in record.history.item
            }
            history.setdefault(record.history.step.num, {}).update(items)
    return ids, history
