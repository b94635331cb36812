"""Rule fetch_arena_hard: arena-hard-auto's own files (its questions and its baselines' answers) from
the Hugging Face dataset that publishes them (config `arena_hard.source`), or a local copy of it,
once."""

import logging

from judgerl import runtime
from judgerl.arena import fetch


def main(snakemake):
    runtime.setup(snakemake)
    log = logging.getLogger("fetch_arena_hard")
    source = snakemake.params.source
    for name, output in zip(snakemake.params.files, snakemake.output, strict=True):
        path = fetch.dataset_file(source, name)
        fetch.copy_file(path, output)
        log.info("%s -> %s", path if source.get("path") else name, output)


if __name__ == "__main__":
    main(runtime.current_job(globals()))
