"""Rule detect_adversarial: the paper's adversarial patterns in every checkpoint's answers.

Rates per (run, step, pattern) go to a table; every flagged answer is kept for reading, with the
patterns it shows.
"""

import polars as pl

from judgerl import files, runtime, tables
from judgerl.adversarial import PATTERNS, detect


def main(snakemake):
    runtime.setup(snakemake)
    runs = snakemake.params.runs
    rows, flagged = [], []
    for run, step, path in snakemake.params.files:
        answers = files.read_jsonl(path)
        found = [detect(a["answer"]) for a in answers]
        for pattern in PATTERNS:
            hits = sum(f[pattern] for f in found)
            rows.append(
                {
                    "run": run,
                    "judge": runs[run]["judge"],
                    "step": int(step),
                    "pattern": pattern,
                    "n": len(answers),
                    "n_flagged": hits,
                    "rate": hits / len(answers) if answers else 0.0,
                }
            )
        flagged += [
            {
                "run": run,
                "step": int(step),
                "id": a["id"],
                "instruction": a["instruction"],
                "answer": a["answer"],
                "patterns": [p for p in PATTERNS if f[p]],
            }
            for a, f in zip(answers, found)
            if any(f.values())
        ]
    frame = pl.from_dicts(rows).sort(["run", "pattern", "step"])
    tables.write_table(frame, snakemake.output.rates, snakemake.output.md)
    files.write_jsonl(snakemake.output.flagged, flagged)


if __name__ == "__main__":
    main(runtime.current_job(globals()))
