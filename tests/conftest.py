import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow_scripts"))

import pytest

CACHE = ROOT / "tests" / ".cache"


@pytest.fixture(scope="session")
def tiny_model_dir():
    """SmolLM2-135M-Instruct as a plain HF folder, prepared once (as rule prepare_model does)."""
    import yaml

    from judgerl.models import prepare

    target = CACHE / "smollm2-135m"
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
