"""Rule arena_hard_tables: Arena-Hard-V2 scores of every contestant (arena_hard.csv, long format:
category, style control off / on, score and 90% bootstrap interval, battle rows, dropped questions)
and the paper's tables of them (Table 1: a reasoning-judge policy; Table 6: a pairwise-judge one)."""

import logging

import polars as pl
from tabulate import tabulate

from judgerl import arena, files, runtime, tables


def main(snakemake):
    runtime.setup(snakemake, seed=snakemake.params.seed)
    log = logging.getLogger("arena_hard_tables")
    contestants = snakemake.params.contestants
    names = [c["contestant"] for c in contestants]
    judgments = {
        name: files.read_jsonl(path)
        for name, path in zip(names, snakemake.input.judgments, strict=True)
    }
    answers = {
        name: arena.read_answers(files.read_jsonl(path), path)
        for name, path in zip(names, snakemake.input.answers, strict=True)
    }
    baseline = arena.read_answers(
        files.read_jsonl(snakemake.input.baseline), snakemake.input.baseline
    )

    pool = {
        model: (
            files.read_jsonl(judged),
            arena.read_answers(files.read_jsonl(answered), answered),
        )
        for model, answered, judged in zip(
            snakemake.params.pool,
            snakemake.input.pool_answers,
            snakemake.input.pool_judgments,
            strict=True,
        )
    }
    rows = arena.score_rows(
        contestants,
        judgments,
        answers,
        baseline,
        weight=snakemake.params.weight,
        rounds=snakemake.params.rounds,
        seed=snakemake.params.seed,
        pool=pool,
    )
    for row in rows:
        if row["dropped"]:
            log.info(
                "%s, %s: %d of %d questions dropped (a game without a readable verdict)",
                row["contestant"],
                row["category"],
                row["dropped"],
                row["questions"],
            )
    frame = pl.DataFrame(rows, schema_overrides={"run": pl.String}).select(
        arena.SCORE_COLUMNS
    )
    tables.write_table(frame, snakemake.output.csv, snakemake.output.md, floatfmt=".2f")
    for name, runs in snakemake.params.tables.items():
        headers, body = arena.paper_table(
            rows, contestants, runs, snakemake.params.judge
        )
        tables.write_table(
            pl.DataFrame(body, schema=headers, orient="row"),
            getattr(snakemake.output, f"{name}_csv"),
        )
        baselines = ", ".join(
            sorted({f"{r['category']}: {r['baseline']}" for r in rows})
        )
        prompts = snakemake.params.prompts
        pool_words = (
            f"every contestant and {len(pool)} models of arena-hard-auto's published pool "
            "(their own answers and judgments)"
            if pool
            else "the contestants and the baseline only, not arena-hard-auto's published "
            "pool, so its numbers are not on the leaderboard's scale"
        )
        wording = (
            f"arena-hard-auto's prompts at {prompts['repo']}@{prompts['commit'][:12]}"
            if prompts
            else "this workflow's wording of its prompts"
        )
        files.write_text(
            getattr(snakemake.output, f"{name}_md"),
            tabulate(body, headers=headers, tablefmt="github")
            + f"\n\nArena-Hard-V2 score against the baseline ({baselines}), percent, 90% "
            f"bootstrap interval; judge {snakemake.params.judge} with {wording}, every "
            f"category. Style control: length and markdown features in a Bradley-Terry fit "
            f"over {pool_words}. The official "
            "creative-writing board pools two judges and uses no style control; here both "
            "columns of each category come from the one judge above.\n",
        )
        log.info("%s: %d rows", name, len(body))


if __name__ == "__main__":
    main(runtime.current_job(globals()))
