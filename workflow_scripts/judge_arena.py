"""Rule judge_arena: a contestant's Arena-Hard-V2 answers judged against the category's baseline,
two games per question (game 1: the baseline is assistant A; game 2: the contestant is), in
arena-hard-auto's judgment layout (uid, category, judge, model, baseline, games).

`parsed`: the judge writes its judgment, and its last [[label]] is the game's score (none: null,
and the question drops out of the scores; counted here). `argmax`: the most probable label after
"My final verdict is: [[", for stand-in judges too small to write one. Judgments are kept as they
are made; a rerun continues.
"""

import logging

from judgerl import files, runtime
from judgerl.arena import answers, games
from judgerl.engines import make_engine
from judgerl.progress import Progress


def main(snakemake):
    runtime.setup(snakemake, seed=snakemake.params.seed)
    log = logging.getLogger("judge_arena")
    judge, inputs = snakemake.params.judge, snakemake.input
    questions = answers.load_questions(inputs.questions)
    answered = answers.load_answers(inputs.answers)
    baseline = answers.load_answers(inputs.baseline)
    answers.require_answers(answered, questions, inputs.answers)
    answers.require_answers(baseline, questions, inputs.baseline)
    prompts = files.read_json(inputs.prompts[0]) if inputs.prompts else None
    log.info(
        "judge prompts: %s",
        prompts["source"]
        if prompts
        else "this workflow's wording (judgerl/arena/prompts.py)",
    )

    progress = files.ResumableJsonl(
        snakemake.output.judgments, key="uid", job=runtime.job_record(snakemake)
    )
    todo = [q for q in questions if not progress.done(q["uid"])]
    done = len(questions) - len(todo)
    log.info("%d questions, %d already judged", len(questions), done)
    if todo:
        model_dir = inputs.model[0] if inputs.model else None
        engine = make_engine(
            model_dir, judge["spec"], judge["backend"], seed=snakemake.params.seed
        )
        meter = Progress("judged questions", len(questions), done=done, logger=log)
        games.judge_in_chunks(
            engine, todo, answered, baseline, judge, prompts, progress, meter
        )

    rows = progress.finish([q["uid"] for q in questions])
    unreadable, labels = games.verdict_summary(rows)
    log.info(
        "%d questions judged; %d with a game without a readable verdict (dropped from the scores)",
        len(rows),
        unreadable,
    )
    log.info("verdict labels over all games: %s", labels)


if __name__ == "__main__":
    main(runtime.current_job(globals()))
