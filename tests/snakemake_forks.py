"""Snakemake's own command line, run in a forked copy of a process that has already imported it.

Importing `snakemake.cli` costs about 2 s of the 2.5 s that a dry run of this workflow takes; the
DAG tests make some forty of them. This server imports it once, then forks for each request and
calls `snakemake.cli.main(args)` in the child, which is exactly what `python -m snakemake args`
does after its imports. It imports nothing else (no torch), so forking is safe.

Protocol, one JSON object per line: the request {"cwd", "args", "timeout"} on stdin, the reply
{"returncode", "timed_out", "stdout", "stderr"} on stdout.
"""

import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import snakemake.cli


def run(cwd: str, args: list[str], timeout: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        paths = [os.path.join(tmp, name) for name in ("stdout", "stderr")]
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.setsid()  # so that a timeout kills the jobs it started too
                os.chdir(cwd)
                for fd, path in zip((1, 2), paths):
                    os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT), fd)
                sys.stdout = os.fdopen(1, "w", closefd=False)
                sys.stderr = os.fdopen(2, "w", closefd=False)
                snakemake.cli.main(args)
                code = 0
            except SystemExit as exit:
                code = exit.code if isinstance(exit.code, int) else 1
            except BaseException:
                import traceback

                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        deadline = time.monotonic() + timeout
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                returncode, timed_out = os.waitstatus_to_exitcode(status), False
                break
            if time.monotonic() > deadline:
                os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                returncode, timed_out = -signal.SIGKILL, True
                break
            time.sleep(0.02)
        stdout, stderr = (Path(path).read_text(errors="replace") for path in paths)
    return {
        "returncode": returncode,
        "timed_out": timed_out,
        "stdout": stdout,
        "stderr": stderr,
    }


def main():
    for line in sys.stdin:
        request = json.loads(line)
        reply = run(request["cwd"], request["args"], request["timeout"])
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
