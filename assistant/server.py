"""`assistant serve`: the web client, WebRTC signalling, a WebSocket transport, health and metrics.

Every conversation shares the models loaded at start; a full server answers 503 rather than letting every
conversation slow down. Bad requests get a 4xx with a reason, never a 500 and never a leaked session.
Who may start a session is `assistant.access`; how many, `SessionManager` (transports/remote.py).

Routes: `GET /` (the page), `POST /login` (the secret, once, for a cookie), `POST /session` (a session
token), `POST /offer` (WebRTC, `Authorization: Bearer SESSION_TOKEN`), `/ws?token=SESSION_TOKEN`,
`GET /health`, `GET /metrics` (`Authorization: Bearer` the metrics token or the secret, when set).
"""

from __future__ import annotations

import json
import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from assistant.access import LOGIN_COOKIE, LOOPBACK_NAMES, Access, bearer, client_key
from assistant.config import Config
from assistant.privacy import keep_speech_out_of_logs
from assistant.transports.admission import Refused, StartRate
from assistant.transports.remote import SessionManager
from assistant.transports.webrtc import WebRtcPeer, offer_problem

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
LOGINS_PER_MINUTE = 10

SECURITY_HEADERS = {
    # The page loads its script and style from /static only: no inline code, no other origin, no frames.
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "media-src 'self' blob: mediastream:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "microphone=(self), camera=(), geolocation=()",
}


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every HTTP response (pure ASGI: request bodies still stream)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *self.headers]}
            await send(message)

        await self.app(scope, receive, with_headers)


class Offer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    sdp: str = Field(min_length=1)
    type: Literal["offer"]


class Login(BaseModel):
    model_config = ConfigDict(extra="ignore")
    secret: str = Field(min_length=1, max_length=1024)


def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _no_store(response: Response) -> Response:
    response.headers["cache-control"] = "no-store"
    return response


async def _json_body(request: Request, limit: int) -> tuple[object, JSONResponse | None]:
    """The request's JSON, or the 4xx that says why not (415, 413, 400)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return None, _error(415, "send application/json")
    try:
        declared = int(request.headers.get("content-length") or 0)
    except ValueError:
        return None, _error(400, "bad Content-Length")
    if declared > limit:
        return None, _error(413, f"the body is larger than {limit} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None, _error(413, f"the body is larger than {limit} bytes")
    try:
        return json.loads(body), None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None, _error(400, "the body is not JSON")


def _bad_model(exc: ValidationError, what: str) -> JSONResponse:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    return _error(400, f"bad {what}: {where}: {first['msg']}")


def create_app(
    cfg: Config, warm_up: bool = True, access: Access | None = None, freeze: bool = False
) -> FastAPI:
    """The ASGI app. `access`: default loopback-only and open (see assistant.access). `freeze`: after the
    warm-up, what start-up loaded leaves garbage collection for good (assistant.heap.freeze_loaded): for
    the server process itself, not for a test process that hosts the app among other things."""
    access = access or Access(session_ttl_s=cfg.server.session_token_ttl_s)
    keep_speech_out_of_logs()
    manager = SessionManager(cfg)
    peers: set[WebRtcPeer] = set()
    logins = StartRate(LOGINS_PER_MINUTE)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if warm_up:
            await manager.warm_up(freeze=freeze)
        yield
        for peer in list(peers):
            await peer.close()
        await manager.close_all()

    app = FastAPI(title="voice assistant", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.manager = manager
    app.state.access = access
    app.state.peers = peers
    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")
    app.add_middleware(SecurityHeaders)
    if access.loopback_only and not access.needs_login:  # a DNS name rebound to 127.0.0.1 gets nothing
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(LOOPBACK_NAMES))
    if cfg.server.trusted_proxies:  # outermost: the client address is the real one from here on
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=cfg.server.trusted_proxies)

    def client_of(conn: Request | WebSocket) -> str:
        return client_key(conn.client.host if conn.client else None)

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html")

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        if not access.may_read_metrics(request.headers.get("authorization")):
            return _error(401, "metrics need Authorization: Bearer TOKEN", {"www-authenticate": "Bearer"})
        return Response(generate_latest(manager.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/health")
    async def health() -> dict:
        return {
            "status": "ok",
            "sessions": len(manager.sessions),
            "max_sessions": cfg.server.max_sessions,
            "admission": manager.load().as_dict(),
        }

    @app.post("/login")
    async def login(request: Request) -> Response:
        """The page hands over the secret once; the answer sets an HttpOnly login cookie."""
        if not access.needs_login:
            return _no_store(Response(status_code=204))
        client = client_of(request)
        if not logins.allow(client):
            return _error(429, "too many sign-in attempts; wait a minute")
        data, problem = await _json_body(request, 4096)
        if problem:
            return problem
        try:
            given = Login.model_validate(data)
        except ValidationError as exc:
            return _bad_model(exc, "sign-in")
        if not access.check_secret(given.secret):
            return _error(401, "wrong secret")
        response = _no_store(Response(status_code=204))
        response.set_cookie(
            LOGIN_COOKIE,
            access.login_cookie(),
            max_age=12 * 3600,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    @app.post("/session")
    async def session(request: Request) -> Response:
        """A short-lived token that admits one session start from this client's address."""
        cookie = request.cookies.get(LOGIN_COOKIE)
        if not access.may_get_session(request.headers.get("authorization"), cookie):
            return _error(
                401, "this server needs its secret: sign in on the page, or send Authorization: Bearer SECRET"
            )
        token = access.session_token(client_of(request))
        return _no_store(JSONResponse({"token": token, "expires_in": access.session_ttl_s}))

    @app.post("/offer")
    async def offer(request: Request) -> JSONResponse:
        from aiortc import RTCSessionDescription

        client = client_of(request)
        if problem := access.session_token_error(bearer(request.headers.get("authorization")), client):
            return _error(401, problem, {"www-authenticate": "Bearer"})
        data, bad = await _json_body(request, cfg.server.max_body_bytes)
        if bad:
            return bad
        try:
            parsed = Offer.model_validate(data)
        except ValidationError as exc:
            return _bad_model(exc, "offer")
        if problem := offer_problem(parsed.sdp):
            return _error(400, problem)
        try:
            ticket = manager.admit(client)
        except Refused as exc:
            return _error(exc.status, str(exc))
        peer = WebRtcPeer(manager, ticket, peers)
        try:
            answer = await peer.answer(RTCSessionDescription(sdp=parsed.sdp, type="offer"))
        except Exception as exc:  # aiortc raises many kinds on hostile SDP; all mean "bad offer"
            await peer.close()
            return _error(400, f"invalid SDP offer: {exc or type(exc).__name__}"[:300])
        return JSONResponse({"sdp": answer.sdp, "type": answer.type, "session_id": peer.id})

    @app.websocket("/ws")
    async def websocket(ws: WebSocket) -> None:
        from assistant.transports.websocket import serve_websocket

        client = client_of(ws)
        token = ws.query_params.get("token") or bearer(ws.headers.get("authorization"))
        await serve_websocket(ws, manager, client, access.session_token_error(token, client))

    return app
