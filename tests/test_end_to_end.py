"""One end-to-end run of the embedded default, then every artifact checked against what it claims.

This is the slow test (minutes): it runs the real workflow, with real models and real trainers, in
a copy of the repository.
"""

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from judgerl import learning_checks
from judgerl.files import read_jsonl
from judgerl.hacking import hacking_onset
from judgerl.known_gold import KnownGold
from judgerl.learning_checks import is_pairwise
from judgerl.stats import interval_alpha
from judgerl.verdicts import expected_score

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(default_run):
    return default_run  # conftest.py: the default workflow, run once per session


def test_nothing_left_to_do(dag, run):
    workdir, _ = run
    assert dag.planned(workdir) == set()


def test_splits_are_disjoint_and_sized(run):
    workdir, cfg = run
    seen = set()
    for split, size in cfg["data"]["splits"].items():
        ids = {
            r["id"] for r in read_jsonl(workdir / f"results/data/splits/{split}.jsonl")
        }
        assert len(ids) == size and not ids & seen
        seen |= ids


def test_gold_annotations(run):
    workdir, cfg = run
    for split in ("judge_train", "judge_val", "judge_test"):
        candidates = read_jsonl(workdir / f"results/data/candidates/{split}.jsonl")
        gold = read_jsonl(workdir / f"results/gold/high/{split}.jsonl")
        assert len(gold) == 2 * len(candidates) == 2 * cfg["data"]["splits"][split]
        assert not (workdir / f"results/gold/high/{split}.jsonl.progress").exists()
        for row in gold:
            assert row["score"] in range(10) and row["valid"]
            assert (
                row["reasoning"] is not None
            )  # the trace that distils the reasoning judge
            assert row["score"] == max(
                range(10), key=lambda x: row["probs"][x]
            )  # verdict: argmax
            assert row["expected_score"] == pytest.approx(
                expected_score(row["probs"]), abs=1e-3
            )
        # Pairwise labels: one per instruction, shown in a recorded order, half of them swapped.
        pairs = read_jsonl(workdir / f"results/gold/high/pairwise/{split}.jsonl")
        assert len(pairs) == len(candidates)
        assert sum(p["order"] == [1, 0] for p in pairs) == len(pairs) // 2
        by_id = {c["id"]: c for c in candidates}
        for pair in pairs:
            shown = [by_id[pair["id"]]["responses"][k] for k in pair["order"]]
            assert [pair["response_1"], pair["response_2"]] == shown
            assert (
                pair["choice"] in (1, 2)
                and pair["winner"] == pair["order"][pair["choice"] - 1]
            )
    # Lower efforts: fewer thinking tokens, and only the verdicts that match high effort's.
    for effort in ("medium", "low"):
        for split in ("judge_train", "judge_val"):
            high = {
                r["key"]: r
                for r in read_jsonl(workdir / f"results/gold/high/{split}.jsonl")
            }
            kept = read_jsonl(workdir / f"results/gold/{effort}/{split}.jsonl")
            assert all(r["score"] == high[r["key"]]["score"] for r in kept)
            assert all(
                r["n_tokens"] <= cfg["gold"]["efforts"][effort]["max_tokens"]
                for r in kept
            )
        assert not (workdir / f"results/gold/{effort}/judge_test.jsonl").exists()
    for split in (
        "judge_train",
        "judge_val",
        "judge_test",
        "policy_train",
        "policy_test",
    ):
        rubrics = read_jsonl(workdir / f"results/gold/rubrics/{split}.jsonl")
        assert len(rubrics) == cfg["data"]["splits"][split] and all(
            isinstance(r["rubric"], str) for r in rubrics
        )


def test_judge_agreement_recomputed_from_files(run):
    workdir, cfg = run
    table = pl.read_csv(workdir / "results/tables/judge_agreement.csv")
    assert sorted(table["judge"].to_list()) == sorted(cfg["judges"])
    for judge, spec in cfg["judges"].items():
        pairwise = spec.get("format") == "pairwise"
        verdicts = read_jsonl(workdir / f"results/judges/{judge}/eval/verdicts.jsonl")
        gold_path = (
            "results/gold/high/pairwise/judge_test.jsonl"
            if pairwise
            else "results/gold/high/judge_test.jsonl"
        )
        gold = {
            r["key"]: r["choice" if pairwise else "score"]
            for r in read_jsonl(workdir / gold_path)
        }
        assert len(verdicts) == len(gold)
        row = table.filter(pl.col("judge") == judge).row(0, named=True)
        if pairwise:
            accuracy = sum(v["choice"] == gold[v["key"]] for v in verdicts) / len(
                verdicts
            )
            assert row["accuracy_x100"] == pytest.approx(100 * accuracy)
        else:
            alpha = interval_alpha(
                [v["score"] for v in verdicts], [gold[v["key"]] for v in verdicts]
            )
            if math.isnan(alpha):
                assert row["alpha_x100"] is None or math.isnan(row["alpha_x100"])
            else:
                assert row["alpha_x100"] == pytest.approx(100 * alpha)
        observed = [v["malformed"] for v in verdicts if v["malformed"] is not None]
        if observed:
            assert row["malformed_rate"] == pytest.approx(sum(observed) / len(observed))
        else:  # a forced non-reasoning verdict writes nothing of its own
            assert spec["mode"] == "non_reasoning" and math.isnan(row["malformed_rate"])
        assert row["training"] == ("+".join(spec["stages"]) or "untuned")
        assert (
            row["rubrics"] == bool(spec.get("rubrics"))
            and row["gold_effort"] == spec["gold_effort"]
        )
    png = workdir / "results/figures/fig2.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_paper_judge_tables_are_views_of_the_agreement_table(run):
    workdir, _ = run
    agreement = {
        r["judge"]: r
        for r in pl.read_csv(workdir / "results/tables/judge_agreement.csv").iter_rows(
            named=True
        )
    }

    def same(a, b):
        return (
            (a is None or math.isnan(a))
            if (b is None or math.isnan(b))
            else a == pytest.approx(b)
        )

    table2 = pl.read_csv(workdir / "results/tables/table2.csv").row(0, named=True)
    assert table2["base"] == "smollm2-135m"
    assert same(table2["distill+RL alpha_x100"], agreement["r-135m"]["alpha_x100"])
    assert same(table2["RL-only alpha_x100"], agreement["rl-r-135m"]["alpha_x100"])
    table3 = {
        r["training"]: r
        for r in pl.read_csv(workdir / "results/tables/table3.csv").iter_rows(
            named=True
        )
    }
    assert same(
        table3["untuned"]["with rubrics alpha_x100"],
        agreement["base-nr-rubric-135m"]["alpha_x100"],
    )
    assert same(
        table3["fine-tuned"]["without rubrics alpha_x100"],
        agreement["nr-135m"]["alpha_x100"],
    )
    table4 = pl.read_csv(workdir / "results/tables/table4.csv")
    assert table4["gold_effort"].to_list() == ["low", "medium", "high"]
    assert table4["judge"].to_list() == ["r-low-135m", "r-medium-135m", "r-135m"]
    table5 = {
        r["mode"]: r
        for r in pl.read_csv(workdir / "results/tables/table5.csv").iter_rows(
            named=True
        )
    }
    assert same(
        table5["reasoning"]["fine-tuned accuracy_x100"],
        agreement["pw-r-135m"]["accuracy_x100"],
    )
    assert same(
        table5["non_reasoning"]["untuned accuracy_x100"],
        agreement["base-pw-nr-135m"]["accuracy_x100"],
    )
    for name in ("table2", "table3", "table4", "table5"):
        assert (workdir / f"results/tables/{name}.md").read_text().startswith("|")


def test_judge_grpo_keeps_the_best_validated_step(run):
    workdir, cfg = run
    grpo_judges = [j for j, spec in cfg["judges"].items() if "grpo" in spec["stages"]]
    assert grpo_judges
    for judge in grpo_judges:
        selection = json.loads(
            (workdir / f"results/judges/{judge}/grpo/selection.json").read_text()
        )
        grpo = cfg["training"]["judge_grpo"]
        steps = [v["step"] for v in selection["validation"]]
        assert steps == list(
            range(grpo["save_steps"], grpo["max_steps"] + 1, grpo["save_steps"])
        )
        assert selection["start"]["step"] == 0  # the starting judge, validated alike
        best = max(
            selection["validation"], key=lambda v: (v["mean_reward"], -v["step"])
        )
        assert selection["chosen_step"] == best["step"]


def test_judges_and_policies_are_loadable_models(run):
    workdir, cfg = run
    from transformers import AutoConfig

    for judge, spec in cfg["judges"].items():
        for stage in spec["stages"]:
            folder = workdir / f"results/judges/{judge}/{stage}"
            assert AutoConfig.from_pretrained(folder).model_type == "llama"
            assert len(pl.read_csv(folder / "train_log.csv")) > 0
    steps = range(
        cfg["training"]["policy_grpo"]["save_steps"],
        cfg["training"]["policy_grpo"]["max_steps"] + 1,
        cfg["training"]["policy_grpo"]["save_steps"],
    )
    for run_name in cfg["policy_runs"]:
        for step in steps:
            assert (
                workdir
                / f"results/policies/{run_name}/checkpoint-{step}/model.safetensors"
            ).exists()
        assert not (workdir / f"results/policies/{run_name}/.work").exists()


def test_policy_rewards_recomputed_from_logged_judge_outputs(run):
    workdir, cfg = run
    grpo = cfg["training"]["policy_grpo"]
    batch, group = grpo["per_device_train_batch_size"], grpo["num_generations"]
    for run_name in cfg["policy_runs"]:
        calls = read_jsonl(workdir / f"results/policies/{run_name}/judge_calls.jsonl")
        if is_pairwise(cfg, run_name):
            pairs = [c for c in calls if c["kind"] == "pair"]
            rollouts = [c for c in calls if c["kind"] == "rollout"]
            # Eq. 4: every ordered pair within each group: G (G - 1) calls per group, per step.
            assert len(pairs) == grpo["max_steps"] * (batch // group) * group * (
                group - 1
            )
            for r in rollouts:
                games = [
                    {1: 1.0, 2: 0.0}.get(p["choice"], 0.5)
                    for p in pairs
                    if p["step"] == r["step"] and p["first"] == r["index"]
                ]
                games += [
                    {2: 1.0, 1: 0.0}.get(p["choice"], 0.5)
                    for p in pairs
                    if p["step"] == r["step"] and p["second"] == r["index"]
                ]
                assert len(games) == 2 * (group - 1)
                assert r["reward"] == pytest.approx(sum(games) / len(games))
            calls = rollouts
        else:
            for call in calls:
                assert call["reward"] == pytest.approx(
                    sum(x * p for x, p in enumerate(call["probs"])), abs=1e-3
                )
        assert len(calls) == grpo["max_steps"] * batch
        assert {c["step"] for c in calls} == set(range(1, grpo["max_steps"] + 1))
        log = pl.read_csv(workdir / f"results/policies/{run_name}/train_log.csv")
        logged = log.filter(pl.col("reward").is_not_null()).sort("step")
        for step, mean in zip(logged["step"], logged["reward"]):
            batch_rewards = [c["reward"] for c in calls if c["step"] == step]
            assert mean == pytest.approx(
                sum(batch_rewards) / len(batch_rewards), abs=1e-3
            )
        # The monitors: KL from the initial policy, the malformed rate, the score distribution.
        assert {"rewards/kl_to_initial/mean", "judge/malformed_rate"} <= set(
            log.columns
        )
        assert log["rewards/kl_to_initial/mean"].drop_nulls().len() == grpo["max_steps"]
        # The known gold on every rollout of every step (policy_monitoring.gold_every 1): its
        # mean is the mean of the gold's own scores of the logged completions.
        gold = KnownGold(**{"length": tuple(cfg["gold"]["backend"]["length"])})
        scored = log.filter(pl.col("rewards/gold_score/mean").is_not_null()).sort(
            "step"
        )
        assert scored["step"].to_list() == list(range(1, grpo["max_steps"] + 1))
        assert "rewards/gold_score/std" in log.columns
        if not is_pairwise(
            cfg, run_name
        ):  # Eq. 4's log has a row per game, not per rollout
            for step, mean in zip(scored["step"], scored["rewards/gold_score/mean"]):
                own = [
                    gold.check(c["instruction"], c["completion"]).score
                    for c in calls
                    if c["step"] == step
                ]
                assert mean == pytest.approx(sum(own) / len(own), abs=1e-3)
        if not is_pairwise(cfg, run_name):
            shares = logged.select(
                [f"judge/score_{x}" for x in range(10)]
            ).sum_horizontal()
            assert all(v == pytest.approx(1.0, abs=1e-6) or v == 0.0 for v in shares)


def score_file(cfg, run_name, step, scorer):
    if (
        step == 0 and scorer == "gold"
    ):  # the initial policy's, shared by the runs that start from it
        fmt = "pairwise" if is_pairwise(cfg, run_name) else "pointwise"
        return f"results/initial_policies/{cfg['policy_runs'][run_name]['policy']}/scores.gold.{fmt}.jsonl"
    return f"results/policies/{run_name}/scores/step-{step}.{scorer}.jsonl"


def test_every_trainer_mirrors_its_train_log_to_tensorboard(run):
    """config tracking.report_to [tensorboard]: every trainer job (judge SFT, judge GRPO, policy
    GRPO) has its own TensorBoard folder outside results/, and TensorBoard's reader finds every
    scalar of its train_log.csv at its step, the gold on the rollouts included for policies."""
    from tracker_records import tensorboard_runs, tensorboard_scalars

    workdir, cfg = run
    logs = {
        ("train_policy", name): f"results/policies/{name}/train_log.csv"
        for name in cfg["policy_runs"]
    }
    for judge, spec in cfg["judges"].items():
        if "sft" in spec.get("stages", []):
            logs["train_judge_sft", judge] = f"results/judges/{judge}/sft/train_log.csv"
        if "grpo" in spec.get("stages", []):
            logs["train_judge_grpo", judge] = (
                f"results/judges/{judge}/grpo/train_log.csv"
            )
    assert {rule for rule, _ in logs} == {
        "train_judge_sft",
        "train_judge_grpo",
        "train_policy",
    }
    for (rule, job), path in logs.items():
        log = pl.read_csv(workdir / path)
        run_dir = tensorboard_runs(workdir / "tracking" / rule / job / "tensorboard")[0]
        events = tensorboard_scalars(run_dir)
        columns = [
            c
            for c, dtype in log.schema.items()
            if dtype.is_numeric() and c not in ("step", "trainer_step")
        ]
        assert columns and set(columns) <= set(events), (rule, job)
        if rule == "train_policy":
            assert "rewards/gold_score/mean" in events
        for column in columns:
            logged = {}
            for step, value in zip(log["trainer_step"], log[column]):
                if value is not None and not math.isnan(value):
                    logged.setdefault(step, []).append(value)
            shown = {}
            for step, value in events[column]:
                shown.setdefault(step, []).append(value)
            assert set(shown) == set(logged), (rule, job, column)
            for step, values in logged.items():
                assert shown[step] == pytest.approx(values, rel=1e-5, nan_ok=True)


def test_policy_scores_table_recomputed_from_score_files(run):
    workdir, cfg = run
    table = pl.read_csv(workdir / "results/tables/policy_scores.csv")
    grpo = cfg["training"]["policy_grpo"]
    steps = [0, *range(grpo["save_steps"], grpo["max_steps"] + 1, grpo["save_steps"])]
    metrics = {name: 1 if is_pairwise(cfg, name) else 2 for name in cfg["policy_runs"]}
    assert len(table) == sum(metrics.values()) * len(steps) * 2
    for row in table.iter_rows(named=True):
        assert (
            row["metric"] == "win_rate"
            if is_pairwise(cfg, row["run"])
            else row["metric"] != "win_rate"
        )
        verdicts = read_jsonl(
            workdir / score_file(cfg, row["run"], row["step"], row["scorer"])
        )
        values = [v[row["metric"]] for v in verdicts if v[row["metric"]] is not None]
        assert len(verdicts) == cfg["data"]["splits"]["policy_test"]
        assert row["n"] == len(values)
        assert row["n_invalid"] == sum(not v["valid"] for v in verdicts)
        if not values:  # every verdict invalid: no score to average
            assert row["mean"] is None or math.isnan(row["mean"])
            continue
        assert row["mean"] == pytest.approx(sum(values) / len(values))
        assert row["ci_low"] <= row["mean"] + 1e-9 <= row["ci_high"] + 2e-9
    # A pairwise run at step 0 plays its own initial answers: exactly half the games, by symmetry.
    for name in (n for n in cfg["policy_runs"] if is_pairwise(cfg, n)):
        start = table.filter(
            (pl.col("run") == name)
            & (pl.col("step") == 0)
            & (pl.col("scorer") == "judge")
        )
        assert start["mean"][0] == pytest.approx(0.5)
    for figure in ("fig3", "fig4", "fig5", "fig8", "fig10"):
        assert (workdir / f"results/figures/{figure}.png").read_bytes()[:8] == PNG


def test_adversarial_rates_recomputed_from_the_answers(run):
    from judgerl.adversarial import PATTERNS, detect

    workdir, cfg = run
    table = pl.read_csv(workdir / "results/tables/adversarial_rates.csv")
    grpo = cfg["training"]["policy_grpo"]
    steps = [0, *range(grpo["save_steps"], grpo["max_steps"] + 1, grpo["save_steps"])]
    assert len(table) == len(cfg["policy_runs"]) * len(steps) * len(PATTERNS)
    flagged = read_jsonl(workdir / "results/adversarial/flagged.jsonl")
    for row in table.iter_rows(named=True):
        path = (
            f"results/initial_policies/{cfg['policy_runs'][row['run']]['policy']}/answers.jsonl"
            if row["step"] == 0
            else f"results/policies/{row['run']}/answers/step-{row['step']}.jsonl"
        )
        answers = read_jsonl(workdir / path)
        hits = [a for a in answers if detect(a["answer"])[row["pattern"]]]
        assert row["n"] == len(answers) and row["n_flagged"] == len(hits)
        kept = {
            f["id"]
            for f in flagged
            if f["run"] == row["run"]
            and f["step"] == row["step"]
            and row["pattern"] in f["patterns"]
        }
        assert kept == {a["id"] for a in hits}
    assert (workdir / "results/figures/adversarial_rates.png").read_bytes()[
        :8
    ] == b"\x89PNG\r\n\x1a\n"


def test_arena_hard_recomputed_from_the_judgments(run):
    from judgerl.arena import answers as arena_answers
    from judgerl.arena import games, scoring

    workdir, cfg = run
    ah = cfg["arena_hard"]
    questions = read_jsonl(workdir / ah["questions"])
    baseline = {
        a["uid"]: a
        for a in read_jsonl(workdir / "results/arena_hard/baseline_answers.jsonl")
    }
    assert set(baseline) == {q["uid"] for q in questions}
    assert {a["model"] for a in baseline.values()} == {"smollm2-135m-t1"}
    contestants = {"smollm2-135m": ("smollm2-135m", None, 0)}
    for runs in ah["tables"].values():
        for name in runs:
            contestants[name] = (
                "smollm2-135m",
                name,
                cfg["training"]["policy_grpo"]["max_steps"],
            )
    judgments, answers = {}, {}
    for name in contestants:
        answers[name] = {
            a["uid"]: a
            for a in read_jsonl(workdir / f"results/arena_hard/answers/{name}.jsonl")
        }
        judgments[name] = read_jsonl(
            workdir / f"results/arena_hard/judgments/{name}.jsonl"
        )
        assert set(answers[name]) == {q["uid"] for q in questions}
        for a in answers[
            name
        ].values():  # arena-hard's answer layout, with the style counts of the answer
            assert a["model"] == name and a["messages"][-1]["role"] == "assistant"
            text = arena_answers.answer_text(a)
            assert {k: v for k, v in a["metadata"].items() if k != "token_len"} == {
                k: v
                for k, v in arena_answers.answer_metadata(text, 0).items()
                if k != "token_len"
            }
        for j in judgments[
            name
        ]:  # game 1: the baseline is A; game 2: the contestant is
            assert len(j["games"]) == 2 and all(
                g["score"] in games.LABELS for g in j["games"]
            )
            assert j["model"] == name and j["baseline"] == "smollm2-135m-t1"
    info = [
        {"contestant": n, "policy": p, "run": r, "step": s}
        for n, (p, r, s) in contestants.items()
    ]
    expected = scoring.score_rows(
        info,
        judgments,
        answers,
        baseline,
        weight=ah["weight"],
        rounds=ah["bootstrap_rounds"],
        seed=cfg["seed"],
    )
    table = pl.read_csv(workdir / "results/tables/arena_hard.csv")
    assert len(table) == len(contestants) * 2 * 2  # categories x style control
    for want in expected:
        got = table.filter(
            (pl.col("contestant") == want["contestant"])
            & (pl.col("category") == want["category"])
            & (pl.col("style_control") == want["style_control"])
        )
        assert (
            got["score"][0] == pytest.approx(want["score"])
            and got["battle_rows"][0] == want["battle_rows"]
        )
        # Without style control the score is the bootstrap mean of the contestant's own battle rows.
        if not want["style_control"]:
            rows = [
                x
                for j in judgments[want["contestant"]]
                if j["category"] == want["category"]
                for x in games.battle_rows(j, ah["weight"])
            ]
            assert len(rows) == want["battle_rows"]
            assert (
                want["ci_low"] - 1e-9
                <= 100 * sum(rows) / len(rows)
                <= want["ci_high"] + 1e-9
            )
    for name, runs in ah["tables"].items():
        paper = pl.read_csv(workdir / f"results/tables/{name}.csv")
        assert paper["model"].to_list() == [
            m for r in runs for m in ("smollm2-135m", r)
        ]
        assert "Hard prompts (style control)" in paper.columns
        assert (
            "90% bootstrap interval"
            in (workdir / f"results/tables/{name}.md").read_text()
        )


def test_master_key_table_recomputed_from_the_probes(run):
    from judgerl.probes import MASTER_KEYS

    workdir, cfg = run
    probe = cfg["master_key"]
    long = pl.read_csv(workdir / "results/tables/master_key_long.csv")
    assert set(long["judge"]) == set(cfg["judges"])
    for name, judge in cfg["judges"].items():
        records = read_jsonl(workdir / f"results/judges/{name}/eval/master_key.jsonl")
        pairwise = judge.get("format") == "pairwise"
        assert len(records) == probe["instructions"] * len(MASTER_KEYS) * (
            2 if pairwise else 1
        )
        for r in records:
            if (
                pairwise
            ):  # a false positive prefers the probe, whichever side it is shown on
                assert r["false_positive"] == (
                    r["verdict"] == (1 if r["order"] == "key_first" else 2)
                )
            else:
                assert r["false_positive"] == (r["verdict"] >= probe["pass_score"])
        for key in MASTER_KEYS:
            mine = [r for r in records if r["key"] == key]
            row = long.filter((pl.col("judge") == name) & (pl.col("key") == key))
            assert row["probes"][0] == len(mine)
            assert row["false_positive_rate"][0] == pytest.approx(
                sum(r["false_positive"] for r in mine) / len(mine)
            )
    wide = pl.read_csv(workdir / "results/tables/master_key.csv")
    assert {"content_free", "adversarial", *MASTER_KEYS} <= set(wide.columns)


def test_hacking_onset_recomputed_from_the_scores(run):
    workdir, cfg = run
    scores = pl.read_csv(workdir / "results/tables/policy_scores.csv").filter(
        pl.col("metric").is_in(["score", "win_rate"])
    )
    onset = pl.read_csv(workdir / "results/tables/hacking_onset.csv")
    assert set(onset["run"]) == set(cfg["policy_runs"])
    for row in onset.iter_rows(named=True):
        series = {
            s: dict(
                zip(
                    *scores.filter(
                        (pl.col("run") == row["run"]) & (pl.col("scorer") == s)
                    )
                    .sort("step")
                    .select("step", "mean")
                    .get_columns()
                )
            )
            for s in ("gold", "judge")
        }
        expected = hacking_onset(series["gold"], series["judge"])
        for key, value in expected.items():
            assert row[key] == (
                pytest.approx(value) if isinstance(value, float) else value
            ), key
        last = max(series["gold"])
        log = pl.read_csv(workdir / f"results/policies/{row['run']}/train_log.csv")
        kl = log.filter(pl.col("step") == last)["rewards/kl_to_initial/mean"][0]
        assert row["sqrt_kl_final"] == pytest.approx(math.sqrt(max(kl, 0.0)))
        # The rollouts' view: the same rule over the gold's and the judge's scores of the
        # training rollouts, step by step.
        judge = next(
            c
            for c in (
                "rewards/judge_expected_score/mean",
                "rewards/judge_win_rate/mean",
            )
            if c in log.columns
        )
        steps = (
            log.drop_nulls("rewards/gold_score/mean")
            .group_by("step")
            .mean()
            .sort("step")
        )
        on_rollouts = hacking_onset(
            dict(zip(steps["step"], steps["rewards/gold_score/mean"])),
            dict(zip(steps["step"], steps[judge])),
        )
        assert row["rollout_onset_step"] == on_rollouts["onset_step"]
        assert row["rollout_gold_peak_step"] == on_rollouts["gold_peak_step"]
    assert (workdir / "results/figures/overoptimization.png").read_bytes()[:8] == PNG


def test_gold_robustness_rerates_flagged_and_template_answers(run):
    from judgerl.probes import MASTER_KEYS

    workdir, cfg = run
    verdicts = read_jsonl(workdir / "results/adversarial/gold_robustness.jsonl")
    flagged = read_jsonl(workdir / "results/adversarial/flagged.jsonl")
    templates = [k for k, (kind, _) in MASTER_KEYS.items() if kind == "adversarial"]
    n_items = len(flagged) + cfg["master_key"]["instructions"] * len(templates)
    assert len(verdicts) == n_items * 3  # three wordings of the gold prompt
    assert {v["wording"] for v in verdicts} == {"study", "plain", "warned"}
    table = pl.read_csv(workdir / "results/tables/gold_robustness.csv")
    for row in table.iter_rows(named=True):
        mine = [
            v
            for v in verdicts
            if v["source"] == row["source"] and v["wording"] == row["wording"]
        ]
        assert row["n"] == len(mine)
        assert row["pass_rate"] == pytest.approx(
            sum(v["passes"] for v in mine) / len(mine)
        )


def test_report_has_every_table_and_figure_captioned(run, tmp_path):
    workdir, _ = run
    report = tmp_path / "report.html"
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--report", str(report)],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    html = report.read_text()
    for caption in (
        "Krippendorff's alpha (x100) of untuned",
        "Table 2: reasoning judges",
        "Master-key probe",
        "Arena-Hard-V2 scores of every contestant",
        "fig10: Policies trained against pairwise judges",
        "Over-optimization (Gao et al., 2022)",
        "robustness check",
    ):
        assert caption in html, caption
    for artifact in (
        "fig2.png",
        "fig5.png",
        "overoptimization.png",
        "table1.csv",
        "table6.csv",
        "master_key.csv",
    ):
        assert artifact in html, artifact


def test_killed_policy_training_resumes_without_repeating_steps(run):
    """Kill a policy's training the moment the trainer has written the state of its first
    checkpoint (the last thing it writes of one); the rerun continues from it, and has the
    evaluation export of that checkpoint, made before the trainer's own."""
    workdir, cfg = run
    name = "smollm2-vs-nr-135m"
    grpo = cfg["training"]["policy_grpo"]
    work = workdir / f"results/policies/{name}/.work"
    first = work / f"trainer/checkpoint-{grpo['save_steps']}/trainer_state.json"
    target = f"results/policies/{name}/train_log.csv"
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", target]
    proc = subprocess.Popen(
        [*cmd, "--forcerun", "train_policy"],
        cwd=workdir,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 900
        while not first.exists() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        assert first.exists(), "training never reached its first checkpoint"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=120)
    assert not (workdir / target).exists()  # nothing half-done looks finished
    assert (
        work / f"exports/checkpoint-{grpo['save_steps']}/model.safetensors"
    ).exists()

    # A hard kill leaves Snakemake's lock behind: unlock first (README, Resuming).
    locked = subprocess.run(
        cmd, cwd=workdir, capture_output=True, text=True, timeout=300
    )
    assert locked.returncode != 0 and "--unlock" in locked.stdout + locked.stderr
    subprocess.run(
        [*cmd, "--unlock"], cwd=workdir, check=True, capture_output=True, timeout=300
    )
    done = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    log = (workdir / f"logs/train_policy/{name}.log").read_text()
    assert (
        f"resuming from results/policies/{name}/.work/trainer/checkpoint-{grpo['save_steps']}"
        in log
    )
    calls = read_jsonl(workdir / f"results/policies/{name}/judge_calls.jsonl")
    per_step = {
        step: sum(c["step"] == step for c in calls)
        for step in range(1, grpo["max_steps"] + 1)
    }
    assert set(per_step.values()) == {grpo["per_device_train_batch_size"]}, (
        per_step
    )  # no step twice
    assert len(calls) == grpo["max_steps"] * grpo["per_device_train_batch_size"]
    # The tracked run continued too: TensorBoard shows every step once (the killed attempt's
    # steps after its resume point purged).
    from tracker_records import tensorboard_runs, tensorboard_scalars

    # The forced rerun is a new tracked run beside the default run's; the resumed attempt
    # continued it.
    runs = tensorboard_runs(workdir / f"tracking/train_policy/{name}/tensorboard")
    assert len(runs) == 2
    events = tensorboard_scalars(runs[-1])
    assert [step for step, _ in events["reward"]] == list(
        range(1, grpo["max_steps"] + 1)
    )


def test_rerun_of_a_killed_annotation_continues(run):
    """Resume: a gold file reduced to progress is completed without redoing the kept rows."""
    workdir, _ = run
    out = workdir / "results/gold/high/judge_val.jsonl"
    rows = read_jsonl(out)
    progress = out.with_name(out.name + ".progress")
    kept = len(rows) // 2
    progress.write_text("".join(json.dumps(r) + "\n" for r in rows[:kept]))
    out.unlink()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--cores",
            "2",
            str(out.relative_to(workdir)),
        ],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = (workdir / "logs/annotate_gold/high/judge_val.log").read_text()
    assert f"{len(rows)} pointwise items, {kept} already annotated" in log
    assert [r["key"] for r in read_jsonl(out)] == [r["key"] for r in rows]


def test_judge_sft_sharded_by_fsdp_matches_one_process(run, tmp_path):
    """The paper's launch (`configs/accelerate/fsdp.yaml`, torch's FSDP2) on two CPU processes:
    each holds half of the parameters and of the Adam state, and the model gathered from both
    equals the one that a single process trains from the same seed and data. In fp32, where the
    two differ only in the order of sums; under bf16 mixed precision FSDP also reduces the
    gradients in bf16, and the two runs part by about a quarter of their movement."""
    import copy
    import re

    import torch
    from transformers import AutoModelForCausalLM

    workdir, _ = run
    saved = json.loads((workdir / "logs/train_judge_sft/nr-135m.job.json").read_text())

    def train(name, processes):
        job = copy.deepcopy(saved)
        params = job["params"]
        # Two steps of four examples, as four per process or two on each of two.
        params["training"]["args"].update(
            max_steps=2, per_device_train_batch_size=4 // processes, bf16=False
        )
        params["training"]["base_spec"]["dtype"] = "float32"
        params["launch"] = {}
        if processes > 1:
            params["launch"] = {
                "processes": processes,
                "accelerate_config": str(ROOT / "configs/accelerate/fsdp.yaml"),
                "mixed_precision": "no",
            }
        job["output"] = {"items": [str(tmp_path / name)], "named": {}}
        job["log"] = {"items": [str(tmp_path / f"{name}.log")], "named": {}}
        job["scriptdir"] = str(ROOT / "workflow_scripts")
        (tmp_path / f"{name}.job.json").write_text(json.dumps(job))
        proc = subprocess.run(
            [
                sys.executable,
                ROOT / "workflow_scripts/train_judge_sft.py",
                tmp_path / f"{name}.job.json",
            ],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert not (tmp_path / f"{name}.work").exists()
        held = re.findall(
            r"process (\d) of (\d) holds \d+ of \d+ parameters \(([\d.]+)%.*?"
            r"optimizer state values \(([\d.]+)%",
            (tmp_path / f"{name}.log").read_text(),
        )
        return AutoModelForCausalLM.from_pretrained(tmp_path / name).state_dict(), held

    sharded, held = train("fsdp", 2)
    assert sorted(rank for rank, _, _, _ in held) == ["0", "1"]
    for _, world, params, optimizer in held:
        assert world == "2"
        assert 45 < float(params) < 55 and 45 < float(optimizer) < 55
    single, held = train("single", 1)
    assert [(w, float(p), float(o)) for _, w, p, o in held] == [("1", 100.0, 100.0)]
    start = AutoModelForCausalLM.from_pretrained(
        workdir / "results/models/smollm2-135m", dtype=torch.float32
    ).state_dict()

    def distance(a, b):
        return sum(((a[k].float() - b[k].float()) ** 2).sum() for k in a).sqrt().item()

    assert set(sharded) == set(single) == set(start)
    moved = distance(single, start)
    assert moved > 0.1  # measured: 1.63 (L2 over all weights)
    # Measured: 2e-5 of the movement; another order of sums on another CPU stays far below 1%.
    assert distance(sharded, single) < 0.01 * moved


def test_a_job_reruns_on_its_own_from_its_saved_job_file(run):
    """Every job saves itself beside its log; its script reruns it alone, outside Snakemake."""
    workdir, _ = run
    job = workdir / "logs/judge_tables.job.json"
    table = workdir / "results/tables/table4.csv"
    before = table.read_text()
    table.unlink()
    proc = subprocess.run(
        [sys.executable, "workflow_scripts/judge_tables.py", str(job)],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert table.read_text() == before
    assert json.loads(job.read_text())["rule"] == "judge_tables"
    usage = subprocess.run(
        [sys.executable, "workflow_scripts/judge_tables.py"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert usage.returncode != 0 and "usage: python" in usage.stderr


# ---- learning: every trained artifact moved, and in the right direction ----------------------


def assert_learned(checks):
    """Each check's quantity and threshold are judgerl.learning_checks'; their spread over seeds
    and threads is measured by benchmarks/learning_variance.py (docs/testing.md)."""
    checks = list(checks)
    assert checks, "nothing to check"
    failed = [c for c in checks if not c.holds]
    assert not failed, "\n".join(
        f"{c.subject}: {c.quantity} = {c.value:.4g}, wanted {c.threshold}"
        for c in failed
    )


def test_every_trained_artifact_moved_from_its_start(run):
    """With a learning signal, most tensors moved beyond bf16 rounding (a short, slow GRPO leaves
    some norms within it); without one (every advantage 0) none moved, and the job said so."""
    workdir, cfg = run
    checks = list(learning_checks.trained_weights_moved(workdir, cfg))
    assert_learned(checks)
    for check in checks:
        if "no signal" in check.quantity:
            job = (
                f"train_policy/{check.subject.split('@')[0]}"
                if "@" in check.subject
                else f"train_judge_grpo/{check.subject.split('/')[0]}"
            )
            assert "no learning signal" in (workdir / f"logs/{job}.log").read_text()


def test_judge_sft_loss_halves_at_a_learning_rate_above_zero(run):
    assert_learned(learning_checks.sft_losses(*run))


def test_distilled_reasoning_judges_learned_the_gold_trace(run):
    assert_learned(learning_checks.distilled_traces(*run))


def test_judge_grpo_rollouts_are_logged_with_their_rewards(run):
    """Every rollout of judge GRPO, once, with the reward Eq. 1 / 3 gives its parsed verdict."""
    from judgerl.prompts import FORMATS
    from judgerl.verdicts import parse_verdict, verdict_reward

    workdir, cfg = run
    grpo = cfg["training"]["judge_grpo"]
    for judge, spec in cfg["judges"].items():
        if "grpo" not in spec["stages"]:
            continue
        rows = read_jsonl(workdir / f"results/judges/{judge}/grpo/rollouts.jsonl")
        steps = {**grpo, **spec.get("grpo", {})}["max_steps"]
        assert len(rows) == steps * grpo["per_device_train_batch_size"]
        assert [r["step"] for r in rows] == sorted(r["step"] for r in rows)
        assert {r["step"] for r in rows} == set(range(1, steps + 1))
        fmt = FORMATS[spec.get("format", "pointwise")]
        for r in rows:
            verdict = parse_verdict(r["completion"], spec["mode"], fmt=fmt).score
            assert r["verdict"] == verdict
            assert r["reward"] == verdict_reward(fmt, verdict, r["gold_label"])


def test_judge_grpo_moves_towards_its_rewarded_verdicts(run):
    """At this scale (two GRPO steps of one prompt), the chosen step's validation reward is within
    the noise of the validation items (it went both ways between seeds and thread counts); the
    update's direction on the judge's own rollouts is what GRPO does, and is checked."""
    workdir, cfg = run
    assert_learned(learning_checks.judge_grpo_rollouts(workdir, cfg))


def test_policies_move_towards_their_judges_rewarded_rollouts(run):
    """Every run with a learning signal, checkpoint by checkpoint, pointwise and pairwise."""
    assert_learned(learning_checks.policy_rollouts(*run))


def test_pairwise_rewards_vary_within_groups(run):
    workdir, cfg = run
    for name in cfg["policy_runs"]:
        if not is_pairwise(cfg, name):
            continue
        calls = read_jsonl(workdir / f"results/policies/{name}/judge_calls.jsonl")
        groups, choices = {}, {}
        for c in calls:
            if c["kind"] == "rollout":
                groups.setdefault((c["step"], c["id"]), []).append(c["reward"])
            else:
                choices.setdefault(c["step"], set()).add(c["choice"])
        # A group's rewards vary unless the judge chose one position in every game of its step
        # (a 135M judge's position prior can win whole steps, more or less often on different
        # CPUs); such a step is flagged, and only such a step. Some group must vary: the reward
        # is the judge's comparison, not its prior alone.
        biased_steps = {step for step, c in choices.items() if len(c) == 1}
        for (step, _prompt), rewards in groups.items():
            assert len(set(rewards)) > 1 or step in biased_steps, (name, step, rewards)
        assert any(len(set(g)) > 1 for g in groups.values()), (name, groups)
        biased = len(biased_steps)
        onset = pl.read_csv(workdir / "results/tables/hacking_onset.csv")
        assert onset.filter(pl.col("run") == name)["position_biased_steps"][0] == biased


def test_sft_judge_agrees_with_gold_on_its_training_items_more_than_its_base(run):
    """The non-reasoning judge, asked about the items it was trained on, gives gold's score more
    often than its untuned base model does."""
    assert_learned(learning_checks.sft_judge_hits(*run))
