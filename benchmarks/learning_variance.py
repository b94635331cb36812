"""How the default's learning checks vary with what changes between machines.

Each variant runs the learning part of the embedded default (judges, their evaluation, policy
runs and the hacking-onset table) in a copy of the workflow, with its own seed and its own number
of threads per job: threads change the order of floating-point reductions, as another CPU's
kernels do, and the seed changes every sample. Then every quantity that a learning check of
tests/test_end_to_end.py asserts (judgerl/learning_checks.py) is printed per variant, with its
min / max over the variants and its threshold.

    python benchmarks/learning_variance.py                     # seed:threads 1234:1 1234:2 7:1
    python benchmarks/learning_variance.py 1234:1 99:2          # other variants
    RUN_DIR=. python benchmarks/learning_variance.py --collect  # the checks of a finished run only

A variant's folder (benchmarks/learning_variance/seed<S>-t<T>/) is kept: a rerun continues an
interrupted variant and reruns nothing that is done.
"""

import argparse
import csv
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from common import ROOT, RUN

sys.path.insert(0, str(ROOT / "tests"))
from conftest import copy_workflow  # noqa: E402 - the tests' copy of the workflow

# The artifacts that the learning checks read, and what they need.
TARGETS = [
    "judges",
    "policies",
    "results/tables/judge_agreement.csv",
    "results/tables/hacking_onset.csv",
]
OUT = ROOT / "benchmarks" / "learning_variance"


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snakemake", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
    )


def run_variant(seed: int, threads: int, cores: int) -> Path:
    workdir = OUT / f"seed{seed}-t{threads}"
    copy_workflow(workdir)
    rules = snakemake(workdir, "--list-rules").stdout.split()
    started = time.monotonic()
    proc = snakemake(
        workdir,
        "--cores",
        str(cores),
        "--config",
        f"seed={seed}",
        "--set-threads",
        *(f"{rule}={threads}" for rule in rules),
        "--",
        *TARGETS,
    )
    minutes = (time.monotonic() - started) / 60
    if proc.returncode != 0:
        sys.exit(
            f"variant seed={seed} threads={threads} failed:\n{proc.stderr[-4000:]}"
        )
    print(f"seed={seed} threads={threads}: {minutes:.1f} min", flush=True)
    return workdir


def collect(runs: dict[str, Path]) -> list[dict]:
    import torch
    from transformers.utils import logging as hf_logging

    from judgerl.learning_checks import all_checks

    # One thread: the checks run beside a variant's jobs, and two processes of two OpenMP
    # threads each on two cores slow each other down many times over.
    torch.set_num_threads(1)
    hf_logging.disable_progress_bar()

    rows = {}
    for variant, workdir in runs.items():
        for check in all_checks(workdir):
            row = rows.setdefault(
                (check.test, check.subject, check.quantity),
                {
                    "test": check.test,
                    "subject": check.subject,
                    "quantity": check.quantity,
                    "threshold": check.threshold,
                },
            )
            row[variant] = check.value
            row.setdefault("holds", True)
            row["holds"] &= check.holds
    return list(rows.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("variants", nargs="*", default=["1234:1", "1234:2", "7:1"])
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--collect",
        action="store_true",
        help="no runs: the checks of RUN_DIR (default: this checkout)",
    )
    args = parser.parse_args()
    if args.collect:
        runs = {"run": RUN}
    else:
        runs = {}
        for variant in args.variants:
            if not re.fullmatch(r"\d+:\d+", variant):
                sys.exit(f"variant {variant!r}: expected SEED:THREADS")
            seed, threads = map(int, variant.split(":"))
            runs[f"seed{seed}-t{threads}"] = run_variant(seed, threads, args.cores)
    rows = collect(runs)
    names = list(runs)
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "checks.csv", "w", newline="") as f:
        writer = csv.DictWriter(
            f, ["test", "subject", "quantity", *names, "threshold", "holds"]
        )
        writer.writeheader()
        writer.writerows(rows)
    print(
        f"{'check':<48} {'subject':<26} {'quantity':<30}"
        + "".join(f" {n:>13}" for n in names)
        + f" {'min':>9} {'max':>9} {'threshold':>18}  holds"
    )
    for row in rows:
        values = [row.get(n) for n in names]
        known = [v for v in values if v is not None]
        print(
            f"{row['test']:<48} {row['subject']:<26} {row['quantity']:<30}"
            + "".join(f" {fmt(v):>13}" for v in values)
            + f" {fmt(min(known)):>9} {fmt(max(known)):>9} {row['threshold']:>18}"
            + f"  {'yes' if row['holds'] else 'NO'}"
        )
    print(f"(also in {OUT / 'checks.csv'})")


def fmt(value) -> str:
    if value is None:
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    main()
