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


# One line per stage module; each defines `register(app: typer.Typer) -> None`.
from clinical_r1.commands import tiny_model  # noqa: E402

tiny_model.register(app)


def main() -> None:  # pragma: no cover - entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
