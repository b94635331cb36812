"""Rules annotate_gold and annotate_gold_pairwise: the gold judge's verdicts, with its trace.

Pointwise: a score 0-9 for every (instruction, candidate). Pairwise: which of an instruction's two
candidates is better; the order they are shown in is recorded, and balanced: a seeded half of the
pairs show candidate 1 first. Progress is appended batch by batch next to the output; a rerun
after a crash continues where it stopped. Invalid gold verdicts stay in the file (valid = false)
and are counted; the judges train on valid ones only, as the paper filters them. Below high
effort, only the items whose verdict matches the high-effort verdict are kept, as the paper does.
"""

import functools
import logging

from judgerl import annotation, files, runtime
from judgerl.engines import make_engine
from judgerl.judging import JudgeSettings, keep_matching
from judgerl.progress import Progress

# Items per judge call; progress is saved after each.
CHUNK = 32


def main(snakemake):
    runtime.setup(snakemake, seed=snakemake.params.seed)
    log = logging.getLogger("annotate_gold")
    gold = snakemake.params.inference
    pairwise = gold["format"] == "pairwise"

    candidates = files.read_jsonl(snakemake.input.candidates)
    items = (
        annotation.pairwise_items(candidates, snakemake.params.seed)
        if pairwise
        else annotation.pointwise_items(candidates)
    )
    progress = files.ResumableJsonl(
        snakemake.output[0], key="key", job=runtime.job_record(snakemake)
    )
    todo = [item for item in items if not progress.done(item["key"])]
    done = len(items) - len(todo)
    log.info("%d %s items, %d already annotated", len(items), gold["format"], done)
    if todo:
        model_dir = snakemake.input.model[0] if snakemake.input.model else None
        engine = make_engine(
            model_dir, gold["spec"], gold["backend"], seed=snakemake.params.seed
        )
        meter = Progress("annotated", len(items), done=done, logger=log)
        annotation.annotate_all(
            engine, JudgeSettings.of(gold), todo, pairwise, progress, meter, CHUNK
        )

    counted = annotation.counts(items, progress.rows)
    log.info(
        "%d annotations, %d invalid (%.1f%%)",
        len(items),
        counted["invalid"],
        100 * counted["invalid"] / max(len(items), 1),
    )
    if pairwise:
        log.info(
            "the first shown response preferred in %d of %d pairs",
            counted["first_preferred"],
            len(items),
        )
    keep = None
    if snakemake.input.reference:
        reference = files.read_jsonl(snakemake.input.reference[0])
        field = "choice" if pairwise else "score"
        keep = functools.partial(keep_matching, reference=reference, field=field)
    rows = progress.finish([item["key"] for item in items], keep=keep)
    if keep is not None:
        log.info("%d of %d agree with high effort and are kept", len(rows), len(items))


if __name__ == "__main__":
    main(runtime.current_job(globals()))
