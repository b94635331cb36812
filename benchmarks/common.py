"""What the benchmark scripts share: the repository on the path, the run they read (this
checkout's, or `RUN_DIR=<a finished run>`), the tiny model."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow_scripts"))
RUN = Path(os.environ.get("RUN_DIR", ROOT))
MODEL = RUN / "results/models/smollm2-135m"


def need_model():
    if not (MODEL / "config.json").exists():
        sys.exit(f"{MODEL} is missing: run the default first (make run)")
    return MODEL
