"""Rule make_splits: the instruction source -> seeded, disjoint splits."""

import logging

from judgerl import data, files, runtime


def main(snakemake):
    runtime.setup(snakemake)
    log = logging.getLogger("make_splits")

    items = data.load_items(snakemake.params.data)
    splits = data.split_items(
        items, snakemake.params.data["splits"], snakemake.params.seed
    )
    for path in snakemake.output:
        name = path.rsplit("/", 1)[-1].removesuffix(".jsonl")
        files.write_jsonl(path, splits[name])
        log.info("%s: %d instructions", name, len(splits[name]))
    log.info(
        "%d instructions in the source, %d unused",
        len(items),
        len(items) - sum(map(len, splits.values())),
    )


if __name__ == "__main__":
    main(runtime.current_job(globals()))
