"""Who may talk to `assistant serve`, and how much: the secret, session tokens, the login cookie, the page's
security headers, per-client limits, and peers that cannot lock others out (on a real socket)."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time

import httpx
import numpy as np
import pytest
import websockets
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from live_server import LiveServer
from peers import offer_peer, session_token, until

from assistant.access import Access, client_key
from assistant.config import ConfigError, load_config
from assistant.transports.admission import StartRate

SECRET = "a-test-secret-that-is-long-enough"
FRAME = np.zeros(320, np.int16).tobytes()  # 20 ms of silence at 16 kHz


def from_client(n: int) -> dict[str, str]:
    """Headers of a request that came through the trusted proxy from client n."""
    return {"x-forwarded-for": f"203.0.113.{n}"}


@pytest.fixture(scope="module")
def server():
    cfg = load_config(
        overrides=[
            "llm.temperature=0",
            "server.max_sessions=2",
            "server.max_sessions_per_client=1",
            "server.max_pending_per_client=2",
            "server.session_starts_per_minute=6",
            "server.trusted_proxies=[127.0.0.1]",
        ]
    )
    with LiveServer(cfg, secret=SECRET) as live:
        yield live


async def token_for(server: LiveServer, n: int) -> str:
    return await session_token(server.url, SECRET, from_client(n))


async def ws_connect(server: LiveServer, n: int, token: str | None = None):
    token = token if token is not None else await token_for(server, n)
    return await websockets.connect(
        f"ws://127.0.0.1:{server.port}/ws?token={token}", additional_headers=from_client(n)
    )


async def closed_with(ws) -> tuple[int, str]:
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), 15)
    return closed.value.rcvd.code, closed.value.rcvd.reason


# ---------------------------------------------------------------- the policy, without a server


def test_binding_off_loopback_needs_a_secret_or_insecure():
    assert Access.for_bind("127.0.0.1", None).secret is None
    assert Access.for_bind("::1", None).loopback_only
    with pytest.raises(ConfigError, match=r"ASSISTANT_TOKEN.*--insecure"):
        Access.for_bind("0.0.0.0", None)
    with pytest.raises(ConfigError, match="16 characters"):
        Access.for_bind("0.0.0.0", "short")
    assert not Access.for_bind("0.0.0.0", None, insecure=True).loopback_only
    assert Access.for_bind("192.168.1.5", SECRET).needs_login
    with pytest.raises(ConfigError, match=r"127\.0\.0\.1 behind a proxy without a secret"):
        Access.for_bind("127.0.0.1", None, behind_proxy=True)  # the proxy lets everyone in


def test_serve_refuses_to_start_open_on_a_public_address():
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    cmd = [sys.executable, "-m", "assistant", "serve", "--host", "0.0.0.0", "--port", "1"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 2, result.stderr
    assert "refusing to serve on 0.0.0.0 without a secret" in result.stderr
    assert "ASSISTANT_TOKEN" in result.stderr and "--insecure" in result.stderr


def test_session_tokens_are_signed_short_lived_and_bound_to_the_client():
    access = Access(SECRET, session_ttl_s=60)
    token = access.session_token("198.51.100.7")
    assert access.session_token_error(token, "198.51.100.7") is None
    assert "another address" in access.session_token_error(token, "198.51.100.8")
    assert "not valid" in access.session_token_error(token[:-2] + "xx", "198.51.100.7")
    assert "not valid" in Access("another-secret-of-enough-length").session_token_error(token, "198.51.100.7")
    assert "required" in access.session_token_error(None, "198.51.100.7")
    assert "expired" in access.session_token_error(old_token(SECRET, "198.51.100.7"), "198.51.100.7")
    # Comparing secrets never raises, whatever is sent.
    assert not access.check_secret("ünïcødé \udcff") and access.check_secret(SECRET)


def old_token(secret: str, client: str, age_s: int = 3600) -> str:
    """A session token as the server would have made it `age_s` ago."""

    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age_s

    return URLSafeTimedSerializer(secret, salt="assistant-session", signer=Then).dumps(
        {"c": client, "n": "x"}
    )


def test_clients_are_counted_by_address_and_ipv6_by_its_64():
    assert client_key("198.51.100.7") == "198.51.100.7"
    assert client_key("::ffff:198.51.100.7") == "198.51.100.7"
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")


def test_start_rate_is_a_sliding_window():
    now = [0.0]
    rate = StartRate(3, 60, clock=lambda: now[0])
    assert [rate.allow("a") for _ in range(4)] == [True, True, True, False]
    assert rate.allow("b")
    now[0] = 59.0
    assert not rate.allow("a") and rate.retry_after("a") == pytest.approx(1.0)
    now[0] = 60.5
    assert rate.allow("a")
    now[0] = 1000.0
    rate.allow("c")
    assert len(rate) == 1  # forgotten once their starts left the window


# ---------------------------------------------------------------- the page


async def test_the_page_has_a_strict_content_security_policy(server):
    async with httpx.AsyncClient() as client:
        page = await client.get(f"{server.url}/")
        script = await client.get(f"{server.url}/static/app.js")
    csp = page.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff" == script.headers["x-content-type-options"]
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["x-frame-options"] == "DENY"
    # The policy can stay strict because the page has no inline script, style or handler.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>|\bstyle=|\son[a-z]+=", page.text)


async def test_a_rebound_dns_name_cannot_reach_a_loopback_server(cfg):
    with LiveServer(cfg) as open_server:
        async with httpx.AsyncClient() as client:
            evil = await client.post(f"{open_server.url}/session", headers={"host": "attacker.example"})
            fine = await client.post(
                f"{open_server.url}/session", headers={"host": f"localhost:{open_server.port}"}
            )
        assert evil.status_code == 400 and fine.status_code == 200


# ---------------------------------------------------------------- the secret, tokens, the cookie


async def test_session_tokens_need_the_secret_or_the_login_cookie(server):
    async with httpx.AsyncClient(base_url=server.url) as client:
        assert (await client.post("/session")).status_code == 401
        assert (await client.post("/session", headers={"authorization": "Bearer wrong"})).status_code == 401
        with_secret = await client.post("/session", headers={"authorization": f"Bearer {SECRET}"})
        assert with_secret.status_code == 200 and with_secret.json()["expires_in"] == 60
        assert with_secret.headers["cache-control"] == "no-store"

        wrong = await client.post("/login", json={"secret": "not it"})
        assert wrong.status_code == 401 and "wrong secret" in wrong.json()["detail"]
        right = await client.post("/login", json={"secret": SECRET})
        cookie = right.headers["set-cookie"].lower()
        assert right.status_code == 204 and "httponly" in cookie and "samesite=strict" in cookie
        assert SECRET not in right.headers["set-cookie"]
        assert (await client.post("/session")).status_code == 200  # the cookie is enough now
        client.cookies.set("assistant_login", "forged")
        assert (await client.post("/session")).status_code == 401


async def test_offer_and_websocket_need_a_valid_session_token(server):
    async with httpx.AsyncClient(base_url=server.url, headers=from_client(20)) as client:
        offer = {"sdp": "v=0", "type": "offer"}
        assert (await client.post("/offer", json=offer)).status_code == 401
        for token in ["garbage", old_token(SECRET, "203.0.113.20"), await token_for(server, 21)]:
            response = await client.post("/offer", json=offer, headers={"authorization": f"Bearer {token}"})
            assert response.status_code == 401, token
    for token in ["", "garbage", old_token(SECRET, "203.0.113.20"), await token_for(server, 21)]:
        ws = await ws_connect(server, 20, token)
        code, reason = await closed_with(ws)
        assert code == 4401 and "token" in reason
    assert server.sessions() == 0 and not server.manager.pending


async def test_metrics_need_the_secret(server):
    async with httpx.AsyncClient(base_url=server.url) as client:
        assert (await client.get("/metrics")).status_code == 401
        metrics = await client.get("/metrics", headers={"authorization": f"Bearer {SECRET}"})
    assert metrics.status_code == 200 and "assistant_active_sessions" in metrics.text
    separate = Access(SECRET, metrics_token="scraper-token")
    assert separate.may_read_metrics("Bearer scraper-token") and not separate.may_read_metrics("Bearer nope")


async def test_forwarded_for_counts_only_from_a_trusted_proxy(cfg):
    """Without server.trusted_proxies a spoofed X-Forwarded-For changes nothing."""
    with LiveServer(cfg) as plain:
        token = await session_token(plain.url, headers=from_client(1))
        ws = await websockets.connect(
            f"ws://127.0.0.1:{plain.port}/ws?token={token}", additional_headers=from_client(2)
        )
        assert json.loads(await ws.recv())["type"] == "session"  # both are 127.0.0.1 to it
        await ws.close()


# ---------------------------------------------------------------- limits and lock-out


async def test_a_client_gets_its_share_and_no_more(server):
    first = await ws_connect(server, 30)
    assert json.loads(await first.recv())["type"] == "session"
    await first.send(FRAME)  # proven: a session
    await first.recv()
    assert server.wait_sessions(1) == 1
    second = await ws_connect(server, 30)
    code, reason = await closed_with(second)
    assert code == 4429 and "already has 1 conversations" in reason
    other = await ws_connect(server, 31)  # another client is not affected
    assert json.loads(await other.recv())["type"] == "session"
    await other.send(FRAME)
    await other.recv()
    assert server.wait_sessions(2) == 2
    await first.close()
    await other.close()
    assert server.wait_sessions(0) == 0


async def test_a_client_may_have_two_peers_pending(server):
    waiting = [await ws_connect(server, 40) for _ in range(2)]
    for ws in waiting:
        assert json.loads(await ws.recv())["type"] == "session"
    code, reason = await closed_with(await ws_connect(server, 40))
    assert code == 4429 and "still being set up" in reason
    peer = await offer_peer(server.url, await token_for(server, 40), headers=from_client(40), connect=False)
    assert peer.response.status_code == 429
    await peer.close()
    assert server.sessions() == 0  # pending peers hold no conversation
    for ws in waiting:
        assert await closed_with(ws) == (4408, "no audio within 10 s: the session ended")
    assert not server.manager.pending


async def settled(server: LiveServer) -> None:
    """Until no peer is pending (a closed socket's pending slot is freed a moment later)."""
    await until(lambda: not server.manager.pending, 5)


async def test_session_starts_are_rate_limited_per_client(server):
    for _ in range(6):
        ws = await ws_connect(server, 50)
        await ws.close()
        await settled(server)
    code, reason = await closed_with(await ws_connect(server, 50))
    assert code == 4429 and "too many sessions started" in reason
    peer = await offer_peer(server.url, await token_for(server, 50), headers=from_client(50), connect=False)
    assert peer.response.status_code == 429 and "try again in" in peer.response.json()["detail"]
    await peer.close()
    ws = await ws_connect(server, 51)
    assert json.loads(await ws.recv())["type"] == "session"
    await ws.close()


async def test_offers_that_never_connect_lock_nobody_out(server):
    """The issue's attack: answered offers that never connect held every slot for 5 s. Now they wait as
    pending peers (two per client), and a real session still gets in at once."""
    stalled = []
    for n in range(60, 64):
        peer = await offer_peer(server.url, await token_for(server, n), headers=from_client(n), connect=False)
        assert peer.response.status_code == 200
        stalled.append(peer)
    assert len(server.manager.pending) == 4 and server.sessions() == 0
    t0 = time.monotonic()
    ws = await ws_connect(server, 65)
    assert json.loads(await ws.recv())["type"] == "session"
    await ws.send(FRAME)
    await ws.recv()
    assert server.sessions() == 1 and time.monotonic() - t0 < 2
    await ws.close()
    await until(lambda: not server.manager.pending, server.cfg.server.pending_timeout_s + 4)
    assert server.wait_sessions(0) == 0
    for peer in stalled:
        await peer.close()


async def test_a_websocket_that_goes_quiet_is_closed_after_5_s(server):
    ws = await ws_connect(server, 70)
    await ws.recv()
    for _ in range(10):
        await ws.send(FRAME)
        await ws.recv()
    assert server.wait_sessions(1) == 1
    t0 = time.monotonic()
    code, reason = await closed_with(ws)  # the client keeps the connection open and sends nothing
    waited = time.monotonic() - t0
    print(f"a quiet WebSocket was closed {waited:.2f} s after its last audio")
    assert code == 4408 and reason == "no audio for 5 s: the session ended"
    assert 4.5 < waited < 7.0, waited
    assert server.wait_sessions(0) == 0


async def test_a_webrtc_peer_whose_microphone_stops_is_closed_after_5_s(server):
    """A killed tab sends no goodbye (and ICE consent takes 30 s to expire): no audio for 5 s ends it."""
    peer = await offer_peer(server.url, await token_for(server, 72), headers=from_client(72))
    try:
        await peer.wait_for("session")
        (sender,) = [s for s in peer.pc.getSenders() if s.track]
        sender.track.stop()  # the microphone stops; the connection stays up
        t0 = time.monotonic()
        await until(lambda: server.manager.sessions == {}, 10, step_s=0.1)
        waited = time.monotonic() - t0
        print(f"a quiet WebRTC peer was let go {waited:.2f} s after its last audio")
        assert 4.5 < waited < 7.0, waited
    finally:
        await peer.close()


async def test_a_websocket_that_floods_audio_is_closed(server):
    ws = await ws_connect(server, 71)
    await ws.recv()
    with pytest.raises(websockets.ConnectionClosed) as closed:
        for _ in range(10):  # 5 s of audio at once
            await ws.send(np.zeros(8000, np.int16).tobytes())
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd.code == 1008 and "real time" in closed.value.rcvd.reason
    assert server.wait_sessions(0) == 0


@pytest.mark.parametrize(
    ("message", "reply"),
    [
        (json.dumps({"type": "stop"}), None),
        ("x" * 2000, "at most 1024"),
        (b"\x00\x01", "text messages only"),
        ("{not json", 'the only command on the data channel is {"type": "stop"}'),
        (
            json.dumps({"type": "say", "text": "hi"}),
            'the only command on the data channel is {"type": "stop"}',
        ),
    ],
)
async def test_the_data_channel_takes_stop_and_refuses_anything_else(server, message, reply):
    peer = await offer_peer(server.url, await token_for(server, 80), headers=from_client(80))
    try:
        assert peer.response.status_code == 200, peer.response.text
        await asyncio.wait_for(peer.opened.wait(), 10)
        await peer.wait_for("session")
        assert server.sessions() == 1
        peer.channel.send(message)
        if reply:
            error = await peer.wait_for("error", 5)
            assert error["source"] == "client" and reply in error["message"]
        assert await asyncio.to_thread(server.wait_sessions, 0, 5) == 0
    finally:
        await peer.close()
