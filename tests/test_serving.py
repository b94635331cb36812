"""The judge server a policy-training job owns, and the multi-process launch of trainers.

`vllm serve` needs a GPU, so the server process here is a stand-in with the same HTTP surface
(tests/data/fake_judge_server.py); what is real is the process management around it (start on
given GPUs, health check, failure with the server's own log, stop of the whole process group) and
the engine that talks to it with the judge's real tokenizer.
"""

import json
import os
import sys
from pathlib import Path

import pytest

from judgerl import launch, serving
from judgerl.engines import EngineError, Sampling
from judgerl.judging import JudgeSettings, judge_pointwise
from judgerl.prompts import REASONING

FAKE = Path(__file__).parent / "data" / "fake_judge_server.py"


def test_served_judge_gives_the_same_verdict_record_as_a_local_one(
    tmp_path, tiny_engine
):
    port = serving.free_port()
    server = serving.JudgeServer(
        [sys.executable, str(FAKE), str(port), "1.0"],
        port,
        tmp_path / "server.log",
        gpus=["2", "3"],
        poll_s=0.2,
    )
    with server:
        pid = server.process.pid
        engine = serving.ServedJudgeEngine(server.base_url, tiny_engine.tokenizer)
        verdicts = judge_pointwise(
            engine,
            ["Capital of France?"] * 3,
            ["Paris.", "Lyon.", "Paris!"],
            JudgeSettings(REASONING, Sampling(max_tokens=32)),
        )
    for v in verdicts:
        assert (
            v["score"] == 7
            and v["valid"]
            and v["reasoning"] == "It answers the question."
        )
        # exp(-0.105) and exp(-2.3) renormalised over the digits: 0.9 / 0.1 by hand.
        assert v["expected_score"] == pytest.approx(7 * 0.9 + 3 * 0.1, abs=0.01)
    assert (
        "fake judge server" in (tmp_path / "server.log").read_text()
    )  # the server's log is kept
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # stopped on exit


def test_a_server_that_dies_at_start_fails_with_its_log(tmp_path):
    command = [sys.executable, "-c", "print('CUDA out of memory'); raise SystemExit(3)"]
    server = serving.JudgeServer(
        command, serving.free_port(), tmp_path / "server.log", poll_s=0.1
    )
    with pytest.raises(
        EngineError, match=r"exited with code 3(.|\n)*CUDA out of memory"
    ):
        server.start()


def test_a_server_that_never_answers_is_stopped(tmp_path):
    port = serving.free_port()
    server = serving.JudgeServer(
        [sys.executable, str(FAKE), str(port), "1000"],
        port,
        tmp_path / "server.log",
        startup_timeout_s=1.5,
        poll_s=0.2,
    )
    with pytest.raises(EngineError, match="did not answer"):
        server.start()
    assert server.process is None


def test_gpu_split_is_explicit():
    assert serving.split_gpus("0,1,2,3,4,5,6,7", 4, 4) == (
        ["0", "1", "2", "3"],
        ["4", "5", "6", "7"],
    )
    with pytest.raises(EngineError, match="sees 2 GPUs"):
        serving.split_gpus("0,1", 2, 1)
    command = serving.vllm_serve_command(
        "results/judges/x/grpo", 8123, max_model_len=12288, tensor_parallel_size=4
    )
    # A module of this Python (the `vllm` console script fails with the CPU build); its
    # arguments are checked against vLLM's own parser in test_vllm.py.
    assert command[:3] == [sys.executable, "-m", "vllm.entrypoints.openai.api_server"]
    assert command[command.index("--model") + 1] == "results/judges/x/grpo"
    assert command[command.index("--tensor-parallel-size") + 1] == "4"
    assert command[command.index("--max-model-len") + 1] == "12288"
    assert "--disable-log-requests" not in command  # vLLM 0.31 refuses it


def test_accelerate_command_and_job_file_roundtrip(tmp_path):
    command = launch.accelerate_command(tmp_path / "job.json", 4)
    assert command[1:3] == ["-m", "accelerate.commands.launch"]
    assert (
        command[command.index("--num_processes") + 1] == "4"
        and "--multi_gpu" in command
    )
    assert command[-3:] == ["-m", "judgerl.launch", str(tmp_path / "job.json")]
    assert "--multi_gpu" not in launch.accelerate_command(tmp_path / "job.json", 1)

    class Container(list):
        def __init__(self, items, named):
            super().__init__(items)
            self.named = named

        def items(self):
            return self.named.items()

    class FakeSnakemake:
        input = Container(["a", "b", "c"], {"policy": "a", "rubrics": ["b", "c"]})
        output = Container(["o1"], {"train_log": "o1"})
        log = Container(["l"], {})
        params = Container([], {"grpo": {"max_steps": 2}})
        wildcards = Container([], {"run": "r"})
        threads, rule, scriptdir = 2, "train_policy", "/x"

    spec = json.loads(
        json.dumps(launch.job_spec(FakeSnakemake(), {"judge_url": "http://h/v1"}))
    )
    job = launch.SavedJob(spec)
    assert (
        job.input.policy == "a"
        and job.input.rubrics == ["b", "c"]
        and list(job.input) == ["a", "b", "c"]
    )
    assert job.output.train_log == "o1" and job.output[0] == "o1"
    assert job.params.grpo == {"max_steps": 2} and job.wildcards.run == "r"
    assert job.launched == {"judge_url": "http://h/v1"}


def test_a_sharding_config_decides_the_launch_mode(tmp_path):
    """accelerate's own parser and validation on the command the project builds: with the FSDP
    config file, accelerate launches FSDP (a `--multi_gpu` flag beside the file would make it
    plain DDP, each process holding the whole model)."""
    from accelerate.commands.launch import (
        _validate_launch_command,
        launch_command_parser,
    )

    fsdp = Path(__file__).resolve().parents[1] / "configs/accelerate/fsdp.yaml"
    command = launch.accelerate_command(tmp_path / "job.json", 8, config_file=str(fsdp))
    assert "--multi_gpu" not in command
    args = launch_command_parser().parse_args(command[3:])
    args, defaults, _ = _validate_launch_command(args)
    assert args.use_fsdp and not args.multi_gpu and not args.use_deepspeed
    assert defaults.fsdp_config["fsdp_version"] == 2 and args.num_processes == 8


def test_trainer_gpus_are_the_first_of_the_job(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,5,6,7")
    assert launch.trainer_gpus(2, reserved=2) == ["4", "5"]
    with pytest.raises(EngineError, match="raise the rule.s gpu resource"):
        launch.trainer_gpus(4, reserved=1)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    assert launch.trainer_gpus(2) is None


def test_an_http_endpoint_is_checked_before_use(monkeypatch):
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Models(BaseHTTPRequestHandler):
        def do_GET(self):
            ok = (
                self.path == "/v1/models"
                and self.headers["Authorization"] == "Bearer k"
            )
            self.send_response(200 if ok else 401)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Models)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    monkeypatch.setenv("GOLD_KEY", "k")
    serving.check_endpoint(url, "gold.backend", "GOLD_KEY")
    monkeypatch.setenv("GOLD_KEY", "wrong")
    with pytest.raises(
        EngineError, match="gold.backend.base_url: .* answered HTTP 401"
    ):
        serving.check_endpoint(url, "gold.backend", "GOLD_KEY")
    httpd.shutdown()
    httpd.server_close()
    with pytest.raises(EngineError, match="gold.backend.base_url: nothing answers at"):
        serving.check_endpoint(url, "gold.backend", "GOLD_KEY")
    monkeypatch.delenv("GOLD_KEY")
    with pytest.raises(
        EngineError, match="api_key_env names GOLD_KEY, which is not set"
    ):
        serving.check_endpoint(url, "gold.backend", "GOLD_KEY")


def test_the_reward_spreads_over_servers_and_leaves_a_dead_one(tmp_path, tiny_engine):
    """Two servers of the judge: calls alternate between them; once one is stopped, its calls go
    to the other, with the same verdicts; with none left, the error names both."""
    servers = []
    for i in range(2):
        port = serving.free_port()
        servers.append(
            serving.JudgeServer(
                [sys.executable, str(FAKE), str(port), "0"],
                port,
                tmp_path / f"server{i}.log",
                poll_s=0.1,
            ).start()
        )
    try:
        urls = [s.base_url for s in servers]
        engine = serving.ServedJudgeEngine(
            urls, tiny_engine.tokenizer, max_concurrency=4, max_retries=1
        )
        settings = JudgeSettings(REASONING, Sampling(max_tokens=32))
        verdicts = judge_pointwise(engine, ["Q?"] * 8, ["A."] * 8, settings)
        assert [v["score"] for v in verdicts] == [7] * 8
        first = dict(engine.requests)
        assert all(n > 0 for n in first.values()) and sum(first.values()) >= 8
        servers[0].stop()
        verdicts = judge_pointwise(engine, ["Q?"] * 8, ["A."] * 8, settings)
        assert [v["score"] for v in verdicts] == [7] * 8
        dead, alive = engine.urls
        assert engine.alive == [alive]
        assert engine.requests[dead] == first[dead]  # none answered after the stop
        servers[1].stop()
        with pytest.raises(EngineError, match="no judge server answers") as error:
            judge_pointwise(engine, ["Q?"], ["A."], settings)
        assert all(url in str(error.value) for url in engine.urls)
    finally:
        for s in servers:
            s.stop()


def test_a_served_judge_that_is_not_its_model_fails_the_check(tmp_path, tiny_engine):
    """The check before RL: the server here answers every item with a 7 (0.9) or a 3 (0.1), as
    no copy of the tiny judge does; the check fails naming the server and the items. Against a
    model in process that reads the same distribution, it passes."""
    from judgerl.prompts import POINTWISE

    settings = JudgeSettings(REASONING, Sampling(max_tokens=32))
    conversations = serving.check_conversations(
        ["Capital of France?", "2 + 2?", "Name a colour."],
        POINTWISE,
        REASONING,
        "study",
    )
    assert len(conversations) == 3
    assert "I don't know." in conversations[0][-1]["content"]
    port = serving.free_port()
    with serving.JudgeServer(
        [sys.executable, str(FAKE), str(port), "0"],
        port,
        tmp_path / "s.log",
        poll_s=0.1,
    ) as server:
        served = serving.ServedJudgeEngine(server.urls, tiny_engine.tokenizer)
        with pytest.raises(EngineError, match=r"disagrees.*item 0") as error:
            serving.check_served_judge(
                served, tiny_engine, conversations, settings, POINTWISE
            )
        assert f"127.0.0.1:{port}" in str(error.value)

        class SameModel:  # reads what the served model reads: 0.9 / 0.1
            def score_probs(self, conversations, mode, reasonings, fmt):
                return [
                    [0.1 if x == 3 else 0.9 if x == 7 else 0.0 for x in range(10)]
                    for _ in conversations
                ]

        gaps = serving.check_served_judge(
            served, SameModel(), conversations, settings, POINTWISE
        )
        assert max(gaps) < 1e-3  # the server rounds its logprobs
