"""Generation throughput of the two local backends side by side on the CPU: transformers
against vLLM's CPU build (installed by `make setup-test`), the same 16 prompts, greedy, 64 new
tokens each. Engine start-up is reported apart from tokens per second.

    python benchmarks/generation.py
"""

import importlib.util
import time

from common import need_model

from judgerl.engines import Sampling, make_engine

PROMPTS = [
    [
        {
            "role": "user",
            "content": f"Write two sentences about topic number {k}: {topic}.",
        }
    ]
    for k, topic in enumerate(
        [
            "rivers",
            "bread",
            "chess",
            "volcanoes",
            "libraries",
            "bicycles",
            "tea",
            "owls",
        ]
        * 2
    )
]
SAMPLING = Sampling(max_tokens=64, temperature=0.0)


def throughput(kind: str, backend: dict, model) -> tuple[float, float]:
    start = time.perf_counter()
    engine = make_engine(model, {"dtype": "bfloat16"}, {"kind": kind, **backend})
    startup = time.perf_counter() - start
    engine.complete(PROMPTS[:2], SAMPLING)  # warm-up
    start = time.perf_counter()
    completions = engine.complete(PROMPTS, SAMPLING)
    tokens = sum(c.n_tokens for c in completions)
    return startup, tokens / (time.perf_counter() - start)


def main():
    model = need_model()
    results = {"transformers": throughput("transformers", {"batch_size": 16}, model)}
    if importlib.util.find_spec("vllm"):
        results["vllm"] = throughput(
            "vllm", {"max_model_len": 512, "enforce_eager": True}, model
        )
    for kind, (startup, rate) in results.items():
        print(f"{kind:12} start {startup:5.1f} s, {rate:6.1f} generated tokens/s")
    if len(results) == 2:
        ratio = results["vllm"][1] / results["transformers"][1]
        print(f"vllm / transformers: {ratio:.1f}x tokens/s")
    else:
        print("vllm is not installed here (make setup-test installs its CPU build)")


if __name__ == "__main__":
    main()
