"""Rule fetch_arena_prompts: arena-hard-auto's judge prompts, verbatim, from its repository at the
configured commit (GitHub, or a local checkout `path`), into one JSON file that records where they
came from (judgerl/arena_prompts.py reads them)."""

import logging
import urllib.request
from pathlib import Path

from judgerl import arena_prompts, files, runtime

RAW = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"


def read_file(source: dict, path: str) -> str:
    if source.get("path"):
        local = Path(source["path"]) / path
        if not local.is_file():
            raise FileNotFoundError(
                f"arena_hard.prompts.path: {local} does not exist (a checkout of "
                f"{source['repo']} at {source['commit']} has it)"
            )
        return local.read_text()
    url = RAW.format(repo=source["repo"], commit=source["commit"], path=path)
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.read().decode()
    except OSError as err:
        raise RuntimeError(f"could not fetch {url}: {err}") from err


def main(snakemake):
    runtime.setup(snakemake)
    log = logging.getLogger("fetch_arena_prompts")
    source = snakemake.params.source
    prompts = arena_prompts.read(
        read_file(source, arena_prompts.JUDGE_UTILS),
        read_file(source, arena_prompts.BENCH_CONFIG),
        {"repo": source["repo"], "commit": source["commit"]},
    )
    files.write_json(snakemake.output.prompts, prompts)
    log.info(
        "%s @ %s: system prompts of %s",
        source["repo"],
        source["commit"],
        ", ".join(sorted(prompts["system_prompts"])),
    )


if __name__ == "__main__":
    main(runtime.current_job(globals()))
