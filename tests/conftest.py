import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow_scripts"))

import pytest

CACHE = ROOT / "tests" / ".cache"


# `make test` runs two pytest-xdist workers, a test module on one worker (--dist loadfile, in this
# order: --no-loadscope-reorder). The two long modules come first, so they start side by side: the
# default run with the checks of its artifacts on one worker, the SLURM tests (mostly waiting on
# the scheduler) and then every other module on the other.
LONG_MODULES = ("test_end_to_end.py", "test_slurm.py")


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: LONG_MODULES.index(item.path.name) if item.path.name in LONG_MODULES
               else len(LONG_MODULES))


@pytest.fixture(scope="session")
def tiny_model_dir():
    """SmolLM2-135M-Instruct as a plain HF folder, prepared once (as rule prepare_model does)."""
    import yaml

    from judgerl.models import prepare

    from filelock import FileLock

    target = CACHE / "smollm2-135m"
    CACHE.mkdir(parents=True, exist_ok=True)
    with FileLock(str(CACHE / "smollm2-135m.lock")):  # two test workers may ask at once
        if not (target / "config.json").exists():
            spec = yaml.safe_load((ROOT / "config.yaml").read_text())["models"]["smollm2-135m"]
            prepare(spec, target)
    return target


@pytest.fixture(scope="session")
def tiny_engine(tiny_model_dir):
    import torch

    from judgerl.engines import TransformersEngine

    torch.set_num_threads(2)
    return TransformersEngine(tiny_model_dir, dtype="bfloat16", batch_size=4)


@pytest.fixture(scope="session")
def default_run(tmp_path_factory):
    """The embedded default run once, end to end, in a copy of the repository (minutes): the
    end-to-end tests check its artifacts, the SLURM tests start from its data."""
    import shutil
    import subprocess

    import yaml

    from test_workflow_dag import WORKFLOW

    if os.environ.get("E2E_RUN_DIR"):  # iterate on the checks against a finished run of this tree
        workdir = Path(os.environ["E2E_RUN_DIR"])
        return workdir, yaml.safe_load((workdir / "config.yaml").read_text())
    workdir = tmp_path_factory.mktemp("e2e")
    for name in WORKFLOW:
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, workdir / name)
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2"], cwd=workdir, capture_output=True,
                          text=True, timeout=3600)
    if proc.returncode != 0:
        raise AssertionError(f"the default workflow failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}")
    return workdir, yaml.safe_load((workdir / "config.yaml").read_text())
