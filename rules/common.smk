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
    if grpo["max_steps"] % grpo["save_steps"]:
        raise ConfigError(
            "training.policy_grpo.max_steps must be a multiple of save_steps (each save is a checkpoint)"
        )


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
    """
    return config.get("resources", {}).get(rule, {}).get(name, default)


# ---- paths -----------------------------------------------------------------------------------


def model_dir(name):
    return f"results/models/{name}"


def gold_file(effort, split):
    return f"results/gold/{effort}/{split}.jsonl"


def judge_gold(split):
    """Input function: the gold file of `split` at the effort the judge learns from."""
    return lambda wc: gold_file(config["judges"][wc.judge]["gold_effort"], split)


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
        "sampling": sampling,
        "backend": config["judging"]["backend"],
        "spec": model_spec(j["base"]),
    }


def gold_use(effort):
    gold = config["gold"]
    sampling = {
        "temperature": gold.get("temperature", 0.0),
        "verdict": gold.get("verdict", "parsed"),
    }
    sampling.update(gold["efforts"][effort])
    return {
        "mode": "reasoning",
        "sampling": sampling,
        "backend": gold["backend"],
        "spec": model_spec(gold["model"]),
    }


def scorer_use(run, scorer):
    if scorer == "gold":
        return gold_use("high")
    return judge_use(config["policy_runs"][run]["judge"], "evaluation")


def scorer_model(run, scorer):
    if scorer == "gold":
        return model_dir(config["gold"]["model"])
    return judge_model(config["policy_runs"][run]["judge"])


def final_outputs():
    return [
        "results/tables/judge_agreement.csv",
        "results/figures/judge_agreement.png",
        "results/tables/policy_scores.csv",
        *expand("results/figures/policy_scores_{run}.png", run=RUNS),
    ]


def served_model_input(name, backend):
    """A model served over HTTP needs no local folder; every other backend loads one."""
    return [] if backend["kind"] == "openai" else [model_dir(name)]
