"""`assistant serve`: the web client, WebRTC signalling, a WebSocket transport, health and metrics.

Every conversation shares the models loaded at start; a full server answers 503 rather than letting every
conversation slow down. Bad requests get a 4xx with a reason, never a 500 and never a leaked session.
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

from assistant.config import Config
from assistant.transports.remote import ServerFull, SessionManager
from assistant.transports.webrtc import RATE, WebRtcSession

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"


class Offer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    sdp: str = Field(min_length=1)
    type: Literal["offer"]


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def create_app(cfg: Config, warm_up: bool = True) -> FastAPI:
    manager = SessionManager(cfg)
    webrtc_sessions: set[WebRtcSession] = set()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if warm_up:
            await manager.warm_up()
        yield
        for rtc in list(webrtc_sessions):
            await rtc.close()
        await manager.close_all()

    app = FastAPI(title="voice assistant", lifespan=lifespan)
    app.state.manager = manager
    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html")

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(manager.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok", "sessions": len(manager.sessions), "max_sessions": cfg.server.max_sessions}

    @app.post("/offer")
    async def offer(request: Request) -> JSONResponse:
        from aiortc import RTCSessionDescription

        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _error(415, 'send the SDP offer as application/json: {"sdp": ..., "type": "offer"}')
        limit = cfg.server.max_body_bytes
        if int(request.headers.get("content-length") or 0) > limit:
            return _error(413, f"the offer is larger than {limit} bytes")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                return _error(413, f"the offer is larger than {limit} bytes")
        try:
            parsed = Offer.model_validate(json.loads(body))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _error(400, "the body is not JSON")
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "body"
            return _error(400, f"bad offer: {where}: {first['msg']}")
        if "m=audio" not in parsed.sdp:
            return _error(400, "the offer has no audio: add the microphone track before createOffer()")
        if manager.full:
            manager.metrics.refused.inc()
            return _error(503, f"the server is full ({cfg.server.max_sessions} conversations); try later")
        try:
            session = await manager.open(RATE)
        except ServerFull as exc:
            return _error(503, str(exc))
        rtc = WebRtcSession(manager, session, webrtc_sessions)
        try:
            answer = await rtc.answer(RTCSessionDescription(sdp=parsed.sdp, type="offer"))
        except Exception as exc:  # aiortc raises many kinds on hostile SDP; all mean "bad offer"
            await rtc.close()
            return _error(400, f"invalid SDP offer: {exc or type(exc).__name__}"[:300])
        return JSONResponse({"sdp": answer.sdp, "type": answer.type, "session_id": session.id})

    @app.websocket("/ws")
    async def websocket(ws: WebSocket) -> None:
        from assistant.transports.websocket import serve_websocket

        await serve_websocket(ws, manager)

    return app
