"""Rule policy_scores_table: each checkpoint's score by each scorer, long format with intervals."""

import polars as pl

from judgerl import runtime, tables


def main(snakemake):
    runtime.setup(snakemake)
    boot = snakemake.params.bootstrap
    entries = [
        (run, int(step), scorer, path)
        for run, step, scorer, path in snakemake.params.files
    ]
    rows = tables.policy_score_rows(
        entries,
        snakemake.params.runs,
        boot.get("confidence", 0.95),
        boot.get("n_resamples", 1000),
        snakemake.params.seed,
    )
    frame = pl.from_dicts(rows, schema=None).select(tables.POLICY_SCORE_COLUMNS)
    tables.write_table(frame, snakemake.output.csv, snakemake.output.md)


if __name__ == "__main__":
    main(runtime.current_job(globals()))
