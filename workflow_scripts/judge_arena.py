"""Rule judge_arena: a contestant's Arena-Hard-V2 answers judged against the category's baseline,
two games per question (game 1: the baseline is assistant A; game 2: the contestant is), in
arena-hard-auto's judgment layout (uid, category, judge, model, baseline, games).

`parsed`: the judge writes its judgment, and its last [[label]] is the game's score (none: null,
and the question drops out of the scores; counted here). `argmax`: the most probable label after
"My final verdict is: [[", for stand-in judges too small to write one. Judgments are kept as they
are made; a rerun continues.
"""

import logging
from collections import Counter

from judgerl import arena, files, runtime
from judgerl.engines import make_engine
from judgerl.progress import Progress


def main(snakemake):
    runtime.setup(snakemake, seed=snakemake.params.seed)
    log = logging.getLogger("judge_arena")
    judge = snakemake.params.judge
    CHUNK = 16

    questions = arena.read_questions(
        files.read_jsonl(snakemake.input.questions), snakemake.input.questions
    )
    answers = arena.read_answers(
        files.read_jsonl(snakemake.input.answers), snakemake.input.answers
    )
    baseline = arena.read_answers(
        files.read_jsonl(snakemake.input.baseline), snakemake.input.baseline
    )
    for source, table in (
        (snakemake.input.answers, answers),
        (snakemake.input.baseline, baseline),
    ):
        missing = [q["uid"] for q in questions if q["uid"] not in table]
        if missing:
            raise KeyError(
                f"{source} has no answer to {len(missing)} questions, e.g. {missing[:3]}"
            )

    prompts = (
        files.read_json(snakemake.input.prompts[0]) if snakemake.input.prompts else None
    )
    log.info(
        "judge prompts: %s",
        prompts["source"] if prompts else "this workflow's wording (judgerl/arena.py)",
    )
    progress = files.ResumableJsonl(
        snakemake.output.judgments, key="uid", job=runtime.job_record(snakemake)
    )
    todo = [q for q in questions if not progress.done(q["uid"])]
    log.info(
        "%d questions, %d already judged", len(questions), len(questions) - len(todo)
    )

    if todo:
        model_dir = snakemake.input.model[0] if snakemake.input.model else None
        engine = make_engine(
            model_dir, judge["spec"], judge["backend"], seed=snakemake.params.seed
        )
        meter = Progress(
            "judged questions",
            len(questions),
            done=len(questions) - len(todo),
            logger=log,
        )
        for start in range(0, len(todo), CHUNK):
            chunk = todo[start : start + CHUNK]
            records = arena.judge_games(
                engine, chunk, answers, baseline, judge, prompts
            )
            progress.add(records)
            meter.advance(len(chunk))
    rows = progress.finish([q["uid"] for q in questions])
    unreadable = sum(any(g["score"] is None for g in r["games"]) for r in rows)
    log.info(
        "%d questions judged; %d with a game without a readable verdict (dropped from the scores)",
        len(rows),
        unreadable,
    )
    labels = Counter(g["score"] for r in rows for g in r["games"])
    log.info("verdict labels over all games: %s", dict(labels))


if __name__ == "__main__":
    main(runtime.current_job(globals()))
