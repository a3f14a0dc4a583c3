"""The `clinical-r1` command: one thin sub-command per stage (parse, call, print).

Each stage's commands live in `clinical_r1.commands.<stage>` and register themselves here.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="clinical-r1",
    help="Turn clinical records into a reasoning-enhanced diagnostic LLM (ClinicalGPT-R1 recipe).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root(ctx: typer.Context) -> None:
    """Turn clinical records into a reasoning-enhanced diagnostic LLM (ClinicalGPT-R1 recipe)."""
    _private_umask(ctx)


def _private_umask(ctx: typer.Context) -> None:
    """Every command runs under the private umask (CLINICAL_R1_UMASK, default 077: files 0600 in folders
    0700), so whatever it writes from patient records (runs, benchmarks, models, de-identified files) is
    private without each command having to remember it; the shell's umask comes back when it ends."""
    from clinical_r1.safe_io import private_umask

    try:
        ctx.with_resource(private_umask())  # left when the command's context closes
    except ValueError as exc:  # CLINICAL_R1_UMASK set to something that is not a umask
        from rich.console import Console

        from clinical_r1.cli_errors import fail

        raise fail(Console(), str(exc)) from exc


def _register_commands() -> None:
    """Every module in clinical_r1.commands defines `register(app)`; adding a stage adds a module."""
    import importlib
    import pkgutil

    from clinical_r1 import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"clinical_r1.commands.{info.name}").register(app)


_register_commands()


def main() -> None:  # pragma: no cover - entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
