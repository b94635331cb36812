import json

import pytest

from judgerl.files import ResumableJsonl, atomic_path, read_jsonl, write_jsonl


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.jsonl"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_atomic_dir(tmp_path):
    target = tmp_path / "model"
    with atomic_path(target) as tmp:
        tmp.mkdir()
        (tmp / "w.bin").write_text("x")
    assert (target / "w.bin").read_text() == "x"


def test_resumable_jsonl_continues_after_crash(tmp_path):
    out = tmp_path / "gold.jsonl"
    progress = ResumableJsonl(out)
    progress.add([{"key": "a", "v": 1}, {"key": "b", "v": 2}])
    # The crash cut the last line in half.
    with progress.progress.open("a") as fh:
        fh.write('{"key": "c", "v"')
    resumed = ResumableJsonl(out)
    assert resumed.done("a") and resumed.done("b") and not resumed.done("c")
    resumed.add([{"key": "c", "v": 3}])
    with pytest.raises(RuntimeError, match="never finished"):
        resumed.finish(["a", "b", "c", "d"])
    rows = resumed.finish(["c", "a", "b"])
    assert [r["key"] for r in rows] == ["c", "a", "b"]
    assert read_jsonl(out) == rows
    assert not resumed.progress.exists()


def test_read_jsonl_names_the_bad_line(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps({"a": 1}) + "\n{oops\n")
    with pytest.raises(ValueError, match="x.jsonl:2"):
        read_jsonl(path)
    with pytest.raises(FileNotFoundError, match="missing input file"):
        read_jsonl(tmp_path / "nope.jsonl")
    write_jsonl(tmp_path / "y.jsonl", [{"b": 2}])
    assert read_jsonl(tmp_path / "y.jsonl") == [{"b": 2}]


def test_resumable_jsonl_finish_writes_only_the_kept_rows(tmp_path):
    out = tmp_path / "low.jsonl"
    progress = ResumableJsonl(out)
    progress.add([{"key": k, "v": v} for k, v in (("a", 1), ("b", 2), ("c", 3))])
    rows = progress.finish(
        ["a", "b", "c"], keep=lambda rows: [r for r in rows if r["v"] != 2]
    )
    assert [r["key"] for r in rows] == ["a", "c"] == [r["key"] for r in read_jsonl(out)]


def test_a_checkpoint_cut_short_is_not_resumed_from(tmp_path):
    from judgerl.training import last_checkpoint

    for n in (1, 2, 10):
        (tmp_path / f"checkpoint-{n}").mkdir()
    (tmp_path / "checkpoint-1" / "trainer_state.json").write_text("{}")
    (tmp_path / "checkpoint-2" / "trainer_state.json").write_text("{}")
    (tmp_path / "checkpoint-10" / "model.safetensors").write_text(
        "cut by the kill"
    )  # no trainer state yet
    assert last_checkpoint(tmp_path) == str(
        tmp_path / "checkpoint-2"
    )  # by step number, not by name
    assert not (tmp_path / "checkpoint-10").exists()
    assert last_checkpoint(tmp_path / "missing") is None


def test_progress_of_a_job_with_other_params_is_not_resumed(tmp_path, caplog):
    out = tmp_path / "gold.jsonl"
    first = ResumableJsonl(out, job='{"params": {"max_tokens": 64}}')
    first.add([{"key": "a", "v": 1}])
    # The same job, rerun after a kill: continues.
    same = ResumableJsonl(out, job='{"params": {"max_tokens": 64}}')
    assert same.done("a")
    # The config changed in between: the rows were made under other params.
    other = ResumableJsonl(out, job='{"params": {"max_tokens": 96}}')
    assert not other.done("a") and not other.progress.exists()
    assert "left by a job with other params or inputs" in caplog.text
    other.add([{"key": "a", "v": 2}])
    assert ResumableJsonl(out, job='{"params": {"max_tokens": 96}}').rows["a"]["v"] == 2
    other.finish(["a"])
    assert read_jsonl(out) == [{"key": "a", "v": 2}]
    assert not other.progress.exists() and not other.job.exists()


def test_a_log_cut_off_mid_line_by_a_kill_resumes_from_its_whole_rows(tmp_path):
    from judgerl.training import truncate_jsonl_after

    path = tmp_path / "judge_calls.rank1.jsonl"
    rows = [{"step": s, "reward": 0.5} for s in (1, 1, 2, 3)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"step": 3, "rew')
    truncate_jsonl_after(path, 2)
    assert read_jsonl(path) == rows[:3]


def test_appended_rows_follow_the_earlier_ones(tmp_path):
    from judgerl.files import append_jsonl

    path = tmp_path / "new" / "calls.jsonl"  # its folder is made
    append_jsonl(path, [{"a": 1}])
    append_jsonl(path, iter([{"a": 2}, {"a": "é"}]))
    assert read_jsonl(path) == [{"a": 1}, {"a": 2}, {"a": "é"}]
    assert "é" in path.read_text()  # written as text, not escaped
