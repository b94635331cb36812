"""Rules annotate_gold and annotate_gold_pairwise: the gold judge's verdicts, with its trace.

Pointwise: a score 0-9 for every (instruction, candidate). Pairwise: which of an instruction's two
candidates is better; the order they are shown in is recorded, and balanced: a seeded half of the
pairs show candidate 1 first. Progress is appended batch by batch next to the output; a rerun
after a crash continues where it stopped. Invalid gold verdicts stay in the file (valid = false)
and are counted; the judges train on valid ones only, as the paper filters them. Below high
effort, only the items whose verdict matches the high-effort verdict are kept, as the paper does.
"""

import logging
import random

from judgerl import files, runtime
from judgerl.engines import make_engine
from judgerl.judging import (
    JudgeSettings,
    judge_pairwise,
    judge_pointwise,
    keep_matching,
)
from judgerl.progress import Progress


def main(snakemake):
    runtime.setup(snakemake, seed=snakemake.params.seed)
    log = logging.getLogger("annotate_gold")
    gold = snakemake.params.inference
    pairwise = gold["format"] == "pairwise"
    CHUNK = 32

    def pointwise_items(rows):
        for row in rows:
            for k, response in enumerate(row["responses"]):
                yield {
                    "key": f"{row['id']}:{k}",
                    "id": row["id"],
                    "candidate": k,
                    "instruction": row["instruction"],
                    "response": response,
                    "origin": row["origins"][k],
                }

    def pairwise_items(rows):
        rows = list(rows)
        swapped = set(
            random.Random(snakemake.params.seed).sample(
                range(len(rows)), len(rows) // 2
            )
        )
        for n, row in enumerate(rows):
            order = [1, 0] if n in swapped else [0, 1]
            yield {
                "key": row["id"],
                "id": row["id"],
                "instruction": row["instruction"],
                "order": order,
                "response_1": row["responses"][order[0]],
                "response_2": row["responses"][order[1]],
                "origins": [row["origins"][k] for k in order],
            }

    def annotate(engine, settings, chunk):
        instructions = [i["instruction"] for i in chunk]
        if pairwise:
            verdicts = judge_pairwise(
                engine,
                instructions,
                [i["response_1"] for i in chunk],
                [i["response_2"] for i in chunk],
                settings,
            )
            for item, verdict in zip(chunk, verdicts):
                # The better candidate by its index in the candidates file, whatever the shown order.
                verdict["winner"] = (
                    item["order"][verdict["choice"] - 1] if verdict["valid"] else None
                )
            return verdicts
        return judge_pointwise(
            engine, instructions, [i["response"] for i in chunk], settings
        )

    candidates = files.read_jsonl(snakemake.input.candidates)
    items = list(
        pairwise_items(candidates) if pairwise else pointwise_items(candidates)
    )
    progress = files.ResumableJsonl(
        snakemake.output[0], key="key", job=runtime.job_record(snakemake)
    )
    todo = [item for item in items if not progress.done(item["key"])]
    log.info(
        "%d %s items, %d already annotated",
        len(items),
        gold["format"],
        len(items) - len(todo),
    )
    if todo:
        model_dir = snakemake.input.model[0] if snakemake.input.model else None
        engine = make_engine(
            model_dir, gold["spec"], gold["backend"], seed=snakemake.params.seed
        )
        settings = JudgeSettings.of(gold)
        meter = Progress(
            "annotated", len(items), done=len(items) - len(todo), logger=log
        )
        for start in range(0, len(todo), CHUNK):
            chunk = todo[start : start + CHUNK]
            progress.add(
                {**item, **verdict}
                for item, verdict in zip(chunk, annotate(engine, settings, chunk))
            )
            meter.advance(len(chunk))
    invalid = sum(not progress.rows[item["key"]]["valid"] for item in items)
    log.info(
        "%d annotations, %d invalid (%.1f%%)",
        len(items),
        invalid,
        100 * invalid / max(len(items), 1),
    )
    if pairwise:
        firsts = sum(progress.rows[i["key"]]["choice"] == 1 for i in items)
        log.info(
            "the first shown response preferred in %d of %d pairs", firsts, len(items)
        )
    keep = None
    if snakemake.input.reference:
        reference = files.read_jsonl(snakemake.input.reference[0])
        keep = lambda rows: keep_matching(
            rows, reference, "choice" if pairwise else "score"
        )  # noqa: E731
    rows = progress.finish([item["key"] for item in items], keep=keep)
    if keep is not None:
        log.info("%d of %d agree with high effort and are kept", len(rows), len(items))


if __name__ == "__main__":
    main(runtime.current_job(globals()))
