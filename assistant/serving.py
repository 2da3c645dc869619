"""Running `assistant serve`'s app under uvicorn, and saying where it listens once the socket is bound.

uvicorn's own "Uvicorn running on ..." line is an INFO log, hidden unless `--verbose`; the user needs the
address to open (with `--port 0`, the port the system gave) whatever the log level.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator, Sequence
from typing import Any

import uvicorn

WILDCARDS = {"", "0.0.0.0", "::"}


def bind_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on `host`:`port` (the port taken, the address not this machine's),
    found by binding each address it resolves to a moment, as asyncio's `create_server` under uvicorn
    will (SO_REUSEADDR, IPv6 sockets v6-only, a family the system lacks skipped), before the models load;
    None when it can. Port 0 (any free one) always can."""
    if port == 0:
        return None
    try:
        found = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        for family, kind, proto, _, address in found:
            try:
                probe = socket.socket(family, kind, proto)
            except OSError:
                continue
            with probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                probe.bind(address)
    except OSError as exc:
        hint = f"; another server may be there: try --port {port + 1}, or --port 0 for any free one"
        reason = exc.strerror or str(exc)
        return f"cannot listen on {host}:{port}: {reason}" + (hint if "in use" in reason.lower() else "")
    return None


def listening_url(host: str, bound: Sequence[socket.socket], tls: bool) -> str:
    """The URL to open for a server bound to `bound` (the first socket's port) from `host` as asked."""
    port = bound[0].getsockname()[1]
    name = host or "0.0.0.0"
    shown = f"[{name}]" if ":" in name else name
    return f"{'https' if tls else 'http'}://{shown}:{port}"


def listening_line(host: str, bound: Sequence[socket.socket], tls: bool) -> str:
    """The console line said once the server accepts connections."""
    url = listening_url(host, bound, tls)
    line = f"Listening on {url}"
    if host in WILDCARDS:  # all addresses: from this machine, loopback works
        line += f" (all addresses; on this machine {listening_url('127.0.0.1', bound, tls)})"
    return line + " — open it in a browser; Ctrl+C to quit."


class AnnouncingServer(uvicorn.Server):
    """A uvicorn server that prints `listening_line` to stdout when its startup has bound the socket
    (after the app's own startup: the page is then ready to answer)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """uvicorn raises a Ctrl+C or SIGTERM again once it has shut down gracefully, inside the event
        loop: the app's lifespan task was then cancelled mid-exit and logged as an error with two
        tracebacks. Stopped by a signal, the server has done what it was asked; `serve` returns."""
        with super().capture_signals():
            yield
            self._captured_signals.clear()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit:
            bound = [s for server in self.servers for s in (server.sockets or ())]
            if bound:
                print(listening_line(self.config.host, bound, self.config.ssl is not None), flush=True)


def serve(app: Any, **options: Any) -> bool:
    """Run `app` under uvicorn with `options` (uvicorn.Config's) until stopped; False when it never
    started (the port taken, the app's startup failed), which uvicorn has already logged."""
    server = AnnouncingServer(uvicorn.Config(app, **options))
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    return server.started
