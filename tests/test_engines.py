"""Engines: the transformers path on the real tiny model; vLLM and HTTP at their boundaries."""

import pytest

from judgerl.engines import (
    EngineError,
    OpenAICompatibleEngine,
    Sampling,
    make_engine,
    score_probs_from_logprobs,
    score_token_ids,
    vllm_sampling_kwargs,
)
from judgerl.judging import JudgeSettings, judge_pointwise
from judgerl.prompts import NON_REASONING, REASONING, pointwise_messages


def test_score_tokens_follow_the_prefix(tiny_engine):
    assert score_token_ids(tiny_engine.tokenizer) == list(range(32, 42))
    # The pairwise verdict "Better: N" ends on the same digit tokens.
    assert score_token_ids(tiny_engine.tokenizer, "Better: ") == list(range(32, 42))


def test_pairwise_verdicts_of_the_real_model(tiny_engine):
    from judgerl.judging import judge_pairwise

    settings = JudgeSettings(REASONING, Sampling(max_tokens=12), verdict="argmax")
    verdicts = judge_pairwise(
        tiny_engine,
        ["Capital of France?"] * 2,
        ["Paris.", "Lyon."],
        ["Lyon.", "Paris."],
        settings,
    )
    for v in verdicts:
        assert v["choice"] in (1, 2) and v["valid"] and 0.0 <= v["p_second"] <= 1.0
        assert v["choice"] == (2 if v["p_second"] > 0.5 else 1)
        assert v["thinking_tokens"] > 0


def test_left_padding_does_not_change_score_probabilities(tiny_engine_fp32):
    tiny_engine = (
        tiny_engine_fp32  # arithmetic: float32, so no machine's bf16 kernels enter
    )
    conversations = [
        pointwise_messages("Say hi.", "Hi!", NON_REASONING),
        pointwise_messages(
            "Explain gravity in detail please, with examples.", "No.", NON_REASONING
        ),
    ]
    batched = tiny_engine.score_probs(conversations, NON_REASONING, [None, None])
    single = [
        tiny_engine.score_probs([c], NON_REASONING, [None])[0] for c in conversations
    ]
    for b, s in zip(batched, single):
        assert b == pytest.approx(s, abs=1e-4)
        assert 0.0 < sum(b) <= 1.0 + 1e-6


def test_greedy_completion_is_deterministic_and_bounded(tiny_engine):
    conversations = [[{"role": "user", "content": "Name a color."}]] * 2
    first = tiny_engine.complete(conversations, Sampling(max_tokens=8))
    second = tiny_engine.complete(conversations, Sampling(max_tokens=8))
    # Same batch, same text (bf16 kernels differ across batch shapes, so only the same batch is compared).
    assert first[0].text == first[1].text == second[0].text
    assert all(c.n_tokens <= 8 for c in first)


def test_judge_pointwise_argmax_and_parsed(tiny_engine):
    instructions, responses = (
        ["What is 2 + 2?", "Write a haiku."],
        ["4", "Leaves fall / quietly / autumn ends"],
    )
    forced = judge_pointwise(
        tiny_engine,
        instructions,
        responses,
        JudgeSettings(NON_REASONING, Sampling(max_tokens=8), verdict="argmax"),
    )
    for v in forced:
        assert v["valid"] and v["score"] == max(range(10), key=lambda x: v["probs"][x])
        assert sum(v["probs"]) == pytest.approx(1.0, abs=1e-4)
        assert v["expected_score"] == pytest.approx(
            sum(x * p for x, p in enumerate(v["probs"])), abs=1e-4
        )
    thinking = judge_pointwise(
        tiny_engine,
        instructions,
        responses,
        JudgeSettings(REASONING, Sampling(max_tokens=12), verdict="parsed"),
    )
    for v in thinking:
        assert v["expected_score"] is not None and 0.0 <= v["expected_score"] <= 9.0
        assert v["valid"] == (v["score"] is not None)
        assert v["thinking_tokens"] <= 12


def test_vllm_boundary():
    kwargs = vllm_sampling_kwargs(
        Sampling(
            max_tokens=64, temperature=0.7, top_k=20, top_p=0.95, stop=("</think>",)
        )
    )
    assert kwargs == {
        "max_tokens": 64,
        "temperature": 0.7,
        "top_p": 0.95,
        "top_k": 20,
        "seed": None,
        "stop": ["</think>"],
        "include_stop_str_in_output": True,
    }
    assert vllm_sampling_kwargs(Sampling(max_tokens=4))["top_k"] == -1
    try:
        import vllm  # noqa: F401
    except ImportError:
        with pytest.raises(EngineError, match="vllm package"):
            make_engine("results/models/x", {}, {"kind": "vllm", "max_model_len": 64})


def test_unknown_backend():
    with pytest.raises(EngineError, match="unknown inference backend"):
        make_engine("x", {}, {"kind": "tgi"})


# ---- the OpenAI-compatible client against a local server --------------------------------------


def test_http_engine_reads_reasoning_score_and_probs(fake_server):
    server = fake_server(
        [(503, {"error": "warming up"})]
    )  # the first call fails and is retried
    try:
        engine = OpenAICompatibleEngine(
            server.url, "openai/gpt-oss-120b", backoff_s=0.01
        )
        settings = JudgeSettings(
            REASONING, Sampling(max_tokens=8192, reasoning_effort="high")
        )
        verdicts = judge_pointwise(
            engine, ["q1", "q2"], ["a good answer", "a bad answer"], settings
        )
    finally:
        server.close()
    assert [v["score"] for v in verdicts] == [7, 2]
    assert verdicts[0]["reasoning"] == "I compared it with the rules."
    assert verdicts[0]["probs"][7] > 0.9 and verdicts[0]["probs"][6] > 0
    assert len(server.requests) == 3
    assert all(
        r["reasoning_effort"] == "high" and r["max_tokens"] == 8192
        for r in server.requests
    )


def test_http_engine_dead_server_names_the_url(fake_server):
    server = fake_server([])
    url = server.url
    server.close()
    server.httpd.server_close()
    engine = OpenAICompatibleEngine(
        url, "m", max_retries=2, backoff_s=0.01, timeout_s=2
    )
    with pytest.raises(EngineError, match="127.0.0.1.*failed after 2 tries"):
        engine.complete([[{"role": "user", "content": "hi"}]], Sampling(max_tokens=4))


def test_http_engine_does_not_retry_client_errors(fake_server):
    server = fake_server([(400, {"error": "bad model"})])
    try:
        engine = OpenAICompatibleEngine(server.url, "m", max_retries=3, backoff_s=0.01)
        with pytest.raises(EngineError, match="HTTP 400"):
            engine.complete(
                [[{"role": "user", "content": "hi"}]], Sampling(max_tokens=4)
            )
        assert len(server.requests) == 1
    finally:
        server.close()


def test_score_probs_from_logprobs_needs_a_clean_digit_token():
    entries = [
        {"token": "Score", "logprob": 0},
        {"token": ": ", "logprob": 0},
        {"token": "57", "logprob": -0.1, "top_logprobs": []},
    ]
    assert score_probs_from_logprobs("Score: 57", entries) is None
    assert score_probs_from_logprobs("no score", entries) is None


def test_both_orders_are_two_games_with_positions_swapped(tiny_engine_fp32):
    from judgerl.judging import judge_both_orders, judge_pairwise

    settings = JudgeSettings(NON_REASONING, Sampling(max_tokens=4), verdict="argmax")
    instructions, mine, theirs = (
        ["Capital of France?", "2 + 2?"],
        ["Paris.", "4"],
        ["Lyon.", "5"],
    )
    games = judge_both_orders(tiny_engine_fp32, instructions, mine, theirs, settings)
    shown_first = judge_pairwise(tiny_engine_fp32, instructions, mine, theirs, settings)
    shown_second = judge_pairwise(
        tiny_engine_fp32, instructions, theirs, mine, settings
    )
    assert len(games) == 2
    for (first, second), a, b in zip(games, shown_first, shown_second):
        assert first["p_second"] == pytest.approx(a["p_second"], abs=1e-4)
        assert second["p_second"] == pytest.approx(b["p_second"], abs=1e-4)
    with pytest.raises(ValueError, match="differ in length"):
        judge_both_orders(tiny_engine_fp32, instructions, mine, theirs[:1], settings)


def test_an_api_model_answers_the_policy_prompts_as_the_pairwise_baseline(
    tmp_path, fake_server, run_job
):
    """Rule generate_pairwise_baseline (the paper's GPT-4o answers for Fig. 10), run from a saved
    job against an OpenAI-compatible server: one greedy answer per test prompt, no checkpoint;
    a rerun after a kill asks only for what is left."""
    from judgerl.files import read_jsonl, write_jsonl

    write_jsonl(
        tmp_path / "policy_test.jsonl",
        [
            {"id": "p1", "instruction": "Say hi."},
            {"id": "p2", "instruction": "Add 2+2."},
        ],
    )
    # A killed earlier run answered the first prompt: the rerun asks only for the second.
    first = {"id": "p1", "instruction": "Say hi.", "answer": "answer to Say hi."}
    write_jsonl(
        tmp_path / "answers.jsonl.progress",
        [{**first, "finished": True, "n_tokens": 4}],
    )
    server = fake_server([])
    server.reply = lambda body: {
        "choices": [
            {
                "message": {"content": f" answer to {body['messages'][-1]['content']}"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"completion_tokens": 4},
    }
    try:
        run_job(
            tmp_path,
            "generate_answers",
            {"checkpoints": [], "prompts": "policy_test.jsonl"},
            {"answers": ["answers.jsonl"]},
            {
                "sampling": {"temperature": 0.0, "max_tokens": 64},
                "backend": {
                    "kind": "openai",
                    "base_url": server.url,
                    "served_model": "gpt-4o",
                    "max_concurrency": 1,
                    "top_logprobs": 0,
                },
                "spec": {},
                "seed": 0,
            },
            rule="generate_pairwise_baseline",
        )
    finally:
        server.close()
    answers = read_jsonl(tmp_path / "answers.jsonl")
    assert [(a["id"], a["answer"]) for a in answers] == [
        ("p1", "answer to Say hi."),
        ("p2", "answer to Add 2+2."),
    ]
    assert [r["messages"][-1]["content"] for r in server.requests] == ["Add 2+2."]
    assert all(
        r["model"] == "gpt-4o" and r["temperature"] == 0.0 for r in server.requests
    )
    assert not (tmp_path / "answers.jsonl.progress").exists()
