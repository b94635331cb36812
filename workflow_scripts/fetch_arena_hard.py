"""Rule fetch_arena_hard: arena-hard-auto's own files (its questions and its baselines' answers) from
the Hugging Face dataset that publishes them (config `arena_hard.source`), or a local copy of it,
once."""

import logging
import shutil
from pathlib import Path

from judgerl import files, runtime


def main(snakemake):
    runtime.setup(snakemake)
    log = logging.getLogger("fetch_arena_hard")
    source = snakemake.params.source
    from huggingface_hub import hf_hub_download

    for name, output in zip(snakemake.params.files, snakemake.output, strict=True):
        if source.get("path"):  # a local copy of the dataset
            path = Path(source["path"]) / name
            if not path.is_file():
                raise FileNotFoundError(
                    f"arena_hard.source.path: {path} does not exist"
                )
            with files.atomic_path(output) as tmp:
                shutil.copyfile(path, tmp)
            log.info("%s -> %s", path, output)
            continue
        try:
            path = hf_hub_download(
                source["hub_id"],
                name,
                repo_type="dataset",
                revision=source.get("revision"),
            )
        except Exception as err:
            raise RuntimeError(
                f"could not fetch {name} from the dataset {source['hub_id']} "
                f"(revision {source.get('revision', 'main')}): {err}"
            ) from err
        with files.atomic_path(output) as tmp:
            shutil.copyfile(path, tmp)
        log.info("%s -> %s", name, output)


if __name__ == "__main__":
    main(runtime.current_job(globals()))
