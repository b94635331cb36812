"""Rule judge_agreement_table: every judge's agreement with gold on the test split, one row per
judge beside what it is (base, mode, format, rubrics, gold effort, training), and the malformed
rate before GRPO of the judges measured then too (config evaluation.before_rl)."""

import polars as pl

from judgerl import files, runtime, tables


def main(snakemake):
    runtime.setup(snakemake)
    before_rl = [files.read_json(path) for path in snakemake.input.before_rl]
    rows = tables.judge_rows(
        [files.read_json(path) for path in snakemake.input.measured],
        snakemake.params.judges,
        {m["judge"]: m for m in before_rl},
    )
    tables.write_table(
        pl.from_dicts(rows, infer_schema_length=None),
        snakemake.output.csv,
        snakemake.output.md,
    )


if __name__ == "__main__":
    main(runtime.current_job(globals()))
