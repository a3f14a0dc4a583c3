"""`clinical-r1 ask MODEL PROMPT`: one request to any model, to check a spec, key and endpoint."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from rich.console import Console

from clinical_r1.threads import THREADS_HELP, use_threads_option

console = Console()


def register(app: typer.Typer) -> None:
    @app.command("ask")
    def ask(
        model: str = typer.Argument(
            ..., help="Model spec: openai:MODEL[@URL], local:PATH, a folder, a hub id."
        ),
        prompt: str = typer.Argument(..., help="The user message."),
        system: str = typer.Option(None, help="An optional system message."),
        max_tokens: int = typer.Option(256, help="Most tokens to generate."),
        temperature: float = typer.Option(0.0, help="0 = greedy."),
        seed: int = typer.Option(None, help="Sampling seed."),
        n: int = typer.Option(1, help="Number of samples."),
        cache: Path = typer.Option(None, help="SQLite cache file (a second identical ask is free)."),
        stream: bool = typer.Option(False, help="Print text as it is generated (not cached)."),
        threads: int | None = typer.Option(None, min=1, help=THREADS_HELP),
    ) -> None:
        """Send one chat request and print the answer, its tokens and latency, and the usage table."""
        from clinical_r1.llm import ChatRequest, build_llm, generate_sync

        use_threads_option(threads)
        llm = build_llm(model, cache_path=cache)
        messages = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": prompt}
        ]
        request = ChatRequest(
            messages=messages, max_tokens=max_tokens, temperature=temperature, seed=seed, n=n
        )
        if stream:

            async def run() -> None:
                async for piece in llm.stream(request):
                    console.print(piece, end="", markup=False, highlight=False)
                await llm.aclose()

            asyncio.run(run())
            console.print()
        else:
            (response,) = generate_sync(llm, [request])
            if not response.ok:
                console.print(f"[red]failed:[/red] {response.error}")
                raise typer.Exit(1)
            for i, text in enumerate(response.texts):
                if n > 1:
                    console.rule(f"sample {i}")
                console.print(text, markup=False, highlight=False)
            console.print(
                f"[dim]finish={response.finish_reason} prompt_tokens={response.prompt_tokens} "
                f"completion_tokens={response.completion_tokens} latency={response.latency_s:.2f}s "
                f"cached={response.cached}[/dim]"
            )
        console.print(llm.ledger.table())
