# Helpers of the rules: the config in canonical form, the names it defines, each rule's
# resources, the paths of the artifacts, and each job's slice of config for `params:`, so that
# editing one judge or one run reruns exactly the jobs that read it. Checks live in
# judgerl/config.py, figure and table selection in judgerl/tables.py.
#
# Paths: every path under results/ that a rule reads or writes comes from a helper below (with
# wildcards as "{run}" where a rule's output pattern needs them); no rule spells one itself, so a
# helper changes every rule that uses its artifact. Logs and benchmarks are per rule and stay in
# their rule.

# The library judgerl is installed with the workflow (make setup); rule scripts also find it beside
# them (Snakemake puts a script's own folder on its path), as jobs in a conda environment do.

from judgerl import config as study_config
from judgerl import serving, tracking
from judgerl.layout import Layout
from judgerl.tables import JUDGE_TABLES, policy_figures

# Params are compared by their repr: in canonical form only a change of value reruns a job, not
# a change of key order.
_canonical = study_config.canonical(dict(config))
config.clear()
config.update(_canonical)
study_config.check(config)

JUDGE_SPLITS = ["judge_train", "judge_val", "judge_test"]
ALL_SPLITS = JUDGE_SPLITS + ["policy_train", "policy_test"]
SCORERS = ["judge", "gold"]

# The software environment of every job under --use-conda: envs/cpu.yaml or envs/gpu.yaml.
CONDA_ENV = f"../envs/{config['environment']}.yaml"

MODELS = list(config["models"])
JUDGES = list(config["judges"])
RUNS = list(config["policy_runs"])
EFFORTS = list(config["gold"]["efforts"])
CHECKPOINT_STEPS = study_config.checkpoint_steps(config)
TRAINED_STEPS = CHECKPOINT_STEPS[1:]
POLICY_FIGURES = policy_figures(config["judges"], config["policy_runs"])
ARENA = config.get("arena_hard")


def rule_resources(rule_name):
    """A rule's `resources:`: config `resources.<rule>` over its defaults (RULE_RESOURCES in
    judgerl/config.py; a rule not there raises). A trainer's nodes and GPUs come from its layout
    (judgerl/layout.py): `gpu` on one node; nodes, one task per node and GPUs per node (gres) over
    several, run by the script's own srun steps; resources.<rule>.gpu counts GPUs per node.
    Site settings (partition, account) live in profiles."""
    needs = study_config.rule_resources(config, rule_name)
    if rule_name in study_config.TRAINERS:
        gpus = Layout.of(launch_settings(rule_name)).slurm_resources(needs["gpu"])
    else:
        gpus = {"gpu": needs["gpu"]}
    return {**gpus, "mem_mb": needs["mem_mb"], "runtime": needs["runtime"]}


def rule_threads(rule_name):
    return study_config.rule_resources(config, rule_name)["threads"]


def rule_retries(rule_name):
    """Config `resources.<rule>.retries`; None: the profile's."""
    return study_config.rule_resources(config, rule_name).get("retries")


def launch_settings(rule_name):
    """How a trainer starts its processes (config `launch.<rule>`; judgerl/launch.py)."""
    if rule_name not in study_config.TRAINERS:
        raise study_config.ConfigError(
            f"launch settings are for trainers ({', '.join(study_config.TRAINERS)}), not {rule_name!r}"
        )
    return config.get("launch", {}).get(rule_name, {})


# ---- paths -----------------------------------------------------------------------------------


def model_dir(name):
    return f"results/models/{name}"


def split_file(split):
    return f"results/data/splits/{split}.jsonl"


def splits_summary():
    return "results/data/splits/summary.json"


def candidates_file(split):
    return f"results/data/candidates/{split}.jsonl"


def gold_file(effort, split):
    return f"results/gold/{effort}/{split}.jsonl"


def pairwise_gold_file(effort, split):
    return f"results/gold/{effort}/pairwise/{split}.jsonl"


def rubrics_file(split):
    return f"results/gold/rubrics/{split}.jsonl"


def judge_stage_dir(judge, stage):
    return f"results/judges/{judge}/{stage}"


def judge_eval_file(judge, name, before_rl=False):
    """A judge's evaluation file `name`; before_rl: its SFT model's (before GRPO)."""
    folder = "eval_before_rl" if before_rl else "eval"
    return f"results/judges/{judge}/{folder}/{name}"


def checkpoint_dir(run, step):
    return f"results/policies/{run}/checkpoint-{step}"


def train_log(run):
    return f"results/policies/{run}/train_log.csv"


def judge_calls_file(run):
    return f"results/policies/{run}/judge_calls.jsonl"


def initial_answers(model):
    return f"results/initial_policies/{model}/answers.jsonl"


def initial_gold_scores(model, fmt):
    return f"results/initial_policies/{model}/scores.gold.{fmt}.jsonl"


def pairwise_baseline_file():
    """The baseline answers that pairwise runs meet, if config evaluation.pairwise_baseline
    names them (a file or the output of rule generate_pairwise_baseline)."""
    return study_config.pairwise_baseline_file(config["evaluation"])


def adversarial_file(name):
    return f"results/adversarial/{name}.jsonl"


def table_file(name, ext):
    return f"results/tables/{name}.{ext}"


def table_files(name):
    return [table_file(name, "csv"), table_file(name, "md")]


def figure_file(name):
    return f"results/figures/{name}.png"


def arena_file(name):
    return f"results/arena_hard/{name}"


def arena_answers(contestant):
    return arena_file(f"answers/{contestant}.jsonl")


def arena_judgments(contestant):
    return arena_file(f"judgments/{contestant}.jsonl")


def judge_format(judge):
    return config["judges"][judge]["format"]


def gold_labels(judge, split, effort=None):
    """The gold file a judge learns from (or is tested on): its format, at its gold effort."""
    effort = effort or config["judges"][judge]["gold_effort"]
    if judge_format(judge) == "pairwise":
        return pairwise_gold_file(effort, split)
    return gold_file(effort, split)


def gold_labels_input(split):
    """Input function: the gold file of `split` that the wildcard's judge learns from."""
    return lambda wc: gold_labels(wc.judge, split)


def judge_rubrics(judge, split):
    """The rubrics a judge reads beside the instruction, if it is a rubric judge."""
    return [rubrics_file(split)] if config["judges"][judge]["rubrics"] else []


def judge_model(judge):
    """The judge's final model: its last training stage, or its base model if it is untuned."""
    stages = config["judges"][judge]["stages"]
    if not stages:
        return model_dir(config["judges"][judge]["base"])
    return judge_stage_dir(judge, stages[-1])


def policy_checkpoint(run, step):
    """Step 0 is the untrained policy itself; no copy is made."""
    if int(step) == 0:
        return model_dir(config["policy_runs"][run]["policy"])
    return checkpoint_dir(run, step)


def initial_answers(model):
    return f"results/initial_policies/{model}/answers.jsonl"


def answers_file(run, step):
    """Step 0 answers are the initial policy's, shared by every run that starts from it."""
    if str(step) == "0":
        return initial_answers(config["policy_runs"][run]["policy"])
    return f"results/policies/{run}/answers/step-{step}.jsonl"


def score_file(run, step, scorer):
    """The gold verdict on an initial policy is shared too, per policy model and verdict format."""
    if str(step) == "0" and scorer == "gold":
        policy = config["policy_runs"][run]["policy"]
        return initial_gold_scores(policy, run_format(run))
    return f"results/policies/{run}/scores/step-{step}.{scorer}.jsonl"


def all_answer_files():
    """(run, step, path) of every checkpoint's answers, step 0 included."""
    return [
        (run, step, answers_file(run, step))
        for run in RUNS
        for step in CHECKPOINT_STEPS
    ]


def all_score_files():
    """(run, step, scorer, path) of every checkpoint score the tables read."""
    return [
        (run, step, scorer, score_file(run, step, scorer))
        for run in RUNS
        for step in CHECKPOINT_STEPS
        for scorer in SCORERS
    ]


def token_counter_input():
    """The model whose tokenizer measures the data against its token caps, if there are caps."""
    data = config["data"]
    capped = "max_instruction_tokens" in data or "max_response_tokens" in data
    return [model_dir(data["token_counter"])] if capped else []


def served_model_input(name, backend):
    """A model served over HTTP, or the known gold, needs no local folder; every other backend
    loads one."""
    return [] if backend["kind"] in ("openai", "known") else [model_dir(name)]


def gold_model_input():
    return served_model_input(config["gold"].get("model"), config["gold"]["backend"])


def gold_spec():
    """The gold model's entry in `models`; the known gold has none."""
    return model_spec(config["gold"]["model"]) if "model" in config["gold"] else {}


# ---- config slices ---------------------------------------------------------------------------


def model_spec(name):
    return config["models"][name]


def judge_training(judge, stage):
    """One judge's slice for one training stage (sft / grpo): defaults, then its overrides."""
    j = config["judges"][judge]
    return study_config.canonical(
        {
            "base_spec": model_spec(j["base"]),
            "mode": j["mode"],
            "format": j["format"],
            "args": study_config.judge_stage_args(config, judge, stage),
            "wording": config["judge_inference"]["wording"],
        }
    )


def policy_training(run):
    """One policy run's GRPO arguments: defaults, then its overrides (what the config check
    checks)."""
    return study_config.canonical(study_config.policy_grpo_args(config, run))


def judge_inference(judge, purpose):
    """How a judge is asked for verdicts: `evaluation` (greedy) or `reward` (sampled)."""
    j = config["judges"][judge]
    sampling = dict(config["judge_inference"][purpose])
    pairwise = sampling.pop("pairwise", {})
    if j["format"] == "pairwise":
        sampling.update(pairwise)
    if j["mode"] == "non_reasoning":
        sampling["max_tokens"] = config["judge_inference"]["non_reasoning_max_tokens"]
    return study_config.canonical(
        {
            "mode": j["mode"],
            "format": j["format"],
            "sampling": sampling,
            "backend": config["judge_inference"]["backend"],
            "spec": model_spec(j["base"]),
            "wording": config["judge_inference"]["wording"],
        }
    )


def gold_inference(effort, fmt="pointwise"):
    """How the gold judge is asked for verdicts at one effort, in one format."""
    gold = config["gold"]
    sampling = {"temperature": gold["temperature"], "verdict": gold["verdict"]}
    return study_config.canonical(
        {
            "mode": "reasoning",
            "format": fmt,
            "sampling": {**sampling, **gold["efforts"][effort]},
            "backend": gold["backend"],
            "spec": gold_spec(),
            "wording": "study",
        }
    )


def judge_evaluation_input(model):
    """What a judge evaluation reads: the model measured (`model(judge)`) and the test split's
    high-effort gold, against which every judge is measured, with its rubrics."""
    return {
        "model": lambda wc: model(wc.judge),
        "test": lambda wc: gold_labels(wc.judge, "judge_test", "high"),
        "rubrics": lambda wc: judge_rubrics(wc.judge, "judge_test"),
    }


def judge_evaluation_output(before_rl):
    return {
        name: judge_eval_file("{judge}", file, before_rl)
        for name, file in (
            ("verdicts", "verdicts.jsonl"),
            ("agreement", "agreement.json"),
            ("master_key", "master_key.jsonl"),
        )
    }


def judge_of_run(run):
    return config["policy_runs"][run]["judge"]


def run_format(run):
    """Pointwise runs are scored 0..9; pairwise runs by win rate against baseline answers."""
    return judge_format(judge_of_run(run))


def baseline_answers_of_model(model, fmt):
    """Pairwise answers meet evaluation.pairwise_baseline's (GPT-4o), else the initial policy's."""
    return (
        [pairwise_baseline_file() or initial_answers(model)]
        if fmt == "pairwise"
        else []
    )


def baseline_answers(run):
    policy = config["policy_runs"][run]["policy"]
    return baseline_answers_of_model(policy, run_format(run))
