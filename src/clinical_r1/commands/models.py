"""`clinical-r1 models convert MODEL.gguf OUT_DIR`: a GGUF file -> an ordinary HF model folder.

Every stage takes the folder (SFT and RL train it; `local:FILE.gguf` also works directly for
ask, eval, diagnose and serve, de-quantised on each load).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

console = Console()

models_app = typer.Typer(help="Model files: convert a GGUF file to an HF folder.", no_args_is_help=True)


@models_app.command("convert")
def convert(
    source: Path = typer.Argument(..., help="A .gguf file (any quantisation transformers reads)."),
    out: Path = typer.Argument(..., help="Folder to write (new or empty): safetensors, tokenizer, config."),
    threads: int | None = typer.Option(None, min=1, help="torch CPU threads (default: see docs/models.md)."),
) -> None:
    """De-quantise a GGUF model to float32 and save it as an HF folder every command can use."""
    from clinical_r1.llm.gguf import GGUFError, convert_gguf
    from clinical_r1.threads import apply_threads

    apply_threads(threads)
    try:
        info = convert_gguf(source, out)
    except GGUFError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from exc
    console.print(
        f"[green]{out}[/green]: {info['architecture']}, {info['parameters'] / 1e6:.1f}M parameters "
        f"(float32) from {source} ({info['source_bytes'] / 1e6:.0f} MB) in {info['seconds']:.0f} s"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
