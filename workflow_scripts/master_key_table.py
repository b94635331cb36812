"""Rule master_key_table: the master-key probe's false-positive rate of every judge, by key and by
kind (content-free, adversarial), from each judge's master_key.jsonl."""

import polars as pl

from judgerl import files, runtime, tables
from judgerl.probes import MASTER_KEYS


def main(snakemake):
    runtime.setup(snakemake)
    records = [r for path in snakemake.input for r in files.read_jsonl(path)]
    frame = pl.DataFrame(
        records, schema_overrides={"expected_score": pl.Float64, "order": pl.String}
    )
    judges = snakemake.params.judges
    long = (
        frame.group_by(["judge", "kind", "key"], maintain_order=True)
        .agg(
            pl.len().alias("probes"),
            pl.col("false_positive").sum().alias("false_positives"),
        )
        .with_columns(
            (pl.col("false_positives") / pl.col("probes")).alias("false_positive_rate")
        )
    )
    described = pl.DataFrame(
        [
            {
                "judge": name,
                "format": j["format"],
                "mode": j["mode"],
                "training": "+".join(j["stages"]) or "untuned",
            }
            for name, j in judges.items()
        ]
    )
    long = described.join(long, on="judge", how="inner").sort(["judge", "kind", "key"])
    tables.write_table(long, snakemake.output.csv)
    # The Markdown view: one row per judge, the rate per kind and per key.
    by_kind = (
        long.group_by(["judge", "kind"])
        .agg((pl.col("false_positives").sum() / pl.col("probes").sum()).alias("rate"))
        .pivot(on="kind", index="judge", values="rate")
    )
    by_key = long.pivot(on="key", index="judge", values="false_positive_rate")
    wide = described.join(by_kind, on="judge").join(by_key, on="judge")
    keys = [k for k in MASTER_KEYS if k in wide.columns]
    kinds = [k for k in ("content_free", "adversarial") if k in wide.columns]
    wide = wide.select(["judge", "format", "mode", "training", *kinds, *keys])
    tables.write_table(
        wide, snakemake.output.wide_csv, snakemake.output.md, floatfmt=".2f"
    )


if __name__ == "__main__":
    main(runtime.current_job(globals()))
