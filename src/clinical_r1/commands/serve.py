"""`clinical-r1 serve --model SPEC`: the HTTP API and web page (clinical_r1.serve.app)."""

from __future__ import annotations

import logging

import typer
from rich.console import Console

from clinical_r1.formatting import Style

console = Console(stderr=True)


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        model: str = typer.Option(
            ...,
            "--model",
            help="Model spec: local:PATH, a model folder, openai:MODEL@http://host:port/v1, ...",
        ),
        host: str = typer.Option("127.0.0.1", help="Address to bind (loopback by default)."),
        port: int = typer.Option(8080, help="Port to listen on."),
        max_concurrency: int = typer.Option(4, help="Requests generating at once."),
        max_queue: int = typer.Option(16, help="Requests waiting for a slot; beyond that: 503."),
        max_tokens: int = typer.Option(1024, help="Default most tokens per answer."),
        max_tokens_limit: int = typer.Option(4096, help="The most tokens a request may ask for."),
        max_case_chars: int = typer.Option(20000, help="Longest case text accepted (characters)."),
        style: Style = typer.Option(
            "r1", "--style", help="Output style the model was trained to write (SFT's); parsed strictly."
        ),
        api_key_env: str = typer.Option(
            "CLINICAL_R1_API_KEY", help="Environment variable holding the API key (unset: no key needed)."
        ),
        log_cases: bool = typer.Option(
            False,
            "--log-cases",
            help="Write case text and diagnoses to the log (patient data: off by default).",
        ),
        threads: int = typer.Option(None, help="torch CPU threads for a local model."),
    ) -> None:
        """Serve the API (POST /v1/diagnose, /v1/diagnose/stream, GET /health) and the web page at /."""
        import uvicorn

        from clinical_r1.llm import ModelSpec, build_llm
        from clinical_r1.serve.app import ServeSettings, create_app
        from clinical_r1.serve.diagnose import DiagnoseSettings

        spec = ModelSpec.parse(model)
        if threads is not None:
            spec = spec.model_copy(update={"threads": threads})
        settings = ServeSettings(
            max_concurrency=max_concurrency,
            max_queue=max_queue,
            max_tokens_limit=max_tokens_limit,
            max_case_chars=max_case_chars,
            api_key_env=api_key_env,
            log_cases=log_cases,
            diagnose=DiagnoseSettings(max_tokens=min(max_tokens, max_tokens_limit), style=style),
        )
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        for noisy in ("httpx", "httpx2"):  # one line per model call (URL only) is noise here
            logging.getLogger(noisy).setLevel(logging.WARNING)
        if host not in ("127.0.0.1", "localhost", "::1"):
            console.print(
                f"[yellow]warning:[/yellow] binding {host}: the API is reachable from other machines"
            )
        if log_cases:
            console.print("[yellow]warning:[/yellow] --log-cases: case text (patient data) goes to the log")
        app = create_app(build_llm(spec), settings)
        console.print(f"clinical-r1 serving {spec.label} on http://{host}:{port}/  (API docs: /docs)")
        uvicorn.run(app, host=host, port=port, log_level="info")
