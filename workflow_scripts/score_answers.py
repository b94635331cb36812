"""Rules score_answers_by_judge / _by_gold / score_initial_answers: checkpoints' answers scored by
one scorer (the run's training judge, or gold), the scorer loaded once for all of them.

Runs trained against a pointwise judge get a score 0..9 per answer. Runs trained against a pairwise
judge get a win rate against baseline answers to the same prompts: each answer is judged against
its baseline in both orders, a win in both is 1, a split is 0.5 (an invalid verdict is half a game).
"""

import functools
import logging

from judgerl import files, runtime, scoring
from judgerl.data import load_rubrics
from judgerl.engines import make_engine
from judgerl.judging import JudgeSettings
from judgerl.progress import Progress

# Answers per judge call: several rounds of an engine's concurrent batch (a judge server takes
# 256-512 requests at once), so little is lost at a chunk's tail; progress is logged between them.
CHUNK = 1024


def main(snakemake):
    runtime.setup(snakemake, seed=snakemake.params.seed)
    log = logging.getLogger("score_answers")
    inference = snakemake.params.inference

    rubrics = load_rubrics(snakemake.input.rubrics) if snakemake.input.rubrics else None
    if inference["format"] == "pairwise":
        baseline_file = snakemake.input.baseline[0]
        baseline = {b["id"]: b["answer"] for b in files.read_jsonl(baseline_file)}
        score = functools.partial(
            scoring.score_pairwise,
            baseline=baseline,
            rubrics=rubrics,
            baseline_file=baseline_file,
        )
    else:
        score = functools.partial(scoring.score_pointwise, rubrics=rubrics)
    model_dir = snakemake.input.model[0] if snakemake.input.model else None
    engine = make_engine(
        model_dir, inference["spec"], inference["backend"], seed=snakemake.params.seed
    )
    settings = JudgeSettings.of(inference)

    answer_files = [files.read_jsonl(path) for path in snakemake.input.answers]
    meter = Progress("scored answers", sum(map(len, answer_files)), logger=log)
    for path, answers, output in zip(
        snakemake.input.answers, answer_files, snakemake.output.scores, strict=True
    ):
        rows = []
        for start in range(0, len(answers), CHUNK):
            chunk = answers[start : start + CHUNK]
            rows += score(engine, chunk, settings)
            meter.advance(len(chunk))
        files.write_jsonl(output, rows)
        log.info(
            "%s: %d answers scored, %d with an invalid verdict",
            path,
            len(rows),
            sum(not r["valid"] for r in rows),
        )


if __name__ == "__main__":
    main(runtime.current_job(globals()))
