"""GGUF model files (llama.cpp's format, what most laptop users hold): load de-quantised, convert to a folder.

transformers reads a GGUF file itself (`from_pretrained(folder, gguf_file=name)`, with the `gguf`
package installed) and de-quantises every tensor to the dtype asked for (float32 here). The model it
returns is marked "quantized with gguf" and `save_pretrained` refuses it, although its weights are
ordinary tensors; `load_gguf` therefore copies the weights into a model built from the same config
without the quantization entry. That model saves, trains and generates like any other.

Cost: the weights are held twice for a moment while copying (a 135M model: 2 x 0.54 GB float32).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"


class GGUFError(ValueError):
    """A GGUF file that cannot be used, with the file named in the message."""


def is_gguf_path(name: str | Path) -> bool:
    """True when `name` names a GGUF file (by its suffix; whether it exists is checked on load)."""
    return str(name).lower().endswith(".gguf")


def check_gguf_file(path: str | Path) -> Path:
    """The resolved path of a readable GGUF file, or a GGUFError saying what is wrong with it."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise GGUFError(f"{file}: GGUF file not found")
    with file.open("rb") as fh:
        magic = fh.read(4)
    if magic != GGUF_MAGIC:
        raise GGUFError(f"{file}: not a GGUF file (it starts with {magic!r}, a GGUF file with b'GGUF')")
    if importlib.util.find_spec("gguf") is None:
        raise GGUFError(f"{file}: reading GGUF files needs the 'gguf' package: pip install gguf")
    return file.resolve()


def load_gguf(path: str | Path, dtype: Any = None) -> tuple[Any, Any]:
    """(tokenizer, model) from a GGUF file, de-quantised to `dtype` (default float32), in eval mode
    on the CPU, with no quantization entry left in its config (so save_pretrained works)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    file = check_gguf_file(path)
    dtype = dtype or torch.float32
    start = time.perf_counter()
    try:
        tokenizer = AutoTokenizer.from_pretrained(file.parent, gguf_file=file.name)
        loaded = AutoModelForCausalLM.from_pretrained(file.parent, gguf_file=file.name, dtype=dtype)
    except (ValueError, KeyError, OSError, RuntimeError) as exc:  # unsupported architecture, bad tensors
        raise GGUFError(f"{file}: transformers cannot load it: {type(exc).__name__}: {exc}") from exc
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    # Tied output embeddings are not a key of their own in some models; anything else is a real mismatch.
    missing = [k for k in missing if not (k == "lm_head.weight" and config.tie_word_embeddings)]
    if missing or unexpected:
        raise GGUFError(
            f"{file}: weights do not match the config (missing {missing}, unexpected {unexpected})"
        )
    model.generation_config = loaded.generation_config
    del loaded
    params = sum(p.numel() for p in model.parameters())
    log.info("loaded %s: %.1fM parameters de-quantised to %s in %.0f s", file, params / 1e6, dtype,
             time.perf_counter() - start)  # fmt: skip
    return tokenizer, model.eval()


def convert_gguf(path: str | Path, out_dir: str | Path) -> dict[str, Any]:
    """Write the GGUF model as an ordinary HF folder (float32 safetensors, tokenizer, chat template).

    Returns what was written (also saved as OUT_DIR/gguf_source.json: the source file, its size and
    the parameter count), so a folder says where it came from."""
    file = check_gguf_file(path)
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        if not (out / "gguf_source.json").is_file():
            raise GGUFError(f"{out}: folder exists and is not empty; choose a new folder")
    start = time.perf_counter()
    tokenizer, model = load_gguf(file)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    info = {
        "source": str(file),
        "source_bytes": file.stat().st_size,
        "parameters": sum(p.numel() for p in model.parameters()),
        "architecture": model.config.model_type,
        "dtype": "float32",
        "seconds": round(time.perf_counter() - start, 1),
    }
    (out / "gguf_source.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info
