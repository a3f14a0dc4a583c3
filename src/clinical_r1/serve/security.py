"""What keeps the API safe to expose: where it may bind, which Host names it answers, the key checked
before a body is read, `Cache-Control: no-store` on every answer, and a CSP for the API docs page.

All of it is plain ASGI middleware (no BaseHTTPMiddleware: that one breaks disconnect detection and
streaming), so it runs before FastAPI reads or parses anything.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import re
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
MIN_KEY_CHARS = 16  # a key for a server reachable from other machines


class BindRefused(ValueError):
    """A bind address that would expose the API without a key (the message says what to do)."""


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback IP literals (127.0.0.0/8, ::1); a name is not resolved, so
    any other name counts as reachable from other machines."""
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, api_key: str | None, api_key_env: str) -> None:
    """Raise BindRefused when binding `host` would serve patient data to other machines without a
    (long enough) key. The key itself never appears in the message."""
    if is_loopback(host):
        return
    make = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
    if not api_key:
        raise BindRefused(
            f"--host {host} makes the API reachable from other machines, and {api_key_env} is not set: "
            f"refusing to serve patient data without a key. Set one (e.g. export {api_key_env}=$({make})) "
            "or bind 127.0.0.1 behind a reverse proxy (docs/serving.md, 'Deploying beyond loopback')"
        )
    if len(api_key) < MIN_KEY_CHARS:
        raise BindRefused(
            f"--host {host}: the key in {api_key_env} has {len(api_key)} characters; a server reachable "
            f"from other machines needs at least {MIN_KEY_CHARS} (e.g. $({make}))"
        )


def default_allowed_hosts(bind_host: str) -> list[str]:
    """The loopback names, plus the bind address itself when it is a specific one."""
    hosts = list(LOOPBACK_HOSTS)
    bare = bind_host.strip().strip("[]")
    if bare not in ("0.0.0.0", "::", "") and not is_loopback(bare):
        hosts.append(f"[{bare}]" if ":" in bare else bare)
    return hosts


def split_host(value: str) -> tuple[str, int | None] | None:
    """A Host header value -> (lower-case name, port or None); None when it is malformed."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        name, rest = value[: end + 1], value[end + 1 :]
        if rest and not rest.startswith(":"):
            return None
        port = rest[1:] if rest else None
    else:
        name, _, port = value.partition(":")
        if not _:
            port = None
    if not name or not re.fullmatch(r"[a-z0-9.\-_]+|\[[0-9a-f:.]+\]", name):
        return None
    if port is None:
        return name, None
    if not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return name, int(port)


def parse_allowed_hosts(allowed: list[str]) -> list[tuple[str, int | None]]:
    """Allow-list entries -> (name or *.domain, port or None); ValueError names a malformed one."""
    entries: list[tuple[str, int | None]] = []
    for entry in allowed:
        if entry == "*":
            continue
        wildcard = entry.startswith("*.")
        parsed = split_host(entry[2:] if wildcard else entry)
        if parsed is None:
            raise ValueError(f"allowed host {entry!r} is not a name, [IPv6], *.domain or name:port")
        name, port = parsed
        entries.append(("*." + name if wildcard else name, port))
    return entries


class HostAllowList:
    """Answers 400 to a request whose Host header is not in the allow-list. This is what stops DNS
    rebinding: a page on evil.example whose name is made to resolve to 127.0.0.1 still sends
    `Host: evil.example`. Entries are names ("localhost", "[::1]", "api.example.org", "*.example.org")
    or name:port; an entry without a port matches any port; "*" allows every host."""

    def __init__(self, app: ASGIApp, allowed: list[str]) -> None:
        self.app = app
        self.any = "*" in allowed
        self.entries = parse_allowed_hosts(allowed)

    def allows(self, host: str) -> bool:
        parsed = split_host(host)
        if parsed is None:
            return False
        name, port = parsed
        for allowed, allowed_port in self.entries:
            if allowed_port is not None and allowed_port != port:
                continue
            if allowed == name or (allowed.startswith("*.") and name.endswith(allowed[1:])):
                return True
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self.any:
            await self.app(scope, receive, send)
            return
        host = _header(scope, b"host")
        if host is not None and self.allows(host):
            await self.app(scope, receive, send)
            return
        shown = "no Host header" if host is None else f"Host {host[:100]!r}"
        detail = (
            f"{shown} is not one this server answers to (allowed: {', '.join(self._shown())}); "
            "start it with --allowed-host NAME to add one"
        )
        await _json(send, 400, {"detail": detail})

    def _shown(self) -> list[str]:
        return [name if port is None else f"{name}:{port}" for name, port in self.entries]


class RequireKey:
    """`Authorization: Bearer KEY` on every path under `prefixes`, checked (in constant time) from the
    headers alone, before the body is read or parsed: a caller without the key learns nothing about
    what the body should be. No key configured: everything passes."""

    def __init__(self, app: ASGIApp, api_key: str | None, prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.key = api_key.encode() if api_key else None
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.key is None or scope["type"] != "http" or not scope["path"].startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"authorization") or ""
        scheme, _, token = given.partition(" ")
        if scheme.lower() == "bearer" and secrets.compare_digest(token.strip().encode(), self.key):
            await self.app(scope, receive, send)
            return
        detail = "missing or wrong API key: send 'Authorization: Bearer KEY'"
        await _json(send, 401, {"detail": detail}, [(b"www-authenticate", b"Bearer")])


class SecurityHeaders:
    """`Cache-Control: no-store` on every answer (case text, diagnoses and errors about them must not
    be kept by a browser or proxy cache) unless the route set its own, and `nosniff` everywhere;
    `csp` adds a Content-Security-Policy to the paths it names."""

    def __init__(self, app: ASGIApp, csp: dict[str, str]) -> None:
        self.app = app
        self.csp = csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self.csp.get(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                if policy is not None and b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", policy.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def page_csp(html: str, origins: str) -> str:
    """A CSP for a generated page (FastAPI's Swagger UI): scripts and styles from `origins` and the
    page's own inline scripts by their sha256 (computed from the page, so a FastAPI upgrade that changes
    the inline script still works), data from this server only, nothing framed, no plugins."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in re.findall(r"<script>(.*?)</script>", html, re.S)
    )
    return (
        f"default-src 'none'; script-src {origins} {hashes}; style-src {origins}; "
        f"img-src 'self' data: {origins}; connect-src 'self'; font-src {origins}; "
        "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


async def _json(send: Send, status: int, body: dict, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": data})
