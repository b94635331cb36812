"""Inference backends behind one interface.

- `TransformersEngine`: local, batched with left padding (CPU default; also CUDA).
- `VLLMEngine`: the vLLM offline engine (GPU), imported lazily.
- `OpenAICompatibleEngine`: HTTP chat completions, for a `vllm serve` of gpt-oss-120b or an API,
  with concurrency, retries and `reasoning_effort`.

Every engine answers `complete` (chat conversations -> `Completion`s). Local engines also answer
`score_probs`: the probabilities of the digit tokens 0..9 at the forced verdict position, after the
judge's own reasoning. The HTTP engine returns the answer's logprobs, from which the same
probabilities are read at the verdict token.
"""

from __future__ import annotations

import logging
import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from judgerl.prompts import (
    POINTWISE,
    VerdictFormat,
    mode_template_kwargs,
    render,
    score_position_prefix,
)
from judgerl.verdicts import DIGITS, find_score

log = logging.getLogger(__name__)

BACKENDS = ("transformers", "vllm", "openai", "known")


class EngineError(RuntimeError):
    """A backend cannot do what was asked (missing package, dead server, unsupported call)."""


class ServerDown(EngineError):
    """A server did not answer, or answered only with errors worth a retry, after every retry."""


@dataclass(frozen=True)
class Sampling:
    max_tokens: int
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0  # 0: no top-k filtering
    stop: tuple[str, ...] = ()
    reasoning_effort: str | None = None  # for backends with an effort switch (gpt-oss)
    seed: int | None = None

    @classmethod
    def from_config(cls, cfg: dict, **overrides) -> Sampling:
        keys = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in cfg.items() if k in keys}
        values.update(overrides)
        if "stop" in values:
            values["stop"] = tuple(values["stop"] or ())
        return cls(**values)


@dataclass
class Completion:
    text: str  # what the model wrote after the prompt (the answer alone if reasoning is separate)
    finished: bool  # False when max_tokens cut the output
    n_tokens: int
    reasoning: str | None = None  # set by backends that return the reasoning separately
    logprobs: list[dict] | None = field(
        default=None, repr=False
    )  # HTTP: per token, with top_logprobs


class TokenizerEngine:
    """Engines that render prompts with the judge's tokenizer in this process, and read the score
    position from the rendered text: those that hold the model (transformers, vLLM) and the
    served judge's client, whose server receives the rendered text."""

    tokenizer = None
    chat_template_kwargs: dict

    def render(self, conversation: list[dict], mode: str | None) -> str:
        return render(
            self.tokenizer,
            conversation,
            mode,
            mode_template_kwargs(self.chat_template_kwargs, mode),
        )

    def complete(
        self,
        conversations: list[list[dict]],
        sampling: Sampling,
        mode: str | None = None,
    ) -> list[Completion]:
        prompts = [self.render(c, mode) for c in conversations]
        return [
            Completion(text=t, finished=f, n_tokens=n)
            for t, f, n in self._generate(prompts, sampling)
        ]

    def score_probs(
        self,
        conversations: list[list[dict]],
        mode: str,
        reasonings: list[str | None],
        fmt: VerdictFormat = POINTWISE,
    ) -> list[list[float]]:
        """Full-vocabulary probabilities of the tokens '0'..'9' right after the verdict prefix."""
        prefixes = [
            self.render(c, mode) + score_position_prefix(mode, r, fmt)
            for c, r in zip(conversations, reasonings)
        ]
        return self._candidate_probs(prefixes, self.score_token_ids(fmt.prefix))

    def score_token_ids(self, prefix: str = POINTWISE.prefix) -> list[int]:
        cache = self.__dict__.setdefault("_score_ids", {})
        if prefix not in cache:
            cache[prefix] = score_token_ids(self.tokenizer, prefix)
        return cache[prefix]

    def _generate(
        self, prompts: list[str], sampling: Sampling
    ) -> list[tuple[str, bool, int]]:
        raise NotImplementedError

    def _candidate_probs(
        self, prefixes: list[str], token_ids: list[int]
    ) -> list[list[float]]:
        raise NotImplementedError

    def continuation_logprobs(
        self, prefixes: list[str], continuations: list[str]
    ) -> list[list[float]]:
        """log p(continuation | prefix) of every continuation after every (rendered) prefix: how a
        forced multi-token verdict, such as an Arena-Hard label, is read."""
        raise EngineError(
            f"{type(self).__name__} cannot score continuations; use the transformers backend"
        )


def score_token_ids(tokenizer, prefix: str = POINTWISE.prefix) -> list[int]:
    """Token ids of the digits 0..9 as they follow a verdict prefix; checked, not assumed."""
    ids = []
    base = tokenizer.encode(prefix, add_special_tokens=False)
    for digit in DIGITS:
        full = tokenizer.encode(f"{prefix}{digit}", add_special_tokens=False)
        if full[:-1] != base or len(full) != len(base) + 1:
            raise EngineError(
                f"this tokenizer does not end {prefix!r} on a token boundary before the digit "
                f"{digit} ({base} vs {full}); the verdict position cannot be read"
            )
        ids.append(full[-1])
    return ids


class TransformersEngine(TokenizerEngine):
    def __init__(
        self,
        model_dir: str | Path,
        dtype: str = "bfloat16",
        batch_size: int = 16,
        device: str | None = None,
        chat_template_kwargs: dict | None = None,
        model=None,
        tokenizer=None,
    ):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.torch = torch
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.batch_size = batch_size
        self.chat_template_kwargs = chat_template_kwargs or {}
        if not Path(model_dir).is_dir() and model is None:
            raise FileNotFoundError(f"model folder {model_dir} does not exist")
        self.tokenizer = tokenizer or AutoTokenizer.from_pretrained(model_dir)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = model or AutoModelForCausalLM.from_pretrained(
            model_dir, dtype=getattr(torch, dtype)
        )
        self.model.to(self.device).eval()

    def _batches(self, texts: list[str]):
        # Sorting by length keeps padding small; results go back to the caller's order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            enc = self.tokenizer(
                [texts[i] for i in idx],
                return_tensors="pt",
                padding=True,
                add_special_tokens=False,
            )
            yield idx, enc.to(self.device)

    def _generate(
        self, prompts: list[str], sampling: Sampling
    ) -> list[tuple[str, bool, int]]:
        torch = self.torch
        out: list = [None] * len(prompts)
        stop_ids = {self.tokenizer.eos_token_id, self.tokenizer.pad_token_id}
        kwargs = {
            "max_new_tokens": sampling.max_tokens,
            "pad_token_id": self.tokenizer.pad_token_id,
        }
        if sampling.temperature > 0:
            # top_k=0 switches top-k off; None would fall back to the generation config's 50.
            kwargs.update(
                do_sample=True,
                temperature=sampling.temperature,
                top_p=sampling.top_p,
                top_k=sampling.top_k,
            )
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if sampling.stop:
            kwargs.update(stop_strings=list(sampling.stop), tokenizer=self.tokenizer)
        for idx, enc in self._batches(prompts):
            with torch.inference_mode():
                generated = self.model.generate(**enc, **kwargs)
            new = generated[:, enc["input_ids"].shape[1] :]
            for row, i in enumerate(idx):
                tokens = new[row].tolist()
                # A sequence that ended early is followed by eos / pad tokens up to the batch's length.
                ends = [k for k, t in enumerate(tokens) if t in stop_ids]
                n = ends[0] if ends else len(tokens)
                text = self.tokenizer.decode(tokens[:n], skip_special_tokens=True)
                out[i] = (text, bool(ends) or any(s in text for s in sampling.stop), n)
        return out

    def _candidate_probs(
        self, prefixes: list[str], token_ids: list[int]
    ) -> list[list[float]]:
        torch = self.torch
        out: list = [None] * len(prefixes)
        ids = torch.tensor(token_ids, device=self.device)
        for idx, enc in self._batches(prefixes):
            mask = enc["attention_mask"]
            # Left padding: positions must count real tokens only, as generate() does.
            position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
            with torch.inference_mode():
                logits = self.model(
                    **enc, position_ids=position_ids, logits_to_keep=1
                ).logits[:, -1, :]
            probs = torch.softmax(logits.float(), dim=-1)[:, ids]
            for row, i in enumerate(idx):
                out[i] = probs[row].tolist()
        return out

    def continuation_logprobs(
        self, prefixes: list[str], continuations: list[str]
    ) -> list[list[float]]:
        torch = self.torch
        tails = [
            self.tokenizer.encode(c, add_special_tokens=False) for c in continuations
        ]
        width = max(map(len, tails))
        pad = self.tokenizer.pad_token_id
        # Fed after the prefix: each continuation but its last token (that one is only scored).
        rest = torch.tensor(
            [t[:-1] + [pad] * (width - len(t)) for t in tails], device=self.device
        )
        out = []
        for prefix in prefixes:
            head = torch.tensor(
                [self.tokenizer.encode(prefix, add_special_tokens=False)],
                device=self.device,
            )
            with torch.inference_mode():
                # The shared prefix once; its cache then serves every continuation (right-padded,
                # so the padding comes after every token that is scored).
                first = self.model(input_ids=head, use_cache=True)
                cache = first.past_key_values
                cache.batch_repeat_interleave(len(tails))
                logits = (
                    self.model(input_ids=rest, past_key_values=cache).logits.float()
                    if width > 1
                    else None
                )
            start = torch.log_softmax(first.logits[0, -1].float(), dim=-1)
            scores = []
            for row, tail in enumerate(tails):
                total = float(start[tail[0]])
                if len(tail) > 1:
                    logp = torch.log_softmax(logits[row, : len(tail) - 1], dim=-1)
                    total += float(
                        logp[
                            torch.arange(len(tail) - 1),
                            torch.tensor(tail[1:], device=self.device),
                        ].sum()
                    )
                scores.append(total)
            out.append(scores)
        return out


def vllm_sampling_kwargs(sampling: Sampling) -> dict:
    """Our sampling settings as vllm.SamplingParams arguments."""
    kwargs = {
        "max_tokens": sampling.max_tokens,
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "top_k": sampling.top_k if sampling.top_k > 0 else -1,
        "seed": sampling.seed,
    }
    if sampling.stop:
        # Keep the stop string: a closed `</think>` is how a verdict's thinking is known to be complete.
        kwargs.update(stop=list(sampling.stop), include_stop_str_in_output=True)
    return kwargs


def _import_vllm():
    try:
        import vllm
    except ImportError as err:
        raise EngineError(
            "backend 'vllm' needs the vllm package, which is GPU-only and not in the CPU environment; "
            "install the GPU environment (envs/gpu.yaml) or set the backend to 'transformers'"
        ) from err
    return vllm


class VLLMEngine(TokenizerEngine):
    """The vLLM offline engine (GPU; vLLM's CPU build runs it on a CPU too).

    Prompts are rendered here by the model's chat template and go in as token ids, so that vLLM
    adds no second BOS token to a template that starts with one (Llama 3). `max_model_len` is
    always explicit: left to vLLM, it is the model's whole context (131K tokens for Llama 3.1),
    whose KV cache a shared GPU cannot hold.
    """

    TOP_LOGPROBS = (
        20  # vLLM's default max_logprobs; a judge puts its score mass in the top 20
    )

    def __init__(
        self,
        model_dir: str | Path,
        max_model_len: int,
        dtype: str = "bfloat16",
        tensor_parallel_size: int = 1,
        gpu_memory_utilization: float = 0.85,
        chat_template_kwargs: dict | None = None,
        seed: int = 0,
        enforce_eager: bool = False,
        **_,
    ):
        vllm = _import_vllm()
        self.vllm = vllm
        self.chat_template_kwargs = chat_template_kwargs or {}
        self.max_model_len = max_model_len
        self.llm = vllm.LLM(
            model=str(model_dir),
            dtype=dtype,
            tensor_parallel_size=tensor_parallel_size,
            gpu_memory_utilization=gpu_memory_utilization,
            max_model_len=max_model_len,
            max_logprobs=self.TOP_LOGPROBS,
            seed=seed,
            enforce_eager=enforce_eager,
        )
        self.tokenizer = self.llm.get_tokenizer()

    def token_prompts(self, texts: list[str], max_new_tokens: int) -> list[dict]:
        """Rendered prompts as token ids, checked against max_model_len: one over-long prompt
        would otherwise fail vLLM's whole batch with an error that names no prompt."""
        prompts = []
        for k, text in enumerate(texts):
            ids = self.tokenizer.encode(text, add_special_tokens=False)
            if len(ids) + max_new_tokens > self.max_model_len:
                raise EngineError(
                    f"prompt {k} has {len(ids)} tokens; with {max_new_tokens} new tokens it "
                    f"exceeds max_model_len {self.max_model_len}: raise the backend's "
                    "max_model_len or cap the data (data.max_instruction_tokens)"
                )
            prompts.append({"prompt_token_ids": ids})
        return prompts

    def _generate(
        self, prompts: list[str], sampling: Sampling
    ) -> list[tuple[str, bool, int]]:
        params = self.vllm.SamplingParams(**vllm_sampling_kwargs(sampling))
        results = self.llm.generate(
            self.token_prompts(prompts, sampling.max_tokens), params, use_tqdm=False
        )
        return [
            (
                r.outputs[0].text,
                r.outputs[0].finish_reason == "stop",
                len(r.outputs[0].token_ids),
            )
            for r in results
        ]

    def _candidate_probs(
        self, prefixes: list[str], token_ids: list[int]
    ) -> list[list[float]]:
        params = self.vllm.SamplingParams(
            max_tokens=1, temperature=0.0, logprobs=self.TOP_LOGPROBS
        )
        results = self.llm.generate(
            self.token_prompts(prefixes, 1), params, use_tqdm=False
        )
        out = []
        for r in results:
            # token id -> Logprob; a digit outside the top 20 counts as 0
            top = r.outputs[0].logprobs[0]
            out.append(
                [math.exp(top[t].logprob) if t in top else 0.0 for t in token_ids]
            )
        return out


def score_probs_from_logprobs(
    answer: str, logprobs: list[dict] | None, fmt: VerdictFormat = POINTWISE
) -> list[float] | None:
    """Probabilities of '0'..'9' at the verdict token of an HTTP answer, from its top_logprobs.

    The verdict token is found in the token stream itself: a reasoning model served by vLLM
    (gpt-oss) returns logprobs for every channel, its reasoning first, while `answer` holds the
    final channel only. The stream's last verdict line must be the answer's own.
    """
    match = find_score(answer, fmt)
    if not match or not logprobs:
        return None
    tokens = [entry.get("token", "") for entry in logprobs]
    found = find_score("".join(tokens), fmt)
    if found is None or found.group(1) != match.group(1):
        return None
    target, offset = found.start(1), 0
    for entry, token in zip(logprobs, tokens):
        if offset <= target < offset + max(len(token), 1):
            if token.strip() != match.group(1)[:1] or len(token.strip()) != 1:
                return None  # the digit shares a token with other text: no clean score position
            top = {
                t["token"].strip(): t["logprob"] for t in entry.get("top_logprobs", [])
            }
            top.setdefault(token.strip(), entry["logprob"])
            return [math.exp(top[str(d)]) if str(d) in top else 0.0 for d in DIGITS]
        offset += len(token)
    return None


RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


def post_json(
    client,
    url: str,
    body: dict,
    headers: dict | None = None,
    timeout_s: float = 600.0,
    max_retries: int = 5,
    backoff_s: float = 2.0,
) -> dict:
    """POST a JSON request to a judge server; retry transport errors and 408/409/429/5xx with
    exponential backoff, give up at once on other client errors, and name the server on failure."""
    import httpx

    last = None
    for attempt in range(max_retries):
        try:
            response = client.post(url, json=body, headers=headers, timeout=timeout_s)
            if response.status_code == 200:
                return response.json()
            last = f"HTTP {response.status_code}: {response.text[:200]}"
            if response.status_code not in RETRY_STATUS:
                raise EngineError(f"judge server {url} refused a request: {last}")
        except httpx.TransportError as err:
            last = f"{type(err).__name__}: {err}"
        if attempt + 1 < max_retries:
            time.sleep(backoff_s * 2**attempt)
    raise ServerDown(f"judge server {url} failed after {max_retries} tries: {last}")


class OpenAICompatibleEngine:
    """Chat completions over HTTP: a `vllm serve` of the gold model, or any compatible API."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key_env: str | None = None,
        max_concurrency: int = 16,
        timeout_s: float = 600.0,
        max_retries: int = 5,
        backoff_s: float = 2.0,
        extra_body: dict | None = None,
        top_logprobs: int = 20,
        **_,
    ):
        import httpx

        self.httpx = httpx
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        key = (
            os.environ.get(api_key_env, "")
            if api_key_env
            else os.environ.get("OPENAI_API_KEY", "EMPTY")
        )
        if api_key_env and not key:
            raise EngineError(
                f"environment variable {api_key_env} (the API key for {base_url}) is not set"
            )
        self.headers = {"Authorization": f"Bearer {key}"}
        self.max_concurrency, self.timeout_s = max_concurrency, timeout_s
        self.max_retries, self.backoff_s = max_retries, backoff_s
        self.extra_body = extra_body or {}
        self.top_logprobs = top_logprobs

    def payload(self, conversation: list[dict], sampling: Sampling) -> dict:
        body = {
            "model": self.model,
            "messages": conversation,
            "max_tokens": sampling.max_tokens,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
        }
        if sampling.top_k > 0:
            body["top_k"] = (
                sampling.top_k
            )  # honoured by vLLM's server; others ignore it
        if sampling.stop:
            body["stop"] = list(sampling.stop)
        if sampling.seed is not None:
            body["seed"] = sampling.seed
        if sampling.reasoning_effort:
            body["reasoning_effort"] = sampling.reasoning_effort
        if self.top_logprobs:
            body.update(logprobs=True, top_logprobs=self.top_logprobs)
        body.update(self.extra_body)
        return body

    def _post(self, client, body: dict) -> dict:
        return post_json(
            client,
            self.url,
            body,
            self.headers,
            self.timeout_s,
            self.max_retries,
            self.backoff_s,
        )

    def _one(self, client, conversation, sampling) -> Completion:
        data = self._post(client, self.payload(conversation, sampling))
        choice = data["choices"][0]
        message = choice.get("message") or {}
        answer = message.get("content") or ""
        reasoning = message.get("reasoning_content") or message.get("reasoning")
        logprobs = (choice.get("logprobs") or {}).get("content")
        n_tokens = (data.get("usage") or {}).get("completion_tokens", 0)
        return Completion(
            text=answer,
            finished=choice.get("finish_reason") == "stop",
            n_tokens=n_tokens,
            reasoning=reasoning,
            logprobs=logprobs,
        )

    def complete(
        self,
        conversations: list[list[dict]],
        sampling: Sampling,
        mode: str | None = None,
    ) -> list[Completion]:
        # The server thinks (or not) by its own switch (reasoning_effort / extra_body); nothing to prefill.
        with (
            self.httpx.Client() as client,
            ThreadPoolExecutor(self.max_concurrency) as pool,
        ):
            return list(
                pool.map(lambda c: self._one(client, c, sampling), conversations)
            )

    def score_probs(self, conversations, mode, reasonings, fmt=POINTWISE):
        raise EngineError(
            "backend 'openai' cannot force a score position; it reads score probabilities "
            "from the logprobs of the answer instead"
        )


def make_engine(model_dir: str | Path, model_spec: dict, backend: dict, seed: int = 0):
    """Build the engine that config asks for: backend = {kind, ...options}."""
    kind = backend.get("kind", "transformers")
    options = {k: v for k, v in backend.items() if k != "kind"}
    chat_kwargs = model_spec.get("chat_template_kwargs") or {}
    if kind == "transformers":
        return TransformersEngine(
            model_dir,
            dtype=model_spec.get("dtype", "bfloat16"),
            chat_template_kwargs=chat_kwargs,
            **options,
        )
    if kind == "vllm":
        if "max_model_len" not in options:
            raise EngineError(
                "backend 'vllm' needs max_model_len (prompt plus generated tokens); without "
                "it vLLM reserves the model's whole context"
            )
        return VLLMEngine(
            model_dir,
            dtype=model_spec.get("dtype", "bfloat16"),
            chat_template_kwargs=chat_kwargs,
            seed=seed,
            **options,
        )
    if kind == "known":
        # The gold as a known function (known_gold.py): no model, only its length range.
        from judgerl.known_gold import KnownGold

        return KnownGold(**{k: tuple(v) for k, v in options.items() if k == "length"})
    if kind == "openai":
        return OpenAICompatibleEngine(
            model=options.pop("served_model", model_spec.get("hub_id", str(model_dir))),
            **options,
        )
    raise EngineError(f"unknown inference backend {kind!r}; expected one of {BACKENDS}")


def with_stop(sampling: Sampling, *stops: str) -> Sampling:
    return replace(sampling, stop=tuple(dict.fromkeys([*sampling.stop, *stops])))
