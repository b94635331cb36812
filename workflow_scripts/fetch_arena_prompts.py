"""Rule fetch_arena_prompts: arena-hard-auto's judge prompts, verbatim, from its repository at the
configured commit (GitHub, or a local checkout `path`), into one JSON file that records where they
came from (judgerl/arena/prompts.py reads them)."""

import logging

from judgerl import files, runtime
from judgerl.arena import fetch


def main(snakemake):
    runtime.setup(snakemake)
    log = logging.getLogger("fetch_arena_prompts")
    source = snakemake.params.source
    prompts = fetch.judge_prompts(source)
    files.write_json(snakemake.output.prompts, prompts)
    log.info(
        "%s @ %s: system prompts of %s",
        source["repo"],
        source["commit"],
        ", ".join(sorted(prompts["system_prompts"])),
    )


if __name__ == "__main__":
    main(runtime.current_job(globals()))
