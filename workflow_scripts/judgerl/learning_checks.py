"""Whether a finished run learned: each quantity a learning check reads from the run's files, with
the threshold it must pass.

The end-to-end tests assert `holds` of every check; benchmarks/learning_variance.py prints the
same quantities for runs that differ in seed and threads, so that a threshold is set from how far
the quantity moves between machines, not from one run.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl

from judgerl.files import read_jsonl


@dataclass(frozen=True)
class Check:
    test: str  # the test of tests/test_end_to_end.py that asserts it
    subject: str  # the judge, run or artifact
    quantity: str
    value: float
    threshold: str  # what `value` must satisfy, as text: "> 0.5", "<= 0.5", "== 0"
    holds: bool


def above(test, subject, quantity, value, limit) -> Check:
    return Check(test, subject, quantity, value, f"> {limit:g}", value > limit)


def at_least(test, subject, quantity, value, limit) -> Check:
    return Check(test, subject, quantity, value, f">= {limit:g}", value >= limit)


def at_most(test, subject, quantity, value, limit) -> Check:
    return Check(test, subject, quantity, value, f"<= {limit:g}", value <= limit)


# ---- what the checks read ----------------------------------------------------------------------


def moved_tensors(start: Path, trained: Path) -> tuple[int, int]:
    """(tensors that differ, tensors) between two saved bf16 models: a change below bf16 rounding
    leaves a tensor identical."""
    from safetensors.torch import load_file

    a = load_file(str(start / "model.safetensors"))
    b = load_file(str(trained / "model.safetensors"))
    # A trained model may also write its tied output layer (lm_head) out in full.
    if not a.keys() <= b.keys():
        raise ValueError(f"{trained} lacks tensors of {start}: {a.keys() - b.keys()}")
    return sum(not a[k].equal(b[k]) for k in a), len(a)


def trained_artifacts(workdir: Path, cfg: dict) -> Iterator[tuple[str, Path, Path]]:
    """(name, starting folder, trained folder) of every trained judge stage and policy checkpoint."""
    base = workdir / "results/models"
    for judge, spec in cfg["judges"].items():
        start = base / spec["base"]
        for stage in spec["stages"]:
            trained = workdir / f"results/judges/{judge}/{stage}"
            yield f"{judge}/{stage}", start, trained
            start = trained
    grpo = cfg["training"]["policy_grpo"]
    for name, spec in cfg["policy_runs"].items():
        for step in range(
            grpo["save_steps"], grpo["max_steps"] + 1, grpo["save_steps"]
        ):
            checkpoint = workdir / f"results/policies/{name}/checkpoint-{step}"
            yield f"{name}@{step}", base / spec["policy"], checkpoint


def learning_signal(trained: Path) -> bool:
    """False where GRPO saw no reward differ within any group (training.has_signal)."""
    from judgerl.training import has_signal

    log = trained / "train_log.csv"
    if not log.exists():  # a policy checkpoint: its run's log
        log = trained.parent / "train_log.csv"
    history = pl.read_csv(log)
    if "frac_reward_zero_std" not in history.columns:
        return True  # SFT: every step has a loss to follow
    return has_signal(history.to_dicts())


def agreement_rows(workdir: Path) -> dict[str, dict]:
    table = pl.read_csv(workdir / "results/tables/judge_agreement.csv")
    return {r["judge"]: r for r in table.iter_rows(named=True)}


def is_pairwise(cfg: dict, run: str) -> bool:
    judge = cfg["policy_runs"][run]["judge"]
    return cfg["judges"][judge].get("format") == "pairwise"


# ---- the checks, one function per test --------------------------------------------------------


def trained_weights_moved(workdir: Path, cfg: dict) -> Iterator[Check]:
    """Every matrix and norm takes part in training: with a learning signal, most tensors move
    beyond bf16 rounding; without one (every advantage 0), none may."""
    test = "test_every_trained_artifact_moved_from_its_start"
    for name, start, trained in trained_artifacts(workdir, cfg):
        changed, total = moved_tensors(start, trained)
        share = changed / total
        if learning_signal(trained):
            yield above(test, name, "share of tensors moved", share, 0.5)
        else:
            yield Check(
                test,
                name,
                "share of tensors moved (no signal)",
                share,
                "== 0",
                changed == 0,
            )


def sft_losses(workdir: Path, cfg: dict) -> Iterator[Check]:
    test = "test_judge_sft_loss_halves_at_a_learning_rate_above_zero"
    for judge, spec in cfg["judges"].items():
        if "sft" not in spec["stages"]:
            continue
        log = pl.read_csv(workdir / f"results/judges/{judge}/sft/train_log.csv")
        steps = log.filter(pl.col("loss").is_not_null())
        losses = steps["loss"].to_list()
        yield at_most(test, judge, "last / first loss", losses[-1] / losses[0], 0.5)
        rate = float(steps["learning_rate"].min())
        yield above(test, judge, "lowest learning rate", rate, 0.0)


def distilled_traces(workdir: Path, cfg: dict) -> Iterator[Check]:
    """The untuned base rarely closes its thinking within its budget; a judge distilled from the
    gold's traces writes the trace's form and closes it."""
    test = "test_distilled_reasoning_judges_learned_the_gold_trace"
    rows = agreement_rows(workdir)
    for judge, spec in cfg["judges"].items():
        if spec["mode"] != "reasoning" or "sft" not in spec["stages"]:
            continue
        base = next(
            j
            for j, s in cfg["judges"].items()
            if s["stages"] == []
            and s["mode"] == "reasoning"
            and s.get("format", "pointwise") == spec.get("format", "pointwise")
            and not s.get("rubrics")
        )
        drop = rows[base]["malformed_rate"] - rows[judge]["malformed_rate"]
        yield at_least(test, judge, f"malformed drop from {base}", drop, 0.5)
        verdicts = read_jsonl(workdir / f"results/judges/{judge}/eval/verdicts.jsonl")
        share = sum("Key words:" in (v["reasoning"] or "") for v in verdicts) / len(
            verdicts
        )
        yield at_least(test, judge, "share of traces in gold's form", share, 0.8)


def judge_grpo_validation(workdir: Path, cfg: dict) -> Iterator[Check]:
    """The validation reward of the chosen GRPO step against the starting judge's: recorded for
    every judge with a learning signal; at this scale the difference is within the noise of a
    handful of validation items (docs/testing.md), so it is reported, and the direction of learning
    is checked on the judge's own rollouts (judge_grpo_rollouts)."""
    test = "report only"
    for judge, spec in cfg["judges"].items():
        if "grpo" not in spec["stages"]:
            continue
        selection = json.loads(
            (workdir / f"results/judges/{judge}/grpo/selection.json").read_text()
        )
        if not selection["learning_signal"]:
            continue
        chosen = next(
            v for v in selection["validation"] if v["step"] == selection["chosen_step"]
        )
        gain = chosen["mean_reward"] - selection["start"]["mean_reward"]
        yield Check(test, judge, "validation reward gain", gain, "-", True)


def judge_grpo_rollouts(workdir: Path, cfg: dict) -> Iterator[Check]:
    """GRPO moves a judge towards the verdicts its reward (Eq. 1 / 3) ranked above their group's
    mean: from the starting judge to the chosen step, the log-likelihood of each rollout that GRPO
    trained on rises in proportion to its advantage."""
    test = "test_judge_grpo_moves_towards_its_rewarded_verdicts"
    base = workdir / "results/models"
    for judge, spec in cfg["judges"].items():
        if "grpo" not in spec["stages"]:
            continue
        folder = workdir / f"results/judges/{judge}/grpo"
        selection = json.loads((folder / "selection.json").read_text())
        if not selection["learning_signal"]:
            continue
        stages = spec["stages"]
        before = stages[stages.index("grpo") - 1] if stages.index("grpo") else None
        start = (
            workdir / f"results/judges/{judge}/{before}"
            if before
            else base / spec["base"]
        )
        rows = [
            r
            for r in read_jsonl(folder / "rollouts.jsonl")
            if r["step"] <= selection["chosen_step"]
        ]
        gain = advantage_weighted_gain(
            rows, start, folder, group=lambda r: (r["step"], r["item"]), chat=False
        )
        yield above(test, judge, "advantage-weighted log-lik gain", gain, 0.0)


def policy_rollouts(workdir: Path, cfg: dict) -> Iterator[Check]:
    """GRPO moves a policy towards the rollouts its judge rewarded above their group's mean: over
    each checkpoint interval, the log-likelihood of the interval's rollouts rises in proportion to
    their advantage (the policy-gradient estimate of the judge reward's rise, free of the noise of
    sampling new rollouts)."""
    test = "test_policies_move_towards_their_judges_rewarded_rollouts"
    grpo = cfg["training"]["policy_grpo"]
    saves = range(grpo["save_steps"], grpo["max_steps"] + 1, grpo["save_steps"])
    for name, spec in cfg["policy_runs"].items():
        folder = workdir / f"results/policies/{name}"
        calls = [
            c
            for c in read_jsonl(folder / "judge_calls.jsonl")
            if c.get("kind", "rollout") == "rollout"
        ]
        previous, start = 0, workdir / f"results/models/{spec['policy']}"
        for step in saves:
            end = folder / f"checkpoint-{step}"
            rows = [c for c in calls if previous < c["step"] <= step]
            if any(len({r["reward"] for r in g}) > 1 for g in grouped(rows).values()):
                gain = advantage_weighted_gain(rows, start, end)
                yield above(
                    test, f"{name}@{step}", "advantage-weighted log-lik gain", gain, 0.0
                )
            previous, start = step, end


def policy_reward_halves(workdir: Path, cfg: dict) -> Iterator[Check]:
    """The judge's mean reward in the second half of training against the first: reported; over
    four steps of four rollouts, sampling noise decides its sign as often as learning does."""
    for name in cfg["policy_runs"]:
        if is_pairwise(cfg, name):
            continue
        log = pl.read_csv(workdir / f"results/policies/{name}/train_log.csv")
        column = "rewards/judge_expected_score/mean"
        rewards = log.filter(pl.col(column).is_not_null())[column].to_list()
        half = len(rewards) // 2
        gain = (sum(rewards[-half:]) - sum(rewards[:half])) / half
        yield Check(
            "report only", name, "judge reward, 2nd half - 1st", gain, "-", True
        )


def pairwise_groups(workdir: Path, cfg: dict) -> Iterator[Check]:
    """A pairwise reward varies within a group unless the judge chose one position in every game
    of its step (flagged): some group must vary."""
    test = "test_pairwise_rewards_vary_within_groups"
    for name in cfg["policy_runs"]:
        if not is_pairwise(cfg, name):
            continue
        calls = read_jsonl(workdir / f"results/policies/{name}/judge_calls.jsonl")
        groups = grouped([c for c in calls if c["kind"] == "rollout"])
        varied = sum(len({r["reward"] for r in g}) > 1 for g in groups.values())
        yield above(test, name, "share of groups that vary", varied / len(groups), 0.0)


def sft_judge_hits(workdir: Path, cfg: dict) -> Iterator[Check]:
    """The non-reasoning judge (the config's first pointwise one trained by SFT without rubrics),
    asked about the items it was trained on, gives gold's score more often than its untuned base
    model does."""
    from judgerl.data import gold_examples
    from judgerl.engines import Sampling, make_engine
    from judgerl.judging import JudgeSettings, judge_examples
    from judgerl.prompts import POINTWISE

    judge, spec = next(
        (j, s)
        for j, s in cfg["judges"].items()
        if s["mode"] == "non_reasoning"
        and s["stages"] == ["sft"]
        and s.get("format", "pointwise") == "pointwise"
        and not s.get("rubrics")
    )
    train = gold_examples(workdir / "results/gold/high/judge_train.jsonl", "pointwise")
    settings = JudgeSettings(
        "non_reasoning",
        Sampling(max_tokens=8),
        verdict="argmax",
        wording=cfg["judge_inference"]["wording"],
    )
    hits = {}
    for name, folder in (
        ("base", workdir / f"results/models/{spec['base']}"),
        ("trained", workdir / f"results/judges/{judge}/sft"),
    ):
        engine = make_engine(
            folder, cfg["models"][spec["base"]], {"kind": "transformers"}
        )
        verdicts = judge_examples(engine, train, settings, POINTWISE)
        hits[name] = sum(v["score"] == e["label"] for v, e in zip(verdicts, train))
    yield above(
        "test_sft_judge_agrees_with_gold_on_its_training_items_more_than_its_base",
        judge,
        "gold hits gained on training items",
        (hits["trained"] - hits["base"]) / len(train),
        0.0,
    )


# ---- the direction of a GRPO update -----------------------------------------------------------


def grouped(rows: list[dict], group=lambda r: (r["step"], r["id"])) -> dict:
    groups: dict = {}
    for row in rows:
        groups.setdefault(group(row), []).append(row)
    return groups


def advantage_weighted_gain(
    rows: list[dict],
    start: Path,
    end: Path,
    group=lambda r: (r["step"], r["id"]),
    chat: bool = True,
) -> float:
    """sum_i A_i (log p_end(c_i) - log p_start(c_i)) / sum_i |A_i| over logged rollouts, A_i the
    reward minus its group's mean, as GRPO's advantage (its scaling by the group's spread does not
    change the sign). GRPO's update raises sum_i A_i log p(c_i) to first order, and that sum is
    the policy-gradient estimate of the expected reward on these prompts: a positive gain is the
    model moving towards what its reward ranked high. Log-likelihoods are teacher-forced in fp32
    (no sampling), with the prompt rendered as the trainer rendered it (`chat`: a user message
    through the chat template; else the prompt is the rendered text itself)."""
    weighted = []
    for members in grouped(rows, group).values():
        mean = sum(r["reward"] for r in members) / len(members)
        weighted += [(r, r["reward"] - mean) for r in members if r["reward"] != mean]
    if not weighted:
        raise ValueError(
            "no rollout differs from its group's mean: no direction to check"
        )
    before = completion_logps([r for r, _ in weighted], start, chat)
    after = completion_logps([r for r, _ in weighted], end, chat)
    return sum(a * (q - p) for (_, a), p, q in zip(weighted, before, after)) / sum(
        abs(a) for _, a in weighted
    )


@lru_cache(maxsize=2)
def _model(model_dir: Path):
    """A model in fp32 and its tokenizer; the last two are kept, so that a checkpoint that ends
    one interval and starts the next is loaded once."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    return model, tokenizer


def completion_logps(rows: list[dict], model_dir: Path, chat: bool) -> list[float]:
    """log p(completion | prompt) of each row under the model at `model_dir`, in fp32."""
    import torch

    model, tokenizer = _model(Path(model_dir))
    out = []
    for row in rows:
        if chat:  # as TRL renders a conversational prompt
            prompt = tokenizer.apply_chat_template(
                [{"role": "user", "content": row["instruction"]}],
                add_generation_prompt=True,
                tokenize=True,
                return_dict=True,
            )["input_ids"]
        else:  # as TRL tokenizes a text prompt
            prompt = tokenizer(text=row["prompt"])["input_ids"]
        completion = tokenizer(row["completion"], add_special_tokens=False)["input_ids"]
        ids = torch.tensor([prompt + completion])
        with torch.no_grad():
            logits = model(ids).logits[0, len(prompt) - 1 : -1].float()
        logps = torch.log_softmax(logits, -1)
        out.append(float(logps.gather(1, ids[0, len(prompt) :, None]).sum()))
    return out


CHECKS = (
    trained_weights_moved,
    sft_losses,
    distilled_traces,
    judge_grpo_validation,
    judge_grpo_rollouts,
    policy_rollouts,
    policy_reward_halves,
    pairwise_groups,
    sft_judge_hits,
)


def all_checks(workdir: Path, cfg: dict | None = None) -> list[Check]:
    """Every learning check of a finished run (`cfg`: its config, read from the run's folder)."""
    import yaml

    if cfg is None:
        cfg = yaml.safe_load((workdir / "config.yaml").read_text())
    return [check for checks in CHECKS for check in checks(workdir, cfg)]
