"""Rule judge_tables: the paper's judge tables from judge_agreement.csv, in its layout.

Table 2: distillation + RL against RL only. Table 3: rubrics in the prompt. Table 4: gold effort.
Table 5: pairwise judges. A judge enters a table by what it is, not by its name.
"""

import polars as pl

from judgerl import runtime, tables


def main(snakemake):
    runtime.setup(snakemake)
    frame = pl.read_csv(snakemake.input[0])
    for name in tables.JUDGE_TABLES:
        table = tables.judge_table(frame, name)
        tables.write_table(
            table,
            getattr(snakemake.output, f"{name}_csv"),
            getattr(snakemake.output, f"{name}_md"),
            floatfmt=".2f",
        )


if __name__ == "__main__":
    main(runtime.current_job(globals()))
