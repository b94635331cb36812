"""Rule judge_agreement_table: every judge's agreement with gold on the test split (Fig. 2's data)."""

import json
import sys

sys.path.insert(0, snakemake.scriptdir)  # the judgerl library sits beside this script

import polars as pl

from judgerl import runtime, tables

runtime.setup(snakemake)
judges = snakemake.params.judges
rows = []
for path in snakemake.input:
    row = json.loads(open(path).read())
    spec = judges[row["judge"]]
    rows.append({
        "judge": row["judge"],
        "base": spec["base"],
        "mode": row["mode"],
        "training": "+".join(spec["stages"]) or "untuned",
        "gold_effort": spec["gold_effort"],
        **{k: v for k, v in row.items() if k not in {"judge", "mode"}},
    })
frame = pl.from_dicts(rows).with_columns((pl.col("alpha") * 100).alias("alpha_x100"))
tables.write_table(frame, snakemake.output.csv, snakemake.output.md)
