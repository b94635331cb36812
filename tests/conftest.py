"""What the tests share: copies of the workflow and Snakemake runs in them (`dag`), the tiny
model, and the default run end to end (`default_run`, minutes: marked slow where it is used)."""

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "tests" / ".cache"
# What a copy of the workflow needs to run: everything but results, logs and tests.
WORKFLOW = [
    "Snakefile",
    "rules",
    "schemas",
    "workflow_scripts",
    "config.yaml",
    "configs",
    "resources",
    "profiles",
    "envs",
    "report",
]


# `make test` runs two pytest-xdist workers, a test module on one worker (--dist loadfile, in this
# order: --no-loadscope-reorder). The two long modules come first, so they start side by side: the
# default run with the checks of its artifacts on one worker, the SLURM tests (mostly waiting on
# the scheduler) and then every other module on the other.
LONG_MODULES = ("test_end_to_end.py", "test_slurm.py")


def pytest_collection_modifyitems(items):
    items.sort(
        key=lambda item: LONG_MODULES.index(item.path.name)
        if item.path.name in LONG_MODULES
        else len(LONG_MODULES)
    )


def copy_workflow(dest: Path) -> Path:
    """A copy of the workflow (no results) at `dest`, modification times kept: over an earlier
    copy (benchmarks/learning_variance.py), Snakemake reruns what changed and nothing more."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in WORKFLOW:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(
                src,
                dest / name,
                ignore=shutil.ignore_patterns("__pycache__"),
                dirs_exist_ok=True,
            )
        else:
            shutil.copy2(src, dest / name)
    return dest


class SnakemakeForks:
    """One `snakemake_forks.py` server per test process: Snakemake runs without paying its
    imports each time (see that file)."""

    def __init__(self):
        self.proc = None

    def run(self, workdir, args, timeout):
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen(
                [sys.executable, str(ROOT / "tests" / "snakemake_forks.py")],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        request = {"cwd": str(workdir), "args": list(args), "timeout": timeout}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        if reply["timed_out"]:
            raise subprocess.TimeoutExpired(["snakemake", *args], timeout)
        return subprocess.CompletedProcess(
            args, reply["returncode"], reply["stdout"], reply["stderr"]
        )


FORKS = SnakemakeForks()


def run_snakemake(workdir, *args, check=True, timeout=600, fresh_process=False):
    """`snakemake args` in `workdir`; a fresh Python process only where asked (the runs that
    stand for a user's), a fork of a warm one otherwise."""
    if fresh_process:
        proc = subprocess.run(
            [sys.executable, "-m", "snakemake", *args],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    else:
        proc = FORKS.run(workdir, args, timeout)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return proc


def job_blocks(out: str) -> list[str]:
    """The job blocks of a dry run's output."""
    return [
        block
        for block in re.split(r"\n\s*\n", out)
        if re.match(r"^\[.*\]\n(local)?rule \S+:", block.strip())
    ]


def planned_jobs(workdir, *args) -> set[tuple[str, str]]:
    """(rule, wildcards) of every job a dry run (of `args`: targets, options) would execute."""
    out = run_snakemake(workdir, "--dry-run", *args).stdout
    jobs, rule = set(), None
    for line in out.splitlines():
        if m := re.match(r"^(?:local)?rule (\S+):", line):
            rule = m.group(1)
            jobs.add((rule, ""))
        elif rule and (m := re.match(r"^\s+wildcards: (.*)$", line)):
            jobs.discard((rule, ""))
            jobs.add((rule, m.group(1)))
        elif not line.strip():
            rule = None
    return jobs


def run_saved_job(workdir, script, inputs, outputs, params, rule=None):
    """Run a rule's script from a saved job, as `python <script> <job file>` reruns a job:
    `inputs` and `outputs` map names to a path or a list of paths."""

    def named(mapping):
        items = [
            x for v in mapping.values() for x in (v if isinstance(v, list) else [v])
        ]
        return {"items": items, "named": mapping}

    rule = rule or script
    job = {
        "input": named(inputs),
        "output": named(outputs),
        "log": {"items": [f"{rule}.log"], "named": {}},
        "params": params,
        "wildcards": {},
        "threads": 1,
        "rule": rule,
        "scriptdir": str(ROOT / "workflow_scripts"),
        "launched": {},
    }
    (workdir / f"{rule}.job.json").write_text(json.dumps(job))
    subprocess.run(
        [sys.executable, ROOT / f"workflow_scripts/{script}.py", f"{rule}.job.json"],
        cwd=workdir,
        check=True,
    )


@pytest.fixture
def run_job():
    return run_saved_job


@pytest.fixture(scope="session")
def dag():
    """Workflow copies and Snakemake runs in them, for the tests that drive the workflow."""
    return SimpleNamespace(
        copy=copy_workflow,
        snakemake=run_snakemake,
        planned=planned_jobs,
        blocks=job_blocks,
    )


@pytest.fixture(scope="session")
def tiny_model_dir():
    """SmolLM2-135M-Instruct as a plain HF folder, prepared once (as rule prepare_model does)."""
    import yaml
    from filelock import FileLock

    from judgerl.models import prepare

    target = CACHE / "smollm2-135m"
    CACHE.mkdir(parents=True, exist_ok=True)
    with FileLock(str(CACHE / "smollm2-135m.lock")):  # two test workers may ask at once
        if not (target / "config.json").exists():
            spec = yaml.safe_load((ROOT / "config.yaml").read_text())["models"][
                "smollm2-135m"
            ]
            prepare(spec, target)
    return target


@pytest.fixture(scope="session", autouse=True)
def torch_threads():
    """The cores shared among the test processes: two torch threads in each of two pytest-xdist
    workers would oversubscribe a 2-core machine."""
    import torch

    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))


@pytest.fixture(scope="session")
def tiny_engine(tiny_model_dir):
    from judgerl.engines import TransformersEngine

    return TransformersEngine(tiny_model_dir, dtype="bfloat16", batch_size=4)


@pytest.fixture(scope="session")
def tiny_engine_fp32(tiny_model_dir):
    """The tiny model in float32: for tests about arithmetic, which bf16 kernels would blur
    differently on different machines."""
    from judgerl.engines import TransformersEngine

    return TransformersEngine(tiny_model_dir, dtype="float32", batch_size=4)


@contextmanager
def memory_heavy():
    """Held by the runs that take most of a 2-core, 23 GB machine's memory: the default run,
    and the multi-node layout's two vLLM servers beside two trainers (about 14 GB alone), so
    that the two test workers never run both at once (the kernel killed a trainer when they
    did)."""
    from filelock import FileLock

    CACHE.mkdir(parents=True, exist_ok=True)
    with FileLock(str(CACHE / "memory-heavy.lock")):
        yield


@pytest.fixture(scope="session")
def default_run(tmp_path_factory):
    """The embedded default run once, end to end, in a copy of the repository (minutes): the
    end-to-end tests check its artifacts."""
    import yaml

    if os.environ.get(
        "E2E_RUN_DIR"
    ):  # iterate on the checks against a finished run of this tree
        workdir = Path(os.environ["E2E_RUN_DIR"])
        return workdir, yaml.safe_load((workdir / "config.yaml").read_text())
    workdir = copy_workflow(tmp_path_factory.mktemp("e2e"))
    with memory_heavy():
        run_snakemake(workdir, "--cores", "2", timeout=3600, fresh_process=True)
    return workdir, yaml.safe_load((workdir / "config.yaml").read_text())


class FakeServer:
    """A chat-completions server on loopback that answers from a script of responses."""

    def __init__(self, script):
        self.script, self.requests = list(script), []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(body)
                status, payload = (
                    outer.script.pop(0) if outer.script else (200, outer.reply(body))
                )
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @staticmethod
    def reply(body):
        user = body["messages"][-1]["content"]
        score = "7" if "good" in user else "2"
        # As vLLM returns a reasoning model's (gpt-oss) logprobs: every channel, the reasoning
        # (which may quote a verdict line of its own) before the final answer's tokens.
        reasoning = ["I", " compared", " it", ".", " Score", ":", " ", "3", "?"]
        channel = [
            "<|end|>",
            "<|start|>",
            "assistant",
            "<|channel|>",
            "final",
            "<|message|>",
        ]
        tokens = [*reasoning, *channel, "Score", ":", " ", score]
        top = [
            {"token": score, "logprob": -0.1},
            {"token": "6", "logprob": -2.5},
            {"token": "x", "logprob": -3.0},
        ]
        return {
            "choices": [
                {
                    "message": {
                        "content": f"Score: {score}",
                        "reasoning_content": "I compared it with the rules.",
                    },
                    "finish_reason": "stop",
                    "logprobs": {
                        "content": [
                            {
                                "token": t,
                                "logprob": -0.1,
                                "top_logprobs": top if k == len(tokens) - 1 else [],
                            }
                            for k, t in enumerate(tokens)
                        ]
                    },
                }
            ],
            "usage": {"completion_tokens": 42},
        }

    def close(self):
        self.httpd.shutdown()


@pytest.fixture
def fake_server():
    """A scripted chat-completions server on loopback: `fake_server(script)` (close() it)."""
    return FakeServer
