"""Rule arena_hard_tables: Arena-Hard-V2 scores of every contestant (arena_hard.csv, long format:
category, style control off / on, score and 90% bootstrap interval, battle rows, dropped questions)
and the paper's tables of them (Table 1: a reasoning-judge policy; Table 6: a pairwise-judge one)."""

import logging

from judgerl import files, runtime, tables
from judgerl.arena import answers, paper_tables, scoring


def main(snakemake):
    runtime.setup(snakemake, seed=snakemake.params.seed)
    log = logging.getLogger("arena_hard_tables")
    params, inputs, output = snakemake.params, snakemake.input, snakemake.output
    names = [c["contestant"] for c in params.contestants]
    judgments = {
        name: files.read_jsonl(path)
        for name, path in zip(names, inputs.judgments, strict=True)
    }
    answered = {
        name: answers.load_answers(path)
        for name, path in zip(names, inputs.answers, strict=True)
    }
    baseline = answers.load_answers(inputs.baseline)
    pool = answers.load_pool(params.pool, inputs.pool_answers, inputs.pool_judgments)

    rows = scoring.score_rows(
        params.contestants,
        judgments,
        answered,
        baseline,
        weight=params.weight,
        rounds=params.rounds,
        seed=params.seed,
        pool=pool,
    )
    scoring.log_dropped(rows, log)
    frame = paper_tables.score_frame(rows)
    tables.write_table(frame, output.csv, output.md, floatfmt=".2f")

    note = paper_tables.table_note(rows, params.judge, params.prompts, len(pool))
    for name, runs in params.tables.items():
        headers, body = paper_tables.paper_table(
            rows, params.contestants, runs, params.judge
        )
        paper_tables.write_paper_table(
            headers,
            body,
            note,
            getattr(output, f"{name}_csv"),
            getattr(output, f"{name}_md"),
        )
        log.info("%s: %d rows", name, len(body))


if __name__ == "__main__":
    main(runtime.current_job(globals()))
