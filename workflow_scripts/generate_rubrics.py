"""Rule generate_rubrics: the gold judge writes an instruction-specific rubric for every instruction
of a split, which rubric judges read beside the instruction (the paper's rubric ablation).

Progress is kept as in gold annotation: a rerun continues where a crash stopped.
"""

import logging

from judgerl import files, runtime
from judgerl.engines import Sampling, make_engine
from judgerl.known_gold import KnownGold
from judgerl.progress import Progress
from judgerl.prompts import rubric_messages
from judgerl.verdicts import split_thinking


def main(snakemake):
    runtime.setup(snakemake, seed=snakemake.params.seed)
    log = logging.getLogger("generate_rubrics")
    CHUNK = 32

    rows = files.read_jsonl(snakemake.input.instructions)
    progress = files.ResumableJsonl(
        snakemake.output[0], key="id", job=runtime.job_record(snakemake)
    )
    todo = [r for r in rows if not progress.done(r["id"])]
    log.info(
        "%d instructions, %d rubrics already written", len(rows), len(rows) - len(todo)
    )
    if todo:
        model_dir = snakemake.input.model[0] if snakemake.input.model else None
        engine = make_engine(
            model_dir,
            snakemake.params.spec,
            snakemake.params.backend,
            seed=snakemake.params.seed,
        )
        meter = Progress(
            "rubrics written", len(rows), done=len(rows) - len(todo), logger=log
        )
        if isinstance(engine, KnownGold):  # it states what it checks
            progress.add(
                {
                    "id": r["id"],
                    "instruction": r["instruction"],
                    "rubric": engine.rubric(r["instruction"]),
                    "finished": True,
                }
                for r in todo
            )
            meter.advance(len(todo))
        else:
            sampling = Sampling.from_config(snakemake.params.rubric_sampling)
            for start in range(0, len(todo), CHUNK):
                chunk = todo[start : start + CHUNK]
                # Written in non-thinking mode: the rubric is the answer itself.
                completions = engine.complete(
                    [rubric_messages(r["instruction"]) for r in chunk], sampling
                )
                progress.add(
                    {
                        "id": r["id"],
                        "instruction": r["instruction"],
                        "rubric": (
                            split_thinking(c.text)[1]
                            if "</think>" in c.text
                            else c.text
                        ).strip(),
                        "finished": c.finished,
                    }
                    for r, c in zip(chunk, completions)
                )
                meter.advance(len(chunk))
    empty = sum(not progress.rows[r["id"]]["rubric"] for r in rows)
    if empty:
        log.warning(
            "%d of %d rubrics are empty; those judges see no rubric for them",
            empty,
            len(rows),
        )
    progress.finish([r["id"] for r in rows])


if __name__ == "__main__":
    main(runtime.current_job(globals()))
