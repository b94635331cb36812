"""Rule judge_agreement_table: every judge's agreement with gold on the test split."""

import json
import sys

sys.path.insert(0, snakemake.scriptdir)  # the judgerl library sits beside this script

import polars as pl

from judgerl import runtime, tables

runtime.setup(snakemake)
rows = [json.loads(open(path).read()) for path in snakemake.input]
frame = pl.from_dicts(rows).with_columns(
    (pl.col("alpha") * 100).alias("alpha_x100"),
)
tables.write_table(frame, snakemake.output.csv, snakemake.output.md)
