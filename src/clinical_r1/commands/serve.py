"""`clinical-r1 serve --model SPEC`: the HTTP API and web page (clinical_r1.serve.app)."""

from __future__ import annotations

import logging
import os

import typer
from rich.console import Console

from clinical_r1.commands.diagnose import FORCE_PROMPTS_OPTION, STYLE_OPTION, SYSTEM_PROMPT_OPTION
from clinical_r1.formatting import Style
from clinical_r1.threads import THREADS_HELP

console = Console(stderr=True)


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        model: str = typer.Option(
            ...,
            "--model",
            help="Model spec: local:PATH, a model folder, openai:MODEL@http://host:port/v1, ...",
        ),
        host: str = typer.Option(
            "127.0.0.1",
            help="Address to bind (loopback by default). Any other address needs an API key "
            "(--api-key-env) of 16+ characters, else the server refuses to start.",
        ),
        port: int = typer.Option(8080, help="Port to listen on."),
        max_concurrency: int = typer.Option(4, help="Requests generating at once."),
        max_queue: int = typer.Option(16, help="Requests waiting for a slot; beyond that: 503."),
        max_tokens: int = typer.Option(1024, help="Default most tokens per answer."),
        max_tokens_limit: int = typer.Option(4096, help="The most tokens a request may ask for."),
        max_case_chars: int = typer.Option(20000, help="Longest case text accepted (characters)."),
        style: Style = STYLE_OPTION,
        system_prompt: list[str] = SYSTEM_PROMPT_OPTION,
        force_prompts: bool = FORCE_PROMPTS_OPTION,
        api_key_env: str = typer.Option(
            "CLINICAL_R1_API_KEY", help="Environment variable holding the API key (unset: no key needed)."
        ),
        allowed_host: list[str] = typer.Option(
            None,
            "--allowed-host",
            help="A Host header value to answer (name, [IPv6], *.domain, name:port; '*' = any); repeat "
            "for more. Default: localhost, 127.0.0.1, [::1] and the --host address. Others get 400.",
        ),
        read_timeout: float = typer.Option(
            10.0, help="Seconds a client has to send a whole request (headers and body); then 408, closed."
        ),
        docs: bool = typer.Option(True, "--docs/--no-docs", help="Serve /docs (Swagger UI), /openapi.json."),
        log_cases: bool = typer.Option(
            False,
            "--log-cases",
            help="Write case text and diagnoses to the log (patient data: off by default).",
        ),
        threads: int = typer.Option(None, min=1, help=THREADS_HELP),
    ) -> None:
        """Serve the API (POST /v1/diagnose, /v1/diagnose/stream, GET /health) and the web page at /."""
        import uvicorn
        from rich.markup import escape

        from clinical_r1.llm import ModelSpec, build_llm
        from clinical_r1.prompt_contract import PromptContractError, system_prompt_options
        from clinical_r1.serve.app import ServeSettings, create_app
        from clinical_r1.serve.diagnose import DiagnoseSettings
        from clinical_r1.serve.security import (
            BindRefused,
            check_bind,
            default_allowed_hosts,
            is_loopback,
            parse_allowed_hosts,
        )
        from clinical_r1.serve.server import uvicorn_config

        try:  # before the model is loaded: a refused start costs nothing
            check_bind(host, os.environ.get(api_key_env) or None, api_key_env)
        except BindRefused as exc:
            console.print(f"[red]error:[/red] {exc}", soft_wrap=True)
            raise typer.Exit(2) from None
        allowed_hosts = allowed_host or default_allowed_hosts(host)
        try:
            parse_allowed_hosts(allowed_hosts)
        except ValueError as exc:
            console.print(f"[red]error:[/red] --allowed-host: {exc}")
            raise typer.Exit(2) from None
        if read_timeout <= 0:
            console.print(
                f"[red]error:[/red] --read-timeout: {read_timeout} is not a positive number of seconds"
            )
            raise typer.Exit(2)
        spec = ModelSpec.parse(model)
        if threads is not None:
            spec = spec.model_copy(update={"threads": threads})
        settings = ServeSettings(
            max_concurrency=max_concurrency,
            max_queue=max_queue,
            max_tokens_limit=max_tokens_limit,
            max_case_chars=max_case_chars,
            api_key_env=api_key_env,
            allowed_hosts=allowed_hosts,
            read_timeout_s=read_timeout,
            docs=docs,
            log_cases=log_cases,
            diagnose=DiagnoseSettings(
                max_tokens=min(max_tokens, max_tokens_limit),
                style=style,
                system_prompts=system_prompt_options(system_prompt),
                force_prompts=force_prompts,
            ),
        )
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        for noisy in ("httpx", "httpx2"):  # one line per model call (URL only) is noise here
            logging.getLogger(noisy).setLevel(logging.WARNING)
        if not is_loopback(host):
            console.print(
                f"[yellow]note:[/yellow] binding {host}: the API is reachable from other machines "
                f"(key required; Host allowed: {', '.join(settings.allowed_hosts)}). Without TLS the key "
                "and the cases cross the network in clear text: put a TLS reverse proxy in front."
            )
        if log_cases:
            console.print("[yellow]warning:[/yellow] --log-cases: case text (patient data) goes to the log")
        try:
            app = create_app(build_llm(spec), settings)
        except PromptContractError as exc:
            console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(2) from None
        console.print(f"clinical-r1 serving {spec.label} on http://{host}:{port}/  (API docs: /docs)")
        uvicorn.Server(uvicorn_config(app, host, port, log_level="info")).run()
