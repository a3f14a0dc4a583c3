"""`clinical-r1 diagnose --model SPEC [CASE_FILE | -]`: diagnose one case in the terminal."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from clinical_r1.formatting import Style
from clinical_r1.threads import THREADS_HELP

# The prompting options of every command that asks a model directly (diagnose, serve).
STYLE_HELP = (
    "Output style the model was trained to write; parsed strictly. Default: the model "
    "folder's clinical_r1.json, else r1."
)
SYSTEM_PROMPT_HELP = (
    "System prompt: 'en=TEXT' / 'zh=TEXT' for one language, TEXT for both ('' = none); "
    "repeat for both. Default: the model folder's clinical_r1.json, else the built-in prompts."
)
FORCE_PROMPTS_HELP = (
    "Use --style / --system-prompt even where they contradict the "
    "model's clinical_r1.json (else that is an error)."
)
STYLE_OPTION = typer.Option(None, "--style", help=STYLE_HELP)
SYSTEM_PROMPT_OPTION = typer.Option(None, "--system-prompt", help=SYSTEM_PROMPT_HELP)
FORCE_PROMPTS_OPTION = typer.Option(False, "--force-prompts", help=FORCE_PROMPTS_HELP)

console = Console()
err = Console(stderr=True)


def read_case(source: str | None) -> tuple[str, str | None]:
    """(case text, language or None) from a file, "-" (stdin) or, with no source, stdin or a prompt.

    A JSON object with a "case" field (e.g. one line of a records file) gives its case and language.
    """
    if source is not None and source != "-":
        path = Path(source)
        if not path.is_file():
            raise typer.BadParameter(f"no such file: {source}", param_hint="CASE_FILE")
        text = path.read_text(encoding="utf-8")
    elif source == "-" or not sys.stdin.isatty():
        text = sys.stdin.read()
    else:
        err.print("Type or paste the case; an empty line (or Ctrl-D) ends it:")
        lines: list[str] = []
        for line in sys.stdin:
            if not line.strip() and lines:
                break
            lines.append(line)
        text = "".join(lines)
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            obj = json.loads(stripped)
        except ValueError:
            obj = None
        if isinstance(obj, dict) and isinstance(obj.get("case"), str):
            language = obj.get("language") if obj.get("language") in ("en", "zh") else None
            return obj["case"], language
    return text, None


def register(app: typer.Typer) -> None:
    @app.command("diagnose")
    def diagnose(
        case_file: str = typer.Argument(
            None, help="A text file with the case, '-' for stdin; none: stdin or an interactive prompt."
        ),
        model: str = typer.Option(
            ..., "--model", help="Model spec: local:PATH, a folder, openai:MODEL[@URL]."
        ),
        language: str = typer.Option(None, help="en or zh (default: detected from the case)."),
        max_tokens: int = typer.Option(1024, help="Most tokens to generate."),
        temperature: float = typer.Option(0.0, help="0 = greedy."),
        style: Style = STYLE_OPTION,
        system_prompt: list[str] = SYSTEM_PROMPT_OPTION,
        force_prompts: bool = FORCE_PROMPTS_OPTION,
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object (no streaming)."),
        threads: int = typer.Option(None, min=1, help=THREADS_HELP),
    ) -> None:
        """Read a case, stream the model's reasoning, then print the response, the diagnosis and its
        ICD-10 candidates."""
        from rich.markup import escape

        from clinical_r1.llm import LLMError, ModelSpec, build_llm
        from clinical_r1.prompt_contract import PromptContractError, system_prompt_options
        from clinical_r1.serve.diagnose import Diagnoser, DiagnoseResult, DiagnoseSettings, warm_up

        if language not in (None, "en", "zh"):
            raise typer.BadParameter(f"{language!r}: use en or zh", param_hint="--language")
        text, record_language = read_case(case_file)
        if not text.strip():
            raise typer.BadParameter("the case is empty", param_hint="CASE_FILE")
        spec = ModelSpec.parse(model)
        if threads is not None:
            spec = spec.model_copy(update={"threads": threads})
        settings = DiagnoseSettings(
            max_tokens=max_tokens,
            temperature=temperature,
            style=style,
            system_prompts=system_prompt_options(system_prompt),
            force_prompts=force_prompts,
        )
        try:
            diagnoser = Diagnoser(build_llm(spec), settings)
        except PromptContractError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(2) from None
        language = language or record_language

        async def run() -> DiagnoseResult:
            try:
                if spec.backend == "local":
                    err.print(f"[dim]loading {spec.model}…[/dim]")
                await warm_up(diagnoser.llm)  # so the timings below are the model's, not the loading's
                if as_json:
                    return await diagnoser.diagnose(text, language)
                return await _stream(diagnoser, text, language)
            finally:
                await diagnoser.llm.aclose()

        try:
            result = asyncio.run(run())
        except LLMError as exc:
            err.print(f"[red]the model failed:[/red] {exc}")
            raise typer.Exit(1) from None
        if as_json:
            console.print_json(result.model_dump_json())
        else:
            _print_result(result)


async def _stream(diagnoser, text: str, language: str | None):
    from clinical_r1.serve.diagnose import Delta

    section = None
    async for item in diagnoser.stream(text, language):
        if not isinstance(item, Delta):
            console.print()
            return item
        if item.section != section:
            if section is not None:
                console.print()
            console.rule("Reasoning" if item.section == "thinking" else "Final response", style="dim")
            section = item.section
        style = "dim" if item.section == "thinking" else None
        console.print(item.text, end="", style=style, markup=False, highlight=False)
    raise RuntimeError("the stream ended without a result")


def _print_result(result) -> None:
    if result.diagnosis:
        body = Table.grid(padding=(0, 2))
        body.add_row("[bold]Diagnosis[/bold]", f"[bold green]{_escape(result.diagnosis)}[/bold green]")
        for c in result.icd10:
            body.add_row("ICD-10", f"{c.code}  {_escape(c.description)}  [dim]({c.block})[/dim]")
        border = "green"
    else:
        body = Table.grid()
        body.add_row(f"[bold red]No diagnosis extracted[/bold red]: {_escape(result.error or 'none named')}")
        border = "red"
    console.print(Panel(body, title=result.model, border_style=border, expand=False))
    t = result.timings
    first = "" if t.first_token_s is None else f"first token {t.first_token_s:.2f}s, "
    console.print(f"[dim]{first}total {t.total_s:.2f}s, language {result.language}[/dim]")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
