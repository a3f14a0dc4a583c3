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
def _root() -> None:
    """Turn clinical records into a reasoning-enhanced diagnostic LLM (ClinicalGPT-R1 recipe)."""


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
