"""Progress lines of long jobs (judgerl/progress.py): how often, what they say, and that the
trainers and the entry scripts write them."""

import importlib
import json
import logging
from types import SimpleNamespace

import pytest

from judgerl import files, progress, runtime
from judgerl.launch import SavedJob
from judgerl.progress import Progress


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def lines(caplog, name="test.progress"):
    return [r.getMessage() for r in caplog.records if r.name == name]


@pytest.fixture
def logger(caplog):
    caplog.set_level(logging.INFO)
    return logging.getLogger("test.progress")


@pytest.mark.parametrize("every_s, step_s", [(10.0, 0.7), (60.0, 3.0), (5.0, 5.0)])
def test_lines_are_bounded_by_the_interval(caplog, logger, every_s, step_s):
    clock = Clock()
    meter = Progress("items", 1000, logger=logger, every_s=every_s, clock=clock)
    for _ in range(1000):
        clock.now += step_s
        meter.advance()
    logged = lines(caplog)
    assert len(logged) <= clock.now // every_s + 1
    # and it does report along the way: a line at the first item past each interval
    assert len(logged) >= clock.now // (every_s + step_s)
    assert logged[-1].startswith("items: 1,000 / 1,000 (100.0%)")
    meter.finish()  # the last item already logged the final line
    assert len(lines(caplog)) == len(logged)


def test_the_numbers_of_a_line(caplog, logger):
    clock = Clock()
    meter = Progress("annotated", 1000, logger=logger, every_s=60, clock=clock)
    clock.now = 50.0
    meter.advance(125)  # before the interval: nothing
    assert lines(caplog) == []
    clock.now = 100.0
    meter.advance(125)
    # 250 in 100 s: 2.5 a second; 750 left: 300 s
    assert lines(caplog) == ["annotated: 250 / 1,000 (25.0%), 2.5 items/s, 5 min left"]
    clock.now = 400.0
    meter.advance(750)
    assert lines(caplog)[-1] == (
        "annotated: 1,000 / 1,000 (100.0%), 2.5 items/s, took 7 min"
    )


def test_slow_rates_read_per_minute_and_per_hour():
    clock = Clock()
    slow = Progress("steps", 1000, every_s=0, clock=clock, unit="steps")
    clock.now = 600.0
    slow.done = 30  # 0.05 a second
    # 970 left at 3 a minute: 19,400 s
    assert slow.line(clock.now) == "steps: 30 / 1,000 (3.0%), 3.0 steps/min, 5.4 h left"
    slower = Progress("calls", 10, every_s=0, clock=clock)
    clock.now += 7200.0
    slower.done = 2
    assert slower.line(clock.now) == "calls: 2 / 10 (20.0%), 1.0 items/h, 8.0 h left"
    assert progress.duration(42.4) == "42 s"


def test_a_resumed_job_counts_earlier_items_as_done_not_in_its_rate(caplog, logger):
    clock = Clock()
    meter = Progress("answered", 1000, done=600, logger=logger, every_s=60, clock=clock)
    clock.now = 100.0
    meter.advance(100)
    # 700 done, 100 of them in this run's 100 s: 1 a second, 300 left
    assert lines(caplog) == ["answered: 700 / 1,000 (70.0%), 1.0 items/s, 5 min left"]


def test_no_rate_before_any_item_and_an_early_finish(caplog, logger):
    clock = Clock()
    with Progress("judged", 10, done=4, logger=logger, every_s=0, clock=clock) as m:
        assert m.line(clock.now) == "judged: 4 / 10 (40.0%)"
        clock.now = 30.0
        m.advance(3)
    # left short of its total: the block's end logs the final line
    assert lines(caplog) == [
        "judged: 7 / 10 (70.0%), 6.0 items/min, 30 s left",
        "judged: 7 / 10 (70.0%), 6.0 items/min, took 30 s",
    ]


def test_the_interval_from_the_environment(monkeypatch):
    monkeypatch.delenv(progress.ENV, raising=False)
    assert Progress("x", 1).every_s == progress.DEFAULT_SECONDS
    monkeypatch.setenv(progress.ENV, "0")
    assert Progress("x", 1).every_s == 0
    monkeypatch.setenv(progress.ENV, "soon")
    with pytest.raises(ValueError, match=progress.ENV):
        Progress("x", 1)


def test_the_trainer_callback_logs_steps_on_the_main_process(caplog):
    from judgerl import training

    caplog.set_level(logging.INFO)
    clock = Clock()
    main = training.progress_callback(every_s=60, clock=clock)
    other = training.progress_callback(every_s=60, clock=clock)
    # resumed at step 20 of 100, one step every 30 s
    state = SimpleNamespace(is_world_process_zero=True, max_steps=100, global_step=20)
    state_other = SimpleNamespace(**{**vars(state), "is_world_process_zero": False})
    main.on_train_begin(None, state, None)
    other.on_train_begin(None, state_other, None)
    for step in range(21, 101):
        clock.now += 30
        state.global_step = state_other.global_step = step
        main.on_step_end(None, state, None)
        other.on_step_end(None, state_other, None)
    main.on_train_end(None, state, None)
    other.on_train_end(None, state_other, None)
    logged = lines(caplog, "judgerl.training")
    assert len(logged) <= clock.now // 60 + 1  # 40 lines in 2,400 s, not 80
    # step 22 at 60 s: 2 steps of this run in a minute, 78 steps left
    assert logged[0] == ("training steps: 22 / 100 (22.0%), 2.0 steps/min, 39 min left")
    assert logged[-1] == (
        "training steps: 100 / 100 (100.0%), 2.0 steps/min, took 40 min"
    )


# ---- an entry script, on the known gold (no model) --------------------------------------------

KNOWN_GOLD = {
    "mode": "reasoning",
    "format": "pointwise",
    "sampling": {
        "temperature": 0.0,
        "verdict": "parsed",
        "reasoning_effort": "high",
        "max_tokens": 96,
    },
    "backend": {"kind": "known", "length": [8, 24]},
    "spec": {},
    "wording": "study",
}


def job(inputs: dict, outputs: dict, params: dict, rule: str) -> SavedJob:
    flat = lambda named: [  # noqa: E731
        p for v in named.values() for p in (v if isinstance(v, list) else [v])
    ]
    return SavedJob(
        {
            "input": {"items": flat(inputs), "named": inputs},
            "output": {"items": flat(outputs), "named": outputs},
            "log": {"items": [], "named": {}},
            "params": {"seed": 1, **params},
            "wildcards": {},
            "threads": 1,
            "rule": rule,
            "scriptdir": "workflow_scripts",
        }
    )


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


@pytest.fixture
def script(monkeypatch, caplog):
    """An entry script's module, its runtime setup left out (it would take over the root logger
    and stdout), progress lines at every chunk."""
    monkeypatch.setattr(runtime, "setup", lambda snakemake, seed=None: None)
    monkeypatch.setenv(progress.ENV, "0")
    caplog.set_level(logging.INFO)
    return importlib.import_module


def test_gold_annotation_logs_its_progress(tmp_path, caplog, script):
    candidates = write_jsonl(
        tmp_path / "candidates.jsonl",
        [
            {
                "id": f"q{n}",
                "instruction": "Explain why solar panels need sunlight.",
                "responses": [
                    "Solar panels turn sunlight into power.",
                    "They do.",
                ],
                "origins": ["model:T=0.6", "model:T=1.1"],
            }
            for n in range(20)
        ],
    )
    out = tmp_path / "gold.jsonl"
    annotate = job(
        {"candidates": candidates, "model": [], "reference": []},
        {"gold": str(out)},
        {"inference": KNOWN_GOLD},
        "annotate_gold",
    )
    script("annotate_gold").main(annotate)
    # 40 items in chunks of 32; the rate and time left are the real clock's
    counts = [
        m.split(", ")[0]
        for m in lines(caplog, "annotate_gold")
        if m.startswith("annotated:")
    ]
    assert counts == ["annotated: 32 / 40 (80.0%)", "annotated: 40 / 40 (100.0%)"]
    assert len(out.read_text().splitlines()) == 40


def test_scoring_logs_its_progress_over_all_checkpoints(
    tmp_path, caplog, script, monkeypatch
):
    answers = [
        write_jsonl(
            tmp_path / f"answers-{k}.jsonl",
            [
                {"id": f"q{n}", "instruction": "Name a planet.", "answer": "Mars."}
                for n in range(5)
            ],
        )
        for k in range(2)
    ]
    scores = [str(tmp_path / f"scores-{k}.jsonl") for k in range(2)]
    module = script("score_answers")
    monkeypatch.setattr(module, "CHUNK", 2)
    module.main(
        job(
            {"answers": answers, "model": [], "rubrics": [], "baseline": []},
            {"scores": scores},
            {"inference": KNOWN_GOLD},
            "score_answers_by_gold",
        )
    )
    counts = [
        m.split(" (")[0]
        for m in lines(caplog, "score_answers")
        if m.startswith("scored answers")
    ]
    assert counts == [f"scored answers: {n} / 10" for n in (2, 4, 5, 7, 9, 10)]
    assert all(len(files.read_jsonl(s)) == 5 for s in scores)
