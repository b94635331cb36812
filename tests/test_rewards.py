import json
import math

import pytest

from judgerl.engines import Completion, Sampling, TokenizerEngine
from judgerl.judging import JudgeSettings
from judgerl.prompts import NON_REASONING, PAIRWISE, REASONING
from judgerl.rewards import (
    JudgeAccuracyReward,
    JudgeAsReward,
    KLToInitial,
    PairwiseJudgeReward,
    both_order_wins,
    completion_text,
)


class State:
    global_step = 4


def test_judge_accuracy_reward_eq1_on_written_verdicts():
    reward = JudgeAccuracyReward(REASONING)
    completions = [
        "Accurate.\n</think>\nScore: 6",  # gold 6: 1
        "Mostly right.\n</think>\nScore: 3",  # gold 6: (81 - 9) / 81
        "thinking without end Score: 6",  # never closed: invalid, -1
        "done\n</think>\nno score line",  # invalid, -1
    ]
    metrics = {}
    values = reward(
        prompts=[""] * 4,
        completions=completions,
        gold_label=[6, 6, 6, 6],
        log_metric=lambda k, v: metrics.__setitem__(k, v),
    )
    assert values == pytest.approx([1.0, 72 / 81, -1.0, -1.0])
    assert metrics["judge/invalid_rate"] == 0.5
    nr = JudgeAccuracyReward(NON_REASONING)
    assert nr(
        prompts=[""],
        completions=[[{"role": "assistant", "content": "Score: 0"}]],
        gold_label=[9],
    ) == [0.0]


def test_judge_accuracy_reward_eq3_for_pairwise_judges():
    reward = JudgeAccuracyReward(REASONING, PAIRWISE)
    completions = [
        "The second follows the instruction.\n</think>\nBetter: 2",  # gold 2: 1
        "The first is better.\n</think>\nBetter: 1",  # gold 2: 0
        "unfinished Better: 2",  # thinking never closed: -1
        "done\n</think>\nBetter: 3",  # no such response: -1
    ]
    assert reward(
        prompts=[""] * 4, completions=completions, gold_label=[2, 2, 2, 2]
    ) == [1.0, 0.0, -1.0, -1.0]
    nr = JudgeAccuracyReward(NON_REASONING, PAIRWISE)
    assert nr(
        prompts=[""] * 2, completions=["Better: 1", "Score: 1"], gold_label=[1, 1]
    ) == [1.0, -1.0]


def test_completion_text_of_conversational_completions():
    assert completion_text([{"role": "assistant", "content": "hi"}]) == "hi"
    assert completion_text("plain") == "plain"


def test_judge_as_reward_is_the_logged_expected_score(tiny_engine, tmp_path):
    log_path = tmp_path / "calls.jsonl"
    settings = JudgeSettings(
        NON_REASONING, Sampling(max_tokens=6, temperature=0.7, top_k=20, top_p=0.95)
    )
    reward = JudgeAsReward(tiny_engine, settings, log_path=log_path)
    completions = [
        [{"role": "assistant", "content": text}]
        for text in ("Paris.", "I refuse.", "Lyon", "")
    ]
    metrics = {}
    values = reward(
        prompts=[None] * 4,
        completions=completions,
        instruction=["Capital of France?"] * 4,
        id=["a", "a", "a", "a"],
        trainer_state=State(),
        log_metric=lambda k, v: metrics.__setitem__(k, v),
    )
    rows = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert len(values) == len(rows) == 4 and reward.calls == 4
    for value, row in zip(values, rows):
        # Recomputed from the logged distribution: sum_x x p(x).
        assert value == pytest.approx(
            sum(x * p for x, p in enumerate(row["probs"])), abs=1e-3
        )
        assert 0.0 <= value <= 9.0
        assert row["step"] == 5  # computed for the optimizer step about to run
    assert metrics["judge/malformed_rate"] == sum(not r["valid"] for r in rows) / 4


def test_eq3_pairwise_accuracy():
    from judgerl.verdicts import pairwise_accuracy_reward

    assert pairwise_accuracy_reward(1, 1) == 1.0
    assert pairwise_accuracy_reward(2, 2) == 1.0
    assert pairwise_accuracy_reward(1, 2) == 0.0
    assert pairwise_accuracy_reward(None, 1) == -1.0
    assert pairwise_accuracy_reward(0, 1) == -1.0
    assert pairwise_accuracy_reward(3, 1) == -1.0


def test_eq4_round_robin_on_a_group_with_known_preferences():
    from judgerl.rewards import round_robin_rewards

    # Rollout 0 beats everyone in both orders, 2 loses to everyone, 1 is in between.
    better = {(0, 1), (0, 2), (1, 2)}
    outcomes = [
        [None if i == j else (1.0 if (i, j) in better else 0.0) for j in range(3)]
        for i in range(3)
    ]
    rewards, invalid = round_robin_rewards(outcomes)
    assert rewards == pytest.approx([1.0, 0.5, 0.0]) and invalid == 0
    # A position-biased judge (always prefers whoever is shown first) gives everyone 0.5.
    first = [[None if i == j else 1.0 for j in range(4)] for i in range(4)]
    assert round_robin_rewards(first)[0] == pytest.approx([0.5] * 4)
    # An invalid verdict counts as a tie, and is counted.
    outcomes[0][1] = None
    rewards, invalid = round_robin_rewards(outcomes)
    assert invalid == 1 and rewards[0] == pytest.approx(((0.5 + 1.0) / 2 + 1.0) / 2)
    with pytest.raises(ValueError):
        round_robin_rewards([[None]])


class PreferenceJudge(TokenizerEngine):
    """A test double of a pairwise judge with known preferences: it prefers the response that
    ranks higher in `ranking`, writes "Better: N", and puts all its verdict mass on that digit."""

    def __init__(self, ranking, broken=()):
        self.ranking, self.broken, self.seen = ranking, set(broken), []

    def _choice(self, conversation):
        text = conversation[-1]["content"]
        first = text.split("[RESPONSE 1 START]\n")[1].split("\n[RESPONSE 1 END]")[0]
        second = text.split("[RESPONSE 2 START]\n")[1].split("\n[RESPONSE 2 END]")[0]
        self.seen.append((first, second))
        return 1 if self.ranking.index(first) < self.ranking.index(second) else 2, (
            first,
            second,
        )

    def complete(self, conversations, sampling, mode=None):
        out = []
        for c in conversations:
            choice, pair = self._choice(c)
            out.append(
                Completion(
                    text="no verdict" if pair in self.broken else f"Better: {choice}",
                    finished=True,
                    n_tokens=3,
                )
            )
        return out

    def score_probs(self, conversations, mode, reasonings, fmt=None):
        probs = []
        for c in conversations:
            choice, _ = self._choice(c)
            probs.append([1.0 if d == choice else 0.0 for d in range(10)])
        return probs


def test_eq4_pairwise_reward_on_groups_with_known_preferences(tmp_path):
    ranking = ["best", "good", "fair", "poor"]
    judge = PreferenceJudge(ranking)
    log_path = tmp_path / "calls.jsonl"
    reward = PairwiseJudgeReward(
        judge,
        JudgeSettings(NON_REASONING, Sampling(max_tokens=8)),
        group_size=4,
        log_path=log_path,
    )
    completions = ["poor", "best", "fair", "good", "good", "good", "poor", "best"]
    metrics = {}
    values = reward(
        prompts=[None] * 8,
        completions=completions,
        instruction=["q1"] * 4 + ["q2"] * 4,
        id=["a"] * 4 + ["b"] * 4,
        trainer_state=State(),
        log_metric=lambda k, v: metrics.__setitem__(k, v),
    )
    # Group 1: best beats 3 of 3, good 2, fair 1, poor 0.
    assert values[:4] == pytest.approx([0.0, 1.0, 1 / 3, 2 / 3])
    # Group 2: the two "good" answers tie with each other (the judge prefers whoever is second when
    # they are equal: one win each across both orders), beat poor, lose to best.
    assert values[4:] == pytest.approx([0.5, 0.5, 0.0, 1.0])
    # Every ordered pair within each group, both orders: G (G - 1) calls per group, none across groups.
    assert reward.calls == len(judge.seen) // 2 == 2 * 4 * 3
    assert metrics["judge/calls"] == 24 and metrics["judge/malformed_rate"] == 0
    rows = [json.loads(line) for line in log_path.read_text().splitlines()]
    pairs = [r for r in rows if r["kind"] == "pair"]
    rollouts = [r for r in rows if r["kind"] == "rollout"]
    assert len(pairs) == 24 and len(rollouts) == 8 and all(r["step"] == 5 for r in rows)
    # The rewards are recomputed from the logged verdicts alone.
    for k, rollout in enumerate(rollouts):
        games = [1.0 if p["choice"] == 1 else 0.0 for p in pairs if p["first"] == k]
        games += [1.0 if p["choice"] == 2 else 0.0 for p in pairs if p["second"] == k]
        assert rollout["reward"] == pytest.approx(sum(games) / len(games))


def test_eq4_invalid_verdicts_are_ties_and_counted():
    judge = PreferenceJudge(["a", "b"], broken={("a", "b")})
    reward = PairwiseJudgeReward(
        judge, JudgeSettings(NON_REASONING, Sampling(max_tokens=8)), group_size=2
    )
    metrics = {}
    values = reward(
        prompts=[None] * 2,
        completions=["a", "b"],
        instruction=["q"] * 2,
        id=["x", "x"],
        log_metric=lambda k, v: metrics.__setitem__(k, v),
    )
    # (a, b) is invalid: a tie; (b, a) says a: a wins 1.5 of 2 games.
    assert values == pytest.approx([0.75, 0.25])
    assert metrics["judge/malformed_rate"] == 0.5


def test_eq4_needs_whole_groups():
    reward = PairwiseJudgeReward(
        PreferenceJudge(["a"]),
        JudgeSettings(NON_REASONING, Sampling(max_tokens=8)),
        group_size=4,
    )
    with pytest.raises(ValueError, match="groups of 4"):
        reward.groups(["x"] * 6)
    with pytest.raises(ValueError, match="not contiguous"):
        reward.groups(["x", "y", "x", "y"])


def test_both_order_wins():
    assert (
        both_order_wins(1, 2) == 1.0
    )  # preferred when shown first and when shown second
    assert both_order_wins(2, 1) == 0.0
    assert both_order_wins(1, 1) == 0.5  # a position-biased judge gives half
    assert both_order_wins(None, 2) == 0.75  # an invalid game is half a win


def test_kl_to_initial_is_zero_for_the_initial_policy_and_grows_with_change(
    tiny_model_dir,
):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    reference = AutoModelForCausalLM.from_pretrained(
        tiny_model_dir, dtype=torch.float32
    )
    policy = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    kl = KLToInitial(reference, tokenizer, temperature=0.7)
    kl.attach(policy, policy.device)
    prompts = [
        [{"role": "user", "content": "Name a colour."}],
        [{"role": "user", "content": "Say hi in French."}],
    ]
    completion_ids = [
        tokenizer.encode("Blue is a colour.", add_special_tokens=False),
        tokenizer.encode("Bonjour", add_special_tokens=False),
    ]
    same = kl(prompts, [None, None], completion_ids)
    assert same == pytest.approx([0.0, 0.0], abs=1e-4)
    # The trainer's model runs under bf16 autocast (accelerate wraps its forward): the reference
    # must too, or the initial policy is already "far" from itself.
    autocast_policy = AutoModelForCausalLM.from_pretrained(
        tiny_model_dir, dtype=torch.float32
    )
    autocast_policy.forward = torch.autocast("cpu", dtype=torch.bfloat16)(
        autocast_policy.forward
    )
    matched = KLToInitial(
        reference, tokenizer, temperature=0.7, autocast_dtype=torch.bfloat16
    )
    matched.attach(autocast_policy, autocast_policy.device)
    assert matched(prompts, [None, None], completion_ids) == pytest.approx(
        [0.0, 0.0], abs=1e-4
    )
    with torch.no_grad():
        policy.lm_head.weight.mul_(
            1.5
        ) if not policy.config.tie_word_embeddings else policy.model.embed_tokens.weight.mul_(
            1.5
        )
    changed = kl(prompts, [None, None], completion_ids)
    # The sharpened policy gives the tokens written other mass: each rollout's estimate is the
    # sum of its tokens' exp(d) - 1 - d, d = log pi_0 - log pi, computed here by hand.
    assert all(v > 1e-3 for v in changed)
    with torch.no_grad():
        seqs = [kl.prompt_ids(p) + ids for p, ids in zip(prompts, completion_ids)]
        starts = [len(kl.prompt_ids(p)) for p in prompts]
        lengths = [len(ids) for ids in completion_ids]
        mine = kl._logps(policy, seqs, starts, lengths)
        initial = kl._logps(reference, seqs, starts, lengths)
    by_hand = [
        sum(math.exp(b - a) - 1 - (b - a) for a, b in zip(m.tolist(), i.tolist()))
        for m, i in zip(mine, initial)
    ]
    assert changed == pytest.approx(by_hand, rel=1e-4)
    # Batching with right padding does not change a rollout's value.
    assert kl(prompts[:1], [None], completion_ids[:1])[0] == pytest.approx(
        changed[0], abs=1e-3
    )


def test_kl_monitor_memory_follows_the_chunk_not_the_batch(tiny_model_dir):
    """The largest logits tensor the monitor makes holds `chunk_size` rollouts, whatever the
    batch; the values do not depend on the chunking."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    reference = AutoModelForCausalLM.from_pretrained(
        tiny_model_dir, dtype=torch.float32
    )
    policy = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    with torch.no_grad():
        policy.model.norm.weight.mul_(1.2)
    largest = []

    def record(module, args, output):
        largest.append(output.logits.numel())

    for model in (reference, policy):
        model.register_forward_hook(record)
    prompts = [[{"role": "user", "content": f"Count to {n}."}] for n in range(8)]
    completion_ids = [
        tokenizer.encode(" ".join(map(str, range(1, n + 2))), add_special_tokens=False)
        for n in range(8)
    ]
    width = max(
        len(KLToInitial(reference, tokenizer).prompt_ids(p)) + len(c)
        for p, c in zip(prompts, completion_ids)
    )
    vocab = policy.config.vocab_size
    values = {}
    for chunk in (2, 8):
        kl = KLToInitial(reference, tokenizer, temperature=0.7, chunk_size=chunk)
        kl.attach(policy, policy.device)
        largest.clear()
        values[chunk] = kl(prompts, [None] * 8, completion_ids)
        assert max(largest) <= chunk * width * vocab
        assert len(largest) == 2 * (
            8 // chunk
        )  # policy and reference, one pass per chunk
    assert (
        max(largest) > 2 * width * vocab
    )  # the whole batch at once would be this large
    assert values[2] == pytest.approx(values[8], abs=1e-4)
    assert all(abs(v) > 1e-4 for v in values[2])


def test_kl_reference_goes_to_the_process_device_not_the_policys(tiny_model_dir):
    """Under FSDP the policy is still on the CPU when the monitor attaches (accelerate places it
    inside train()); the reference must go to the process's accelerator device all the same."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    policy = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    reference = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    kl = KLToInitial(reference, tokenizer)
    kl.attach(policy, torch.device("meta"))  # stands for cuda:<local rank>
    assert {p.device.type for p in reference.parameters()} == {"meta"}
    assert {p.device.type for p in policy.parameters()} == {"cpu"}


def test_the_gold_scores_the_training_rollouts_of_every_nth_step(tmp_path):
    """The known gold on a sample of the rollouts of every N-th step (the first included): its
    scores are the gold's own (known_gold by hand), None for the rollouts it left out, and it
    scores nothing on the other steps."""
    from judgerl.engines import make_engine
    from judgerl.prompts import REASONING
    from judgerl.rewards import GoldOnRollouts

    engine = make_engine(None, {}, {"kind": "known", "length": [8, 24]})
    settings = JudgeSettings(REASONING, Sampling(max_tokens=96))
    gold = GoldOnRollouts(engine, settings, every=3, sample=0.5, seed=7)
    instruction = ["Describe solar panels and their efficiency."] * 4
    texts = [
        "Solar panels turn sunlight into power; their efficiency is about twenty percent.",
        "no",
        "Solar solar solar solar solar solar solar solar solar solar.",
        "Panels are efficient at noon, when the light is strongest.",
    ]
    completions = [[{"role": "assistant", "content": t}] for t in texts]
    metrics = {}

    def at(step):
        class Step:
            global_step = step - 1  # rewards are computed for the step about to run

        return gold(
            prompts=[None] * 4,
            completions=completions,
            instruction=instruction,
            trainer_state=Step(),
            log_metric=metrics.__setitem__,
        )

    first = at(1)
    scored = [k for k, v in enumerate(first) if v is not None]
    assert len(scored) == 2 and gold.picks(1, 4) == scored
    for k in scored:
        assert first[k] == engine.check(instruction[k], texts[k]).score
    assert metrics == {"gold/invalid": 0.0, "gold/scored": 2.0}
    assert at(2) == [None] * 4 and at(3) == [None] * 4  # not a scored step
    assert sum(v is not None for v in at(4)) == 2 and gold.calls == 4
    every = GoldOnRollouts(engine, settings, every=1, sample=1.0)
    assert None not in every(
        prompts=[None] * 4,
        completions=completions,
        instruction=instruction,
        trainer_state=State(),
    )


def test_a_judge_that_always_picks_one_position_is_reported(caplog):
    from judgerl.rewards import first_preferred, pairwise_log_rows

    assert first_preferred([{"choice": 1}, {"choice": 2}], 3) == 0.5
    assert not caplog.records
    assert first_preferred([{"choice": 2}] * 4, 3) == 0.0
    assert "chose response 2 in all 4 games" in caplog.text
    rows = pairwise_log_rows(
        3,
        None,
        [(0, 1), (1, 0)],
        [{"choice": 2}] * 2,
        ["q", "q"],
        ["a", "b"],
        [0.5, 0.5],
    )
    assert [(r["kind"], r["id"]) for r in rows] == [("pair", None)] * 2 + [
        ("rollout", None)
    ] * 2
    assert rows[0] == {
        "kind": "pair",
        "step": 3,
        "id": None,
        "first": 0,
        "second": 1,
        "choice": 2,
    }
