# Config helpers: every job gets only its own slice of config through `params`, resolved here,
# so that editing one judge or one run reruns exactly the jobs that read it.

from pathlib import Path

JUDGE_SPLITS = ["judge_train", "judge_val", "judge_test"]
ALL_SPLITS = JUDGE_SPLITS + ["policy_train", "policy_test"]
SCORERS = ["judge", "gold"]


class ConfigError(ValueError):
    pass


def _check_references():
    models = config["models"]

    def need(kind, name, where):
        table = config[kind]
        if name not in table:
            raise ConfigError(
                f"{where} names {kind[:-1]} {name!r}, which is not in `{kind}` ({', '.join(table)})"
            )

    if config["candidates"]["source"] == "model":
        if "model" not in config["candidates"]:
            raise ConfigError(
                "candidates.source is 'model' but candidates.model is not set"
            )
        need("models", config["candidates"]["model"], "candidates.model")
    need("models", config["gold"]["model"], "gold.model")
    if "high" not in config["gold"]["efforts"]:
        raise ConfigError(
            "gold.efforts must define 'high': the gold judge grades policies at high effort"
        )
    for name, judge in config["judges"].items():
        need("models", judge["base"], f"judges.{name}.base")
        if judge_format(name) == "pairwise" and judge.get("rubrics"):
            raise ConfigError(
                f"judges.{name}: rubrics are for pointwise judges, as in the paper"
            )
        if judge.get("rubrics") and "rubrics" not in config["gold"]:
            raise ConfigError(
                f"judges.{name} reads rubrics, but gold.rubrics (how the gold model writes them) is not set"
            )
        if judge["stages"] not in ([], ["sft"], ["grpo"], ["sft", "grpo"]):
            raise ConfigError(
                f"judges.{name}.stages must be [], [sft], [grpo] or [sft, grpo]"
            )
        if judge["gold_effort"] not in config["gold"]["efforts"]:
            raise ConfigError(
                f"judges.{name}.gold_effort is {judge['gold_effort']!r}, not in gold.efforts"
            )
    for name, run in config["policy_runs"].items():
        need("models", run["policy"], f"policy_runs.{name}.policy")
        need("judges", run["judge"], f"policy_runs.{name}.judge")
    grpo = config["training"]["policy_grpo"]
    pairwise_runs = [
        r
        for r in config["policy_runs"].values()
        if judge_format(r["judge"]) == "pairwise"
    ]
    if pairwise_runs and grpo["per_device_train_batch_size"] % grpo["num_generations"]:
        raise ConfigError(
            "training.policy_grpo.per_device_train_batch_size must be a multiple of num_generations "
            "for pairwise rewards (Eq. 4 compares rollouts within a whole group)"
        )
    if grpo["max_steps"] % grpo["save_steps"]:
        raise ConfigError(
            "training.policy_grpo.max_steps must be a multiple of save_steps (each save is a checkpoint)"
        )


def judge_format(judge):
    return config["judges"][judge].get("format", "pointwise")


def judge_has_rubrics(judge):
    return bool(config["judges"][judge].get("rubrics", False))


_check_references()

# The software environment of every job under --use-conda: envs/cpu.yaml or envs/gpu.yaml.
CONDA_ENV = f"../envs/{config.get('environment', 'cpu')}.yaml"

MODELS = list(config["models"])
JUDGES = list(config["judges"])
RUNS = list(config["policy_runs"])
EFFORTS = list(config["gold"]["efforts"])
_GRPO = config["training"]["policy_grpo"]
# Step 0 is the initial policy; then every save of the trainer.
CHECKPOINT_STEPS = [0] + list(
    range(_GRPO["save_steps"], _GRPO["max_steps"] + 1, _GRPO["save_steps"])
)
TRAINED_STEPS = CHECKPOINT_STEPS[1:]


# ---- resources --------------------------------------------------------------------------------


def resource(rule, name, default):
    """A job's resource need: config `resources.<rule>.<name>` if set, else the rule's default.

    GPU counts live in config (the CPU default asks for none, and a GPU request fails at
    submission on a cluster without GPUs); site settings (partition, account) live in profiles.
    Trainers default to one thread: on a small CPU machine two of them then share the cores
    without oversubscribing them, and their single-threaded start-up and saving overlap.
    """
    return config.get("resources", {}).get(rule, {}).get(name, default)


def launch_settings(rule):
    """How a trainer starts its processes, from config `launch.<rule>`; `processes` under
    accelerate launch, and for train_policy an optional judge server on GPUs of its own.
    """
    return config.get("launch", {}).get(rule, {})


def _check_gpu_split():
    for rule, settings in config.get("launch", {}).items():
        wanted = int(settings.get("processes", 1)) + int(
            settings.get("judge_server", {}).get("gpus", 0)
        )
        gpus = resource(rule, "gpu", 0)
        if gpus and gpus != wanted:
            raise ConfigError(
                f"resources.{rule}.gpu is {gpus}, but launch.{rule} splits {wanted} GPUs "
                "(trainer processes + judge server GPUs): make them agree"
            )


_check_gpu_split()


# ---- paths -----------------------------------------------------------------------------------


def model_dir(name):
    return f"results/models/{name}"


def gold_file(effort, split):
    return f"results/gold/{effort}/{split}.jsonl"


def pairwise_gold_file(effort, split):
    return f"results/gold/{effort}/pairwise/{split}.jsonl"


def rubrics_file(split):
    return f"results/gold/rubrics/{split}.jsonl"


def gold_labels(judge, split, effort=None):
    """The gold file a judge learns from (or is tested on): its format, at its gold effort."""
    effort = effort or config["judges"][judge]["gold_effort"]
    if judge_format(judge) == "pairwise":
        return pairwise_gold_file(effort, split)
    return gold_file(effort, split)


def judge_gold(split):
    """Input function: the gold file of `split` that the judge of the wildcard learns from."""
    return lambda wc: gold_labels(wc.judge, split)


def judge_rubrics(judge, split):
    """The rubrics a judge reads beside the instruction, if it is a rubric judge."""
    return [rubrics_file(split)] if judge_has_rubrics(judge) else []


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
    step = int(step)
    if step == 0:
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


# ---- config slices ---------------------------------------------------------------------------


def model_spec(name):
    return config["models"][name]


def judge_training(judge, stage):
    """One judge's slice for one training stage (sft / grpo): defaults, then its overrides."""
    j = config["judges"][judge]
    defaults = config["training"][f"judge_{stage}"]
    return {
        "base_spec": model_spec(j["base"]),
        "mode": j["mode"],
        "format": judge_format(judge),
        "args": {**defaults, **j.get(stage, {})},
    }


def judge_use(judge, purpose):
    """How a trained judge is asked for verdicts (`evaluation` or `reward`)."""
    j = config["judges"][judge]
    sampling = dict(config["judging"][purpose])
    if j["mode"] == "non_reasoning":
        sampling["max_tokens"] = config["judging"].get("non_reasoning_max_tokens", 8)
    return {
        "mode": j["mode"],
        "format": judge_format(judge),
        "sampling": sampling,
        "backend": config["judging"]["backend"],
        "spec": model_spec(j["base"]),
    }


def gold_use(effort, fmt="pointwise"):
    gold = config["gold"]
    sampling = {
        "temperature": gold.get("temperature", 0.0),
        "verdict": gold.get("verdict", "parsed"),
    }
    sampling.update(gold["efforts"][effort])
    return {
        "mode": "reasoning",
        "format": fmt,
        "sampling": sampling,
        "backend": gold["backend"],
        "spec": model_spec(gold["model"]),
    }


def run_judge(run):
    return config["policy_runs"][run]["judge"]


def run_format(run):
    """Pointwise runs are scored 0..9; pairwise runs by win rate against baseline answers."""
    return judge_format(run_judge(run))


def fixed_baseline():
    return config["evaluation"].get("pairwise_baseline")


def baseline_answers(run):
    """What a pairwise run's answers are compared with: config `evaluation.pairwise_baseline`
    (e.g. GPT-4o's answers, as the paper), else the run's own initial policy (step 0).
    """
    if run_format(run) != "pairwise":
        return []
    return [fixed_baseline() or initial_answers(config["policy_runs"][run]["policy"])]


def initial_baseline(model, fmt):
    if fmt != "pairwise":
        return []
    return [fixed_baseline() or initial_answers(model)]


def final_outputs():
    return [
        "results/tables/judge_agreement.csv",
        *expand(
            "results/tables/{table}.{ext}",
            table=["table2", "table3", "table4", "table5"],
            ext=["csv", "md"],
        ),
        "results/figures/fig2.png",
        "results/tables/adversarial_rates.csv",
        "results/figures/adversarial_rates.png",
        "results/tables/policy_scores.csv",
        *expand("results/figures/policy_scores_{run}.png", run=RUNS),
    ]


def served_model_input(name, backend):
    """A model served over HTTP needs no local folder; every other backend loads one."""
    return [] if backend["kind"] == "openai" else [model_dir(name)]
