"""`clinical-r1 tiny-model`: build the tiny offline model."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

console = Console()


def register(app: typer.Typer) -> None:
    @app.command("tiny-model")
    def tiny_model(
        out_dir: Path = typer.Argument(..., help="Folder to write the HF model + tokenizer into."),
        corpus: list[Path] = typer.Option(None, "--corpus", help="JSONL files to train the tokenizer on."),
        vocab_size: int = typer.Option(4096, help="Tokenizer vocabulary size."),
        seed: int = typer.Option(0, help="Weight-init seed."),
    ) -> None:
        """Build a tiny Qwen2-architecture model with a locally trained tokenizer (CPU, offline)."""
        from clinical_r1.tiny import build_tiny_model

        path = build_tiny_model(out_dir, corpus_files=corpus or None, vocab_size=vocab_size, seed=seed)
        size = sum(f.stat().st_size for f in path.iterdir()) / 1e6
        console.print(f"[green]tiny model written to[/green] {path} ({size:.1f} MB)")
