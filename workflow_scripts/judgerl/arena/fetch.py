"""arena-hard-auto's files: its dataset's questions and answers (config `arena_hard.source`, the
Hugging Face dataset or a local copy of it) and its repository's judge-prompt files (config
`arena_hard.prompts`, GitHub at a commit or a local checkout)."""

from __future__ import annotations

import shutil
import urllib.request
from pathlib import Path

from judgerl import files
from judgerl.arena import prompts

RAW = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"


def repository_file(source: dict, path: str) -> str:
    """The text of `path` in arena-hard-auto's repository at `source`'s commit: from the local
    checkout `source["path"]` when given, else from GitHub."""
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


def judge_prompts(source: dict) -> dict:
    """arena-hard-auto's judge prompts at `source`'s commit, recording repository and commit."""
    return prompts.read_published(
        repository_file(source, prompts.JUDGE_UTILS),
        repository_file(source, prompts.BENCH_CONFIG),
        {"repo": source["repo"], "commit": source["commit"]},
    )


def dataset_file(source: dict, name: str) -> Path:
    """Where file `name` of arena-hard-auto's dataset lies here: in the local copy
    `source["path"]` when given, else downloaded from the Hub (`hub_id` at `revision`)."""
    if source.get("path"):
        path = Path(source["path"]) / name
        if not path.is_file():
            raise FileNotFoundError(f"arena_hard.source.path: {path} does not exist")
        return path
    from huggingface_hub import hf_hub_download

    try:
        return Path(
            hf_hub_download(
                source["hub_id"],
                name,
                repo_type="dataset",
                revision=source.get("revision"),
            )
        )
    except Exception as err:
        raise RuntimeError(
            f"could not fetch {name} from the dataset {source['hub_id']} "
            f"(revision {source.get('revision', 'main')}): {err}"
        ) from err


def copy_file(path: Path, output: str) -> None:
    """`path` copied onto `output` atomically."""
    with files.atomic_path(output) as tmp:
        shutil.copyfile(path, tmp)
