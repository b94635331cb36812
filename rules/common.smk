# Helpers of the rules: the config in canonical form, the names it defines, the paths of the
# artifacts, and each job's slice of config for `params:`, so that editing one judge or one run
# reruns exactly the jobs that read it. Checks live in judgerl/config.py, figure and table
# selection in judgerl/tables.py.

import sys

# The Snakefile reads the config through the library; rule scripts find it beside them (Snakemake
# puts a script's own folder on its path).
sys.path.insert(0, f"{workflow.basedir}/workflow_scripts")

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


def resource(rule, name, default):
    """A job's resource need: config `resources.<rule>.<name>`, else the rule's default.

    GPU counts live in config (the CPU default asks for none, and a GPU request fails at
    submission on a cluster without GPUs); site settings (partition, account) live in profiles.
    """
    return study_config.resource(config, rule, name, default)


def launch_settings(rule):
    """How a trainer starts its processes (config `launch.<rule>`; judgerl/launch.py)."""
    return config.get("launch", {}).get(rule, {})


def trainer_resources(rule):
    """A trainer's nodes and GPUs from its layout (judgerl/layout.py): `gpu` on one node; nodes,
    one task per node and GPUs per node (gres) over several, run by the script's own srun steps.
    resources.<rule>.gpu counts GPUs per node."""
    layout = Layout.of(launch_settings(rule))
    return layout.slurm_resources(resource(rule, "gpu", 0))


# ---- paths -----------------------------------------------------------------------------------


def model_dir(name):
    return f"results/models/{name}"


def gold_file(effort, split):
    return f"results/gold/{effort}/{split}.jsonl"


def pairwise_gold_file(effort, split):
    return f"results/gold/{effort}/pairwise/{split}.jsonl"


def rubrics_file(split):
    return f"results/gold/rubrics/{split}.jsonl"


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


def judge_stage_dir(judge, stage):
    return f"results/judges/{judge}/{stage}"


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
    return f"results/policies/{run}/checkpoint-{step}"


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
        return f"results/initial_policies/{policy}/scores.gold.{run_format(run)}.jsonl"
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
            "args": {**config["training"][f"judge_{stage}"], **j.get(stage, {})},
            "wording": config["judge_inference"]["wording"],
        }
    )


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


def judge_of_run(run):
    return config["policy_runs"][run]["judge"]


def run_format(run):
    """Pointwise runs are scored 0..9; pairwise runs by win rate against baseline answers."""
    return judge_format(judge_of_run(run))


def baseline_answers_of_model(model, fmt):
    """Pairwise answers meet evaluation.pairwise_baseline's (GPT-4o), else the initial policy's."""
    baseline = study_config.pairwise_baseline_file(config["evaluation"])
    return [baseline or initial_answers(model)] if fmt == "pairwise" else []


def baseline_answers(run):
    policy = config["policy_runs"][run]["policy"]
    return baseline_answers_of_model(policy, run_format(run))
