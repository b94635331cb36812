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
    arena = config.get("arena_hard")
    if arena:
        for table, runs in arena["tables"].items():
            for run in runs:
                need("policy_runs", run, f"arena_hard.tables.{table}")
        for category, base in arena["baselines"].items():
            if "model" in base:
                need("models", base["model"], f"arena_hard.baselines.{category}.model")
        if arena["judge"]["backend"]["kind"] != "openai":
            if "model" not in arena["judge"]:
                raise ConfigError(
                    "arena_hard.judge.model must name a model for a local judge backend"
                )
            need("models", arena["judge"]["model"], "arena_hard.judge.model")
        counter = arena.get("length_tokenizer", "tiktoken:o200k_base")
        if not counter.startswith("tiktoken:"):
            need("models", counter, "arena_hard.length_tokenizer")
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


# The master-key probe of every judge (judgerl/probes.py): how many test instructions it is run
# on, and the pointwise score from which a content-free answer counts as passing.
MASTER_KEY = {"instructions": 4, "pass_score": 5, **config.get("master_key", {})}


# ---- the paper's policy figures --------------------------------------------------------------

FIGURE_TITLES = {
    "fig3": "Gold score of policies trained against non-reasoning judges",
    "fig4": "Training-judge score of policies trained against non-reasoning judges",
    "fig5": "Policies trained against reasoning judges (distilled + RL)",
    "fig7": "Policies trained against RL-only reasoning judges",
    "fig8": "Policies trained against rubric-augmented non-reasoning judges",
    "fig9": "Policies trained against reasoning judges distilled at each gold effort",
    "fig10": "Policies trained against pairwise judges: win rate against the baseline's answers",
}


def policy_figures():
    """The paper's policy figures that this config's runs fill, each with its runs and scorers; a
    run enters a figure by what its judge is, not by its name."""
    runs = {name: [] for name in FIGURE_TITLES}
    for run in RUNS:
        judge = config["judges"][run_judge(run)]
        if judge_format(run_judge(run)) == "pairwise":
            runs["fig10"].append(run)
        elif judge.get("rubrics"):
            runs["fig8"].append(run)
        elif judge["stages"] == ["grpo"]:
            runs["fig7"].append(run)
        elif judge["mode"] == "non_reasoning":
            runs["fig3"].append(run)
            runs["fig4"].append(run)
        elif judge["gold_effort"] != "high":
            runs["fig9"].append(run)
        else:
            runs["fig5"].append(run)
    if runs["fig9"]:  # lower efforts are read against high effort
        runs["fig9"] += runs["fig5"]
    scorers = {"fig3": ["gold"], "fig4": ["judge"]}
    return {
        name: {
            "runs": members,
            "scorers": scorers.get(name, ["gold", "judge"]),
            "title": FIGURE_TITLES[name],
        }
        for name, members in runs.items()
        if members
    }


POLICY_FIGURES = policy_figures()


# ---- Arena-Hard-V2 ---------------------------------------------------------------------------

ARENA = config.get("arena_hard")
ARENA_BASELINE = "results/arena_hard/baseline_answers.jsonl"


def arena_file(path):
    """A file of arena-hard-auto's: fetched from its dataset when `arena_hard.source` is set (the
    paper's 750 questions and its baselines' answers), else a path here (the default's questions).
    """
    if ARENA.get("source"):
        return f"results/arena_hard/source/{path}"
    return path


def arena_fetched():
    """The dataset paths fetch_arena_hard downloads: the questions and any baseline answer files."""
    paths = [ARENA["questions"]]
    paths += [b["answers"] for b in ARENA["baselines"].values() if "answers" in b]
    return list(dict.fromkeys(paths)) if ARENA.get("source") else []


def arena_contestants():
    """Who answers Arena-Hard: every table run's initial policy (step 0) and its last checkpoint."""
    if not ARENA:
        return []
    out = {}
    for runs in ARENA["tables"].values():
        for run in runs:
            policy = config["policy_runs"][run]["policy"]
            out.setdefault(
                policy, {"contestant": policy, "policy": policy, "run": None, "step": 0}
            )
            out[run] = {
                "contestant": run,
                "policy": policy,
                "run": run,
                "step": TRAINED_STEPS[-1],
            }
    return list(out.values())


CONTESTANTS = [c["contestant"] for c in arena_contestants()]


def arena_answers(contestant):
    return f"results/arena_hard/answers/{contestant}.jsonl"


def arena_answer_backend():
    """How contestants and model baselines answer: `arena_hard.backend`, else evaluation's."""
    return ARENA.get("backend", config["evaluation"]["backend"])


def arena_checkpoint(contestant):
    if contestant in config["policy_runs"]:
        return policy_checkpoint(contestant, TRAINED_STEPS[-1])
    return model_dir(contestant)


def arena_policy_spec(contestant):
    run = config["policy_runs"].get(contestant)
    return model_spec(run["policy"] if run else contestant)


def arena_length_tokenizer():
    name = ARENA.get("length_tokenizer", "tiktoken:o200k_base")
    if name.startswith("tiktoken:"):
        return {"kind": "tiktoken", "encoding": name.removeprefix("tiktoken:")}
    return {"kind": "model", "path": model_dir(name)}


def arena_length_tokenizer_input():
    spec = arena_length_tokenizer()
    return [spec["path"]] if spec["kind"] == "model" else []


def arena_baselines():
    """Per category: a model answering here (its folder, spec and sampling), or an answer file."""
    out = {}
    for category, base in ARENA["baselines"].items():
        if "answers" in base:
            out[category] = {
                "name": base["name"],
                "answers": arena_file(base["answers"]),
            }
        else:
            out[category] = {
                "name": base.get("name", base["model"]),
                "model_dir": model_dir(base["model"]),
                "spec": model_spec(base["model"]),
                "sampling": base.get("sampling", ARENA["answers"]),
            }
    return out


def arena_judge():
    judge = ARENA["judge"]
    backend = judge["backend"]
    name = judge.get("name") or judge.get("model") or backend.get("served_model")
    return {
        "name": name,
        "verdict": judge.get("verdict", "parsed"),
        "backend": backend,
        "spec": model_spec(judge["model"]) if "model" in judge else {},
        "sampling": {
            "temperature": judge.get("temperature", 0.0),
            "max_tokens": judge.get("max_tokens", 16000),
        },
    }


def arena_judge_input():
    judge = ARENA["judge"]
    return served_model_input(judge.get("model"), judge["backend"])


def arena_outputs():
    if not ARENA:
        return []
    return [
        "results/tables/arena_hard.csv",
        *expand(
            "results/tables/{table}.{ext}", table=ARENA["tables"], ext=["csv", "md"]
        ),
    ]


def final_outputs():
    return [
        *arena_outputs(),
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
        *expand("results/figures/{figure}.png", figure=POLICY_FIGURES),
        "results/tables/hacking_onset.csv",
        "results/figures/overoptimization.png",
        "results/tables/master_key.csv",
        "results/tables/gold_robustness.csv",
    ]


def served_model_input(name, backend):
    """A model served over HTTP needs no local folder; every other backend loads one."""
    return [] if backend["kind"] == "openai" else [model_dir(name)]
