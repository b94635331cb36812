"""The judge as a policy's reward, timed side by side in one process on the same outputs:

1. one batched judge call over a GRPO batch against one call per rollout (JudgeAsReward);
2. Eq. 4's pairwise reward against the pointwise one: judge calls and seconds per policy step,
   for groups of G = 4 and 8 rollouts (PairwiseJudgeReward: G(G-1) ordered games per prompt).

The judge is the tiny model as a non-reasoning judge (a forward pass per verdict), the outputs
the default's judge-test candidates. Run after the default's data exist (`make run`).

    python benchmarks/judge_reward.py
"""

import time
from functools import partial

from common import RUN, need_model

from judgerl.engines import Sampling, TransformersEngine
from judgerl.files import read_jsonl
from judgerl.judging import JudgeSettings
from judgerl.rewards import JudgeAsReward, PairwiseJudgeReward

PROMPTS = 2  # prompts per policy step


def seconds(fn, repeat=2):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    import torch

    torch.set_num_threads(1)  # as a job of the default runs
    model = need_model()
    rows = read_jsonl(RUN / "results/data/candidates/judge_test.jsonl")
    pool = [(r["instruction"], a) for r in rows for a in r["responses"]]
    settings = JudgeSettings("non_reasoning", Sampling(max_tokens=8), verdict="argmax")
    engine = TransformersEngine(model, batch_size=16)

    batch = pool[:16]
    instructions, answers = [b[0] for b in batch], [b[1] for b in batch]
    reward = JudgeAsReward(engine, settings)
    batched = seconds(lambda: reward(None, answers, instructions))
    one_by_one = seconds(
        lambda: [reward(None, [a], [i]) for i, a in zip(instructions, answers)]
    )
    print(f"pointwise reward over {len(batch)} rollouts:")
    print(
        f"  one batched call {batched:.2f} s, one call per rollout {one_by_one:.2f} s: "
        f"{one_by_one / batched:.1f}x"
    )

    print(f"Eq. 4 against pointwise, per policy step of {PROMPTS} prompts:")
    for group in (4, 8):
        n = PROMPTS * group
        ids = [k // group for k in range(n)]
        instructions = [pool[k * group][0] for k in ids]
        answers = [pool[k][1] for k in range(n)]
        point = JudgeAsReward(engine, settings)
        pair = PairwiseJudgeReward(engine, settings, group)
        t_point = seconds(partial(point, None, answers, instructions, id=ids), 1)
        t_pair = seconds(partial(pair, None, answers, instructions, id=ids), 1)
        print(
            f"  G={group}: pointwise {n} calls {t_point:.2f} s; pairwise "
            f"{pair.calls} calls {t_pair:.2f} s: {pair.calls / n:.0f}x calls, "
            f"{t_pair / t_point:.1f}x seconds"
        )


if __name__ == "__main__":
    main()
