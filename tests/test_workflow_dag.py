"""The DAG: exactly which jobs a config edit reruns, which jobs a named target plans, and the
paper-scale dry runs.

A copy of the workflow gets every output as a placeholder, recorded by `snakemake --touch` (which
stores the params that each job ran with); an edit of the config then makes the dry run list the
jobs that Snakemake would rerun, and nothing else. Config checks are unit tests (test_config.py).
"""

import re
import shutil
from pathlib import Path

import pytest
import yaml


@pytest.fixture
def workflow(dag, tmp_path):
    return dag.copy(tmp_path / "wf")


def materialise(dag, workdir):
    """Create every planned output as a placeholder and record it as done."""
    out = dag.snakemake(workdir, "--dry-run").stdout
    for line in out.splitlines():
        if m := re.match(r"^\s+output: (.*)$", line):
            for path in (p.strip() for p in m.group(1).split(",")):
                target = workdir / path
                if Path(path).suffix in {".jsonl", ".json", ".csv", ".md", ".png"}:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text("placeholder")
                else:
                    target.mkdir(parents=True, exist_ok=True)
    dag.snakemake(workdir, "--touch", "--forceall", "--cores", "1")
    assert dag.planned(workdir) == set()


@pytest.fixture(scope="module")
def materialised_template(dag, tmp_path_factory):
    workdir = dag.copy(tmp_path_factory.mktemp("materialised"))
    materialise(dag, workdir)
    return workdir


@pytest.fixture
def materialised(dag, materialised_template, tmp_path):
    """A copy of a workflow whose every output exists and is recorded as done (mtimes kept)."""
    workdir = tmp_path / "wf"
    shutil.copytree(materialised_template, workdir, symlinks=True)
    assert dag.planned(workdir) == set()
    return workdir


def edit_config(workdir, edit):
    path = workdir / "config.yaml"
    cfg = yaml.safe_load(path.read_text())
    edit(cfg)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))


def test_default_dag_has_every_stage(dag, workflow):
    rules = {rule for rule, _ in dag.planned(workflow)}
    assert rules == {
        "prepare_model",
        "make_splits",
        "generate_candidates",
        "annotate_gold",
        "annotate_gold_pairwise",
        "generate_rubrics",
        "train_judge_sft",
        "train_judge_grpo",
        "evaluate_judge",
        "train_policy",
        "generate_initial_answers",
        "generate_answers",
        "score_initial_answers",
        "score_answers_by_judge",
        "score_answers_by_gold",
        "judge_agreement_table",
        "judge_tables",
        "plot_judge_agreement",
        "policy_scores_table",
        "plot_policy_scores",
        "detect_adversarial",
        "plot_adversarial_rates",
        "all",
        "master_key_table",
        "overoptimization",
        "gold_robustness",
        "generate_arena_answers",
        "generate_arena_baseline",
        "judge_arena",
        "arena_hard_tables",
    }


def test_default_draws_the_paper_figures_its_runs_fill(dag, workflow):
    # Runs against pointwise NR, pointwise R, rubric NR and pairwise R judges: Figs. 3 and 4 (NR),
    # 5 (R), 8 (rubrics) and 10 (pairwise). RL-only (7) and effort (9) runs: `make run-every-judge`.
    assert {
        w for rule, w in dag.planned(workflow) if rule == "plot_policy_scores"
    } == FIGURES


FIGURES = {f"figure=fig{n}" for n in (3, 4, 5, 8, 10)}
POLICY_FIGURES = {("plot_policy_scores", figure) for figure in FIGURES}
REPORT = {
    ("judge_agreement_table", ""),
    ("judge_tables", ""),
    ("plot_judge_agreement", ""),
    ("master_key_table", ""),
    ("policy_scores_table", ""),
    ("overoptimization", ""),
    ("all", ""),
}


def test_editing_one_judge_reruns_only_its_branch(dag, materialised):
    workflow = materialised
    edit_config(
        workflow, lambda c: c["judges"]["nr-135m"].update(sft={"learning_rate": 3e-4})
    )
    run = "smollm2-vs-nr-135m"
    # Step 0 is the untrained policy: its answers and gold score stand (shared by every run); the
    # training judge rescores every checkpoint, gold the trained ones.
    assert dag.planned(workflow) == {
        ("train_judge_sft", "judge=nr-135m"),
        ("evaluate_judge", "judge=nr-135m"),
        ("train_policy", f"run={run}"),
        ("generate_answers", f"run={run}"),
        ("score_answers_by_judge", f"run={run}"),
        ("score_answers_by_gold", f"run={run}"),
        ("detect_adversarial", ""),
        ("plot_adversarial_rates", ""),
        ("gold_robustness", ""),  # re-rates what the detectors flag
        *REPORT,
        *POLICY_FIGURES,
    }


def test_changing_a_gold_effort_reruns_exactly_the_judges_that_learn_from_it(
    dag, materialised
):
    workflow = materialised
    edit_config(workflow, lambda c: c["gold"]["efforts"]["low"].update(max_tokens=12))
    assert dag.planned(workflow) == {
        ("annotate_gold", "effort=low, split=judge_train"),
        ("annotate_gold", "effort=low, split=judge_val"),
        ("train_judge_sft", "judge=r-low-135m"),
        ("evaluate_judge", "judge=r-low-135m"),
        ("judge_agreement_table", ""),
        ("judge_tables", ""),
        ("plot_judge_agreement", ""),
        ("master_key_table", ""),
        ("all", ""),
    }
    # A judge of that effort used as a reward takes its policy run with it, and only that run.
    edit_config(
        workflow,
        lambda c: c["policy_runs"].update(
            low={"policy": "smollm2-135m", "judge": "r-low-135m"}
        ),
    )
    rerun = dag.planned(workflow)
    assert {w for rule, w in rerun if rule == "train_policy"} == {"run=low"}
    assert not any(rule == "annotate_gold" and "effort=high" in w for rule, w in rerun)


def test_judge_rl_settings_do_not_touch_sft(dag, materialised):
    workflow = materialised
    edit_config(workflow, lambda c: c["training"]["judge_grpo"].update(max_steps=3))
    rerun = dag.planned(workflow)
    grpo_judges = {"r-135m", "rl-r-135m", "pw-r-135m"}
    assert {w for rule, w in rerun if rule == "train_judge_grpo"} == {
        f"judge={j}" for j in grpo_judges
    }
    assert not any(rule == "train_judge_sft" for rule, _ in rerun)
    # A judge without GRPO stands, and so does its run.
    assert not {job for job in rerun if job[1].endswith("-nr-135m")}
    # The Arena-Hard contestants trained against the retrained judges answer and are judged again;
    # the initial policy and the baseline stand.
    assert {w for rule, w in rerun if rule == "judge_arena"} == {
        "contestant=smollm2-vs-r-135m",
        "contestant=smollm2-vs-pw-r-135m",
    }
    assert not any(rule == "generate_arena_baseline" for rule, _ in rerun)


def test_a_pairwise_thinking_budget_reaches_only_pairwise_reasoning_judges(
    dag, materialised
):
    edit_config(
        materialised,
        lambda c: c["judge_inference"]["evaluation"]["pairwise"].update(max_tokens=90),
    )
    rerun = dag.planned(materialised)
    # Validation of each GRPO step and the scoring of the run's answers use evaluation settings.
    assert {w for rule, w in rerun if rule == "evaluate_judge"} == {
        "judge=base-pw-r-135m",
        "judge=pw-r-135m",
    }
    assert {w for rule, w in rerun if rule == "train_judge_grpo"} == {"judge=pw-r-135m"}
    assert {w for rule, w in rerun if rule == "score_answers_by_judge"} == {
        "run=smollm2-vs-pw-r-135m"
    }
    assert not any(rule == "train_judge_sft" for rule, _ in rerun)


def test_a_run_of_its_own_settings_reruns_only_its_branch(dag, materialised):
    run = "smollm2-vs-nr-135m"
    edit_config(
        materialised, lambda c: c["policy_runs"][run].update(grpo={"beta": 0.01})
    )
    rerun = dag.planned(materialised)
    assert {w for rule, w in rerun if rule == "train_policy"} == {f"run={run}"}
    assert not any(
        rule.startswith(("train_judge", "evaluate_judge")) for rule, _ in rerun
    )


def test_run_every_judge_adds_only_the_new_runs_and_figs_7_and_9(dag, materialised):
    """`make run-every-judge` merges a run against each remaining judge kind into the default's
    (--config): after a finished default, only those runs and what reads them are planned."""
    make = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    runs = re.search(r"^EVERY_JUDGE_RUNS := ((?:.*\\\n)*.*)$", make, re.M).group(1)
    runs = runs.replace("\\\n", "")
    new = {
        "smollm2-vs-rl-r-135m",
        "smollm2-vs-r-medium-135m",
        "smollm2-vs-r-low-135m",
        "smollm2-vs-pw-nr-135m",
    }
    planned = dag.planned(materialised, "--config", runs)
    assert {w for rule, w in planned if rule == "train_policy"} == {
        f"run={run}" for run in new
    }
    assert {w for rule, w in planned if rule == "plot_policy_scores"} == {
        f"figure=fig{n}"
        for n in (3, 4, 5, 7, 8, 9, 10)  # all read policy_scores.csv
    }
    assert not any(
        rule.startswith(("train_judge", "evaluate_judge", "annotate"))
        for rule, _ in planned
    )


ARENA_CONTESTANTS = {
    "contestant=smollm2-135m",
    "contestant=smollm2-vs-r-135m",
    "contestant=smollm2-vs-pw-r-135m",
}


def test_changing_the_arena_judge_rejudges_only_arena_hard(dag, materialised):
    edit_config(
        materialised, lambda c: c["arena_hard"]["judge"].update(temperature=0.5)
    )
    assert dag.planned(materialised) == {
        *{("judge_arena", c) for c in ARENA_CONTESTANTS},
        ("arena_hard_tables", ""),
        ("all", ""),
    }


def test_changing_an_arena_baseline_reanswers_only_the_baseline(dag, materialised):
    edit_config(
        materialised,
        lambda c: c["arena_hard"]["baselines"]["creative_writing"]["sampling"].update(
            temperature=0.8
        ),
    )
    assert dag.planned(materialised) == {
        ("generate_arena_baseline", ""),
        *{("judge_arena", c) for c in ARENA_CONTESTANTS},
        ("arena_hard_tables", ""),
        ("all", ""),
    }


def test_master_key_settings_rerun_judge_evaluations_and_the_gold_check(
    dag, materialised
):
    edit_config(materialised, lambda c: c["master_key"].update(pass_score=7))
    rerun = dag.planned(materialised)
    judges = yaml.safe_load((materialised / "config.yaml").read_text())["judges"]
    assert {w for rule, w in rerun if rule == "evaluate_judge"} == {
        f"judge={j}" for j in judges
    }
    assert ("gold_robustness", "") in rerun and ("master_key_table", "") in rerun
    assert not any(
        rule.startswith(("train_", "annotate_", "score_", "generate_", "judge_arena"))
        for rule, _ in rerun
    )


def test_untuned_judges_are_evaluated_from_the_base_model(dag, workflow):
    out = dag.snakemake(workflow, "--dry-run").stdout
    block = next(
        b
        for b in dag.blocks(out)
        if "wildcards: judge=base-r-135m" in b and "rule evaluate_judge" in b
    )
    assert (
        "input: results/models/smollm2-135m, results/gold/high/judge_test.jsonl"
        in block
    )
    assert not any(
        "judge=base-" in b for b in dag.blocks(out) if "rule train_judge" in b
    )


def test_each_judge_kind_reads_its_own_gold_and_rubrics(dag, workflow):
    out = dag.snakemake(workflow, "--dry-run").stdout
    blocks = dag.blocks(out)

    def inputs(rule, wildcards):
        block = next(
            b
            for b in blocks
            if f"rule {rule}:" in b and f"wildcards: {wildcards}\n" in b + "\n"
        )
        return re.search(r"input: (.*)", block).group(1).split(", ")

    assert "results/gold/high/pairwise/judge_train.jsonl" in inputs(
        "train_judge_sft", "judge=pw-r-135m"
    )
    assert "results/gold/high/pairwise/judge_test.jsonl" in inputs(
        "evaluate_judge", "judge=base-pw-nr-135m"
    )
    assert "results/gold/medium/judge_train.jsonl" in inputs(
        "train_judge_sft", "judge=r-medium-135m"
    )
    assert "results/gold/high/judge_test.jsonl" in inputs(
        "evaluate_judge", "judge=r-low-135m"
    )
    rubric = inputs("train_judge_sft", "judge=nr-rubric-135m")
    assert {
        "results/gold/rubrics/judge_train.jsonl",
        "results/gold/rubrics/judge_val.jsonl",
    } <= set(rubric)
    assert not any("rubrics" in i for i in inputs("train_judge_sft", "judge=nr-135m"))
    assert "results/gold/rubrics/policy_train.jsonl" in inputs(
        "train_policy", "run=smollm2-vs-nr-rubric-135m"
    )
    # RL-only judges start from the base model.
    assert "results/models/smollm2-135m" in inputs(
        "train_judge_grpo", "judge=rl-r-135m"
    )
    # Pairwise runs are scored against their initial policy's answers.
    scored = inputs("score_answers_by_gold", "run=smollm2-vs-pw-r-135m")
    assert "results/initial_policies/smollm2-135m/answers.jsonl" in scored
    assert "results/policies/smollm2-vs-pw-r-135m/answers/step-2.jsonl" in scored


def test_lower_effort_gold_is_filtered_against_high(dag, workflow):
    out = dag.snakemake(workflow, "--dry-run").stdout
    low = [
        b for b in dag.blocks(out) if "rule annotate_gold" in b and "effort=low" in b
    ]
    assert {re.search(r"split=(\w+)", b).group(1) for b in low} == {
        "judge_train",
        "judge_val",
    }
    for block in low:
        split = re.search(r"split=(\w+)", block).group(1)
        assert f"results/gold/high/{split}.jsonl" in block.split("output:")[0]


def test_dangling_reference_fails_naming_it(dag, workflow):
    edit_config(
        workflow, lambda c: c["policy_runs"]["smollm2-vs-r-135m"].update(judge="r-999m")
    )
    proc = dag.snakemake(workflow, "--dry-run", check=False)
    assert proc.returncode != 0
    assert (
        "policy_runs.smollm2-vs-r-135m.judge names judge 'r-999m'"
        in proc.stdout + proc.stderr
    )


def test_paper_config_lists_every_artifact(dag, workflow):
    out = dag.snakemake(
        workflow, "--configfile", "configs/paper.yaml", "--dry-run"
    ).stdout
    blocks = dag.blocks(out)
    counts = {}
    for block in blocks:
        rule = re.search(r"rule (\w+):", block).group(1)
        counts[rule] = counts.get(rule, 0) + 1
    checkpoints = 1200 // 100 + 1
    # 4 NR + 3 R + 2 lower-effort R + 1 rubric NR + 2 pairwise (RL-only judges skip SFT)
    assert counts["train_judge_sft"] == 12
    assert (
        counts["train_judge_grpo"] == 8
    )  # 3 R + 2 RL-only + 2 lower-effort + 1 pairwise R
    assert (
        counts["evaluate_judge"] == 25
    )  # 14 trained + 8 untuned (Fig. 2) + 1 rubric + 2 pairwise untuned
    # ... and the SFT checkpoint of every SFT + GRPO judge: 3 R + 2 lower-effort + 1 pairwise
    assert counts["evaluate_judge_before_rl"] == 6
    before = next(b for b in blocks if "rule evaluate_judge_before_rl:" in b)
    assert re.search(r"results/judges/[^/]+/sft", before) and "gpu=1" in before
    # 18 main + 3 against the 1.7B R judge + 2x (2 RL-only + 2 effort + 1 rubric) for Llama and
    # Qwen2.5 + 2 pairwise + 1 against an untuned R judge + the KL ablation
    runs = 35
    assert counts["train_policy"] == runs
    # One answering job and one scoring job per scorer and run, over all its checkpoints; the
    # initial policies' answers and gold verdicts once per policy model (and verdict format).
    assert (
        counts["generate_answers"]
        == counts["score_answers_by_judge"]
        == counts["score_answers_by_gold"]
        == runs
    )
    assert counts["generate_initial_answers"] == 3
    # Fig. 10's baseline: GPT-4o answers the test prompts once, over its API (no GPU).
    assert counts["generate_pairwise_baseline"] == 1
    baseline = next(b for b in blocks if "rule generate_pairwise_baseline:" in b)
    assert "results/baselines/gpt-4o/answers.jsonl" in baseline
    assert not re.search(r"gpu=[1-9]", baseline)
    gold_scoring = [b for b in blocks if "rule score_answers_by_gold:" in b]
    pairwise = [b for b in gold_scoring if "run=llama-vs-pw-" in b]
    assert pairwise and all(
        "results/baselines/gpt-4o/answers.jsonl" in b for b in pairwise
    )
    assert counts["score_initial_answers"] == 4  # 3 pointwise + Llama's pairwise
    answers = next(b for b in blocks if "rule generate_answers:" in b)
    assert (
        len(re.search(r"output: (.*)", answers).group(1).split(", ")) == checkpoints - 1
    )
    # high: train, val, test; medium and low: train and val only (every judge is tested against high).
    assert counts["annotate_gold"] == 7
    assert counts["annotate_gold_pairwise"] == 3
    assert counts["generate_rubrics"] == 5
    assert (
        "prepare_model" in counts and counts["prepare_model"] == 7
    )  # gpt-oss is served, not loaded
    policy = next(b for b in blocks if "rule train_policy:" in b)
    # 4 nodes of trainer and 4 of judge servers, 8 GPUs each (test_paper_slurm_requests)
    assert re.search(r"resources: .*nodes=8.*gres=gpu:8", policy)
    gold = next(b for b in blocks if "rule annotate_gold:" in b)
    assert not re.search(r"gpu=[1-9]", gold)
    # Arena-Hard-V2: arena-hard-auto's files fetched once; the table runs and their initial
    # policies answer, and GPT-4.1 (over HTTP, no GPU) judges each against the fetched baselines.
    assert (
        counts["fetch_arena_hard"]
        == counts["generate_arena_baseline"]
        == counts["arena_hard_tables"]
        == 1
    )
    # Table 1: three policies and their runs; Table 6: Llama's pairwise run.
    assert counts["generate_arena_answers"] == counts["judge_arena"] == 7
    assert counts["fetch_arena_prompts"] == 1  # arena-hard-auto's own prompts, pinned
    judged = next(b for b in blocks if "rule judge_arena:" in b)
    assert "results/arena_hard/baseline_answers.jsonl" in judged and not re.search(
        r"gpu=[1-9]", judged
    )
    fetch = next(b for b in blocks if "rule fetch_arena_hard:" in b)
    # arena-hard-auto's published pool joins the fit: its answers and GPT-4.1 judgments.
    assert "model_judgment/gpt-4.1/deepseek-r1.jsonl" in fetch
    tables_block = next(b for b in blocks if "rule arena_hard_tables:" in b)
    assert (
        "results/arena_hard/source/data/arena-hard-v2.0/model_answer/qwq-32b.jsonl"
        in (tables_block)
    )
    assert (
        "results/arena_hard/source/data/arena-hard-v2.0/model_answer/o3-mini-2025-01-31.jsonl"
        in fetch
    )
    assert (
        counts["master_key_table"] == 1 and counts["plot_policy_scores"] == 7
    )  # fig3-5, fig7-10


def test_single_gpu_config_asks_for_one_gpu_per_job(dag, workflow):
    out = dag.snakemake(
        workflow, "--configfile", "configs/single_gpu.yaml", "--dry-run"
    ).stdout
    gpus = {int(g) for g in re.findall(r"gpu=(\d+)", out)}
    assert gpus == {0, 1}


def test_gpu_resource_becomes_the_sbatch_gpus_flag():
    from snakemake_executor_plugin_slurm.utils import set_gres_string

    class Job:
        resources = {"gpu": 16}

    assert set_gres_string(Job()).strip() == "--gpus=16"
    Job.resources = {"gpu": 0}
    assert set_gres_string(Job()).strip() == ""


class PlannedJob:
    """A dry run's job as the SLURM plugin reads one: resources by key and by attribute."""

    class Resources(dict):
        __getattr__ = dict.get

    def __init__(self, block: str):
        self.rule = re.search(r"rule (\S+):", block).group(1)
        found = re.search(r"resources: (.*)", block)
        pairs = dict(kv.split("=", 1) for kv in found.group(1).split(", "))
        self.resources = self.Resources(
            {k: int(v) if v.isdigit() else v for k, v in pairs.items()}
        )
        threads = re.search(r"threads: (\d+)", block)
        self.threads = int(threads.group(1)) if threads else 1


def paper_slurm_jobs(dag, workflow) -> dict:
    out = dag.snakemake(
        workflow,
        "--configfile",
        "configs/paper.yaml",
        "--profile",
        "profiles/slurm",
        "--executor",
        "local",
        "--dry-run",
        "--cores",
        "64",
    ).stdout
    return {job.rule: job for job in map(PlannedJob, dag.blocks(out))}


def sbatch_call(job) -> str:
    """The sbatch command line that the pinned SLURM plugin builds for `job`."""
    from snakemake_executor_plugin_slurm.submit_string import get_submit_command
    from snakemake_executor_plugin_slurm.utils import set_gres_string

    params = {
        "run_uuid": "uuid",
        "slurm_logfile": "log",
        "comment_str": job.rule,
        "account": "-A site",
        "partition": "-p gpu",
        "workdir": "/work",
    }
    return get_submit_command(job, params) + set_gres_string(job)


def test_paper_slurm_requests(dag, workflow):
    """What each paper-scale job asks SLURM for, as the pinned plugin's own sbatch call: judge
    SFT one 8-GPU node; judge GRPO 4 nodes and policy GRPO 8 (4 training, 4 serving the judge),
    8 GPUs and one task per node, which the script's srun steps use (no task per GPU: users of
    the plugin saw a server start once per GPU); GPU jobs the profile's GPU type; and the clients
    of HTTP models (the gold judge, GPT-4.1) no GPU at all. The tests' plugin (2.6.0) and the
    cluster environment's (2.8.0) build the same flags for these jobs."""
    jobs = paper_slurm_jobs(dag, workflow)
    sft = sbatch_call(jobs["train_judge_sft"])
    assert "--nodes=1" in sft.split() and sft.endswith("--gpus=a100:8")
    for rule, nodes in (("train_judge_grpo", 4), ("train_policy", 8)):
        call = sbatch_call(jobs[rule])
        flags = call.split()
        for flag in (
            f"--nodes={nodes}",
            f"--ntasks={nodes}",
            "--gres=gpu:a100:8",
            "--cpus-per-task=32",
        ):
            assert flag in flags, (rule, flag, call)
        assert "--gpus" not in call and "--ntasks-per-gpu" not in call, call
        # the plugin's job step runs the script itself (not inside `srun -n1`) for `mpi` jobs
        assert "mpi" in jobs[rule].resources
    from judgerl.serving import SERVED_BACKENDS

    # The gold judge's and GPT-4.1's clients, and the baseline read from arena-hard's files.
    http_clients = [
        *(
            r
            for users in SERVED_BACKENDS.values()
            for r in users
            if r != "train_policy"
        ),
        "generate_arena_baseline",
    ]
    for rule in http_clients:
        assert jobs[rule].resources["gpu"] == 0, rule
        assert "--gpus" not in sbatch_call(jobs[rule])


def test_every_resource_and_profile_entry_names_a_rule(dag, workflow):
    import yaml

    rules = set(dag.snakemake(workflow, "--list-rules").stdout.split())
    profile = yaml.safe_load((workflow / "profiles/slurm/config.yaml").read_text())
    assert (
        set(profile["set-resources"]) <= rules and set(profile["set-threads"]) <= rules
    )
    for name in ("paper", "single_gpu"):
        cfg = yaml.safe_load((workflow / f"configs/{name}.yaml").read_text())
        assert set(cfg["resources"]) <= rules, name


def test_each_rule_gets_its_own_resources_and_the_schema_names_those_rules(
    dag, workflow
):
    """RULE_RESOURCES and the schema's `resources` name exactly the rules that state resources,
    `launch` the trainers; and each rule's jobs get its own entry: given a runtime of its own
    per rule, every job shows its rule's."""
    from judgerl.config import RULE_RESOURCES, TRAINERS

    schema = yaml.safe_load((workflow / "schemas/config.schema.yaml").read_text())
    sections = schema["properties"]
    assert set(sections["resources"]["propertyNames"]["enum"]) == set(RULE_RESOURCES)
    assert set(sections["launch"]["propertyNames"]["enum"]) == set(TRAINERS)
    path = workflow / "configs/paper.yaml"
    cfg = yaml.safe_load(path.read_text())
    own = {rule: 1000 + i for i, rule in enumerate(RULE_RESOURCES)}
    for rule, runtime in own.items():
        cfg["resources"].setdefault(rule, {})["runtime"] = runtime
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    out = dag.snakemake(workflow, "--configfile", "configs/paper.yaml", "--dry-run")
    runtimes = {}
    for block in dag.blocks(out.stdout):
        rule = re.search(r"rule (\S+):", block).group(1)
        found = re.search(r"runtime=(\d+)", block)
        runtimes.setdefault(rule, set()).add(int(found.group(1)) if found else None)
    assert {rule: values for rule, values in runtimes.items() if values != {None}} == {
        rule: {runtime} for rule, runtime in own.items()
    }


def reverse_keys(value):
    if isinstance(value, dict):
        return {k: reverse_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reverse_keys(v) for v in value]
    return value


def test_reordering_config_keys_reruns_nothing(dag, materialised):
    # A tidied config (every mapping's keys in another order, as yaml.safe_dump sorts them) holds
    # the same values: no job is planned. A changed value still plans its jobs.
    path = materialised / "config.yaml"
    path.write_text(
        yaml.safe_dump(reverse_keys(yaml.safe_load(path.read_text())), sort_keys=False)
    )
    text = path.read_text()
    assert text.index("arena_hard:") < text.index("seed:")  # the file did change
    assert dag.planned(materialised) == set()
    path.write_text(yaml.safe_dump(yaml.safe_load(text), sort_keys=True))
    assert dag.planned(materialised) == set()
    edit_config(
        materialised,
        lambda c: c["judges"]["r-135m"].update(grpo={"learning_rate": 2e-6}),
    )
    assert ("train_judge_grpo", "judge=r-135m") in dag.planned(materialised)


POLICY_RULES = {
    "train_policy",
    "generate_answers",
    "generate_initial_answers",
    "score_answers_by_judge",
    "score_answers_by_gold",
    "score_initial_answers",
}


def test_a_judge_table_plans_no_policy_job(dag, workflow):
    jobs = dag.planned(workflow, "table2")
    rules = {rule for rule, _ in jobs}
    assert {
        "train_judge_sft",
        "train_judge_grpo",
        "evaluate_judge",
        "judge_tables",
        "table2",
    } <= rules
    assert (
        not rules & POLICY_RULES and "judge_arena" not in rules and "all" not in rules
    )


def test_named_targets_plan_exactly_their_artifacts(dag, workflow):
    judge = dag.planned(workflow, "judge_nr-135m")
    assert {w for rule, w in judge if rule.startswith(("train_", "evaluate_"))} == {
        "judge=nr-135m"
    }
    assert not {rule for rule, _ in judge} & {
        "annotate_gold_pairwise",
        "generate_rubrics",
    }
    assert {w for rule, w in judge if rule == "annotate_gold"} == {
        f"effort=high, split={s}" for s in ("judge_train", "judge_val", "judge_test")
    }

    run = dag.planned(workflow, "run_smollm2-vs-nr-135m")
    assert {w for rule, w in run if rule == "train_policy"} == {
        "run=smollm2-vs-nr-135m"
    }
    assert {w for rule, w in run if rule.startswith("train_judge")} == {"judge=nr-135m"}
    assert not {rule for rule, _ in run} & {
        "policy_scores_table",
        "judge_arena",
        "evaluate_judge",
    }

    gold = {rule for rule, _ in dag.planned(workflow, "gold")}
    assert {"annotate_gold", "annotate_gold_pairwise", "generate_rubrics"} <= gold
    assert not any(rule.startswith(("train_", "evaluate_")) for rule in gold)

    table1 = {rule for rule, _ in dag.planned(workflow, "table1")}
    assert {"judge_arena", "arena_hard_tables", "train_policy"} <= table1
    assert not table1 & {"evaluate_judge", "policy_scores_table"}

    fig5 = {
        w for rule, w in dag.planned(workflow, "fig5") if rule == "plot_policy_scores"
    }
    assert fig5 == {"figure=fig5"}


def test_every_paper_table_and_figure_has_a_target(dag, workflow):
    listed = dag.snakemake(workflow, "--list-target-rules").stdout.split()
    names = {
        "all",
        "gold",
        "judges",
        "policies",
        "evaluation",
        "arena_hard",
        "fig2",
        *(f"table{n}" for n in range(1, 7)),
        *(f"fig{n}" for n in (3, 4, 5, 8, 10)),
    }
    assert names <= set(listed)
    cfg = yaml.safe_load((workflow / "config.yaml").read_text())
    assert {f"judge_{j}" for j in cfg["judges"]} | {
        f"run_{r}" for r in cfg["policy_runs"]
    } <= set(listed)


def test_a_dead_gold_server_stops_the_run_before_any_job(dag, workflow):
    from judgerl.serving import free_port

    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    edit_config(
        workflow,
        lambda c: c["gold"].update(
            backend={"kind": "openai", "base_url": url, "served_model": "gold"},
            verdict="parsed",
            rubrics={"max_tokens": 64},
        ),
    )
    proc = dag.snakemake(
        workflow, "--cores", "1", "results/gold/high/judge_val.jsonl", check=False
    )
    assert proc.returncode != 0
    assert (
        f"gold.backend.base_url: nothing answers at {url}/models"
        in proc.stdout + proc.stderr
    )
    assert not (workflow / "results").exists()  # no job ran
    # A target that calls no gold model does not need the server.
    assert (
        dag.snakemake(
            workflow, "--cores", "1", "results/data/splits/judge_val.jsonl", check=False
        ).returncode
        == 0
    )
