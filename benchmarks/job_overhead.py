"""Per rule: the wall time of an empty job (Python start, Snakemake's script preamble, the imports
its script needs, the model load) against the mean wall time of its jobs in the last run (Snakemake's `benchmark:` records
under benchmarks/<rule>/). The rest is the job's useful work.

    python benchmarks/job_overhead.py        # after a run of the default (`make run`)
"""

import csv
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import ROOT, RUN, need_model

# What each rule's process must do before its first useful step.
TRAINER = "from trl import GRPOTrainer, GRPOConfig; import datasets"
SFT = "from trl import SFTTrainer, SFTConfig; import datasets"
MODEL = "from transformers import AutoModelForCausalLM; AutoModelForCausalLM.from_pretrained('{model}')"
TABLES = "import polars, matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot"
EMPTY = {
    "annotate_gold": "import annotate_gold",  # the known gold: no model
    "annotate_gold_pairwise": "import annotate_gold",
    "generate_rubrics": "import generate_rubrics",
    "generate_candidates": f"import generate_candidates; {MODEL}",
    "evaluate_judge": f"import evaluate_judge; {MODEL}",
    "score_answers_by_judge": f"import score_answers; {MODEL}",
    "score_answers_by_gold": "import score_answers",
    "generate_answers": f"import generate_answers; {MODEL}",
    "train_judge_sft": f"import train_judge_sft; {SFT}; {MODEL}",
    "train_judge_grpo": f"import train_judge_grpo; {TRAINER}; {MODEL}",
    "train_policy": f"import train_policy; {TRAINER}; {MODEL}",
    "judge_tables": f"import judge_tables; {TABLES}",
    "plot_policy_scores": f"import plot_policy_scores; {TABLES}",
}


def empty_job(code: str, model: Path) -> float:
    # Snakemake's preamble to a rule script imports snakemake to unpickle the job.
    code = f"import snakemake.script; {code}"
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; sys.path.insert(0, 'workflow_scripts'); {code}".format(
                model=model
            ),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def job_times(rule: str) -> list[float]:
    times = []
    for path in (RUN / "benchmarks" / rule).rglob("*.tsv"):
        with path.open() as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        times += [float(r["s"]) for r in rows[-1:]]  # the last run's record
    return times


def main():
    model = need_model()
    print(f"{'rule':26} {'jobs':>4} {'job s':>7} {'empty s':>8} {'overhead':>9}")
    total_jobs = total_over = 0.0
    for rule, code in EMPTY.items():
        times = job_times(rule)
        if not times:
            continue
        empty = empty_job(code, model)
        mean = statistics.mean(times)
        total_jobs += sum(times)
        total_over += min(empty, mean) * len(times)
        print(
            f"{rule:26} {len(times):4d} {mean:7.1f} {empty:8.1f} {min(empty / mean, 1):9.0%}"
        )
    if total_jobs:
        print(
            f"these rules: {total_jobs:.0f} job-seconds, of which {total_over:.0f} "
            f"({total_over / total_jobs:.0%}) start, import and load"
        )


if __name__ == "__main__":
    main()
