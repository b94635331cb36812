"""Rule judge_agreement_table: every judge's agreement with gold on the test split, one row per
judge beside what it is (base, mode, format, rubrics, gold effort, training)."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # the judgerl library sits beside this script

import polars as pl

from judgerl import files, runtime, tables

runtime.setup(snakemake)
rows = tables.judge_rows([files.read_json(path) for path in snakemake.input], snakemake.params.judges)
tables.write_table(pl.from_dicts(rows, infer_schema_length=None), snakemake.output.csv, snakemake.output.md)
