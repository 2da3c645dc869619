"""Generated hostile clients against `assistant serve` on a real socket: SDP offers (mutated browser offers,
offers built from parts, the shapes that crash other aiortc servers, any text, any body) and WebSocket
sessions (any mix of audio, text and junk, ended cleanly, abruptly or by the server).

The rule: a 4xx or a clean close with a documented code; never a 5xx, a 1011 or an error logged by the
server; afterwards no pending peer, session, task, descriptor or thread is left over, and the server still
answers a real spoken question.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from fuzzing import FUZZ, tally
from hypothesis import given
from hypothesis import strategies as st
from live_server import LiveServer, resources
from peers import offer_peer, session_token, talk_over_websocket
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from assistant.audio import read_audio, write_wav
from assistant.config import load_config

OFFER: Any = """v=0
o=- 4004981365 4004981365 IN IP4 0.0.0.0
s=-
t=0 0
a=group:BUNDLE 0 1
a=msid-semantic:WMS *
m=audio 53402 UDP/TLS/RTP/SAVPF 96 9 0 8
c=IN IP4 192.0.2.2
a=sendrecv
a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid
a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=mid:0
a=msid:ba5cc307-0a07-4635-9ff7-d897386f35bc cc5c9031-d0a0-41a2-85b5-7de358a47c80
a=rtcp:9 IN IP4 0.0.0.0
a=rtcp-mux
a=ssrc:1742749977 cname:b50e6cee-5cd0-4665-b07a-f17b04e27042
a=rtpmap:96 opus/48000/2
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=candidate:f957a2332b1715da3b0ef8ba684454eb 1 udp 2130706431 192.0.2.2 53402 typ host
a=end-of-candidates
a=ice-ufrag:McU9
a=ice-pwd:3AxtBzDV7zXdZaSWEWXz8i
{fingerprint}
a=setup:actpass
m=application 49788 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 192.0.2.2
a=mid:1
a=sctp-port:5000
a=max-message-size:262144
a=candidate:f957a2332b1715da3b0ef8ba684454eb 1 udp 2130706431 192.0.2.2 49788 typ host
a=end-of-candidates
a=ice-ufrag:McU9
a=ice-pwd:3AxtBzDV7zXdZaSWEWXz8i
{fingerprint}
a=setup:actpass
""".format(
    fingerprint="a=fingerprint:sha-256 " + ":".join(["CE", "C8", "1B", "20", "C7", "09", "41", "87"] * 4)
)
OFFER = OFFER.splitlines()
"""An offer as aiortc makes it (the browser's has the same lines); its candidates are TEST-NET addresses,
so a fuzzed offer that is answered never connects and waits out its grace period as a pending peer."""

AUDIO, DATA = OFFER[6:26], OFFER[26:]


def sdp(lines: list[str]) -> str:
    return "\r\n".join(lines) + "\r\n"


# The offer shapes that crash other aiortc servers, and what the server says to each.
NAMED_SHAPES = {
    "only a data channel": (sdp(OFFER[:6] + DATA), "no audio"),
    "video only": (sdp([*OFFER[:6], AUDIO[0].replace("audio", "video"), *AUDIO[1:]]), "no audio"),
    "audio and video": (
        sdp([*OFFER, "m=video 9 UDP/TLS/RTP/SAVPF 97", "a=rtpmap:97 VP8/90000"]),
        "not video",
    ),
    "a=inactive audio": (sdp([x.replace("a=sendrecv", "a=inactive") for x in OFFER]), "inactive"),
    "recvonly audio": (sdp([x.replace("a=sendrecv", "a=recvonly") for x in OFFER]), "recvonly"),
    "several audio m-lines": (sdp(OFFER[:26] + AUDIO + DATA), "2 audio m-lines"),
    "missing ICE ufrag": (sdp([x for x in OFFER if not x.startswith("a=ice-ufrag")]), "ICE"),
    "missing DTLS fingerprint": (sdp([x for x in OFFER if not x.startswith("a=fingerprint")]), "fingerprint"),
    "no codec aiortc decodes": (sdp([x for x in OFFER if not x.startswith("a=rtpmap")]), "codec"),
    "two data channels": (sdp(OFFER + DATA), "more than one data channel"),
}

ATTRIBUTES = [
    "a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive", "a=rtcp-mux", "a=end-of-candidates",
    "a=rtpmap:96 opus/48000/2", "a=rtpmap:96 opus", "a=rtpmap:x y/z", "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:300 a/1",
    "a=fmtp:96 minptime=10;useinbandfec=1", "a=fmtp:96 ;;;=", "a=ice-ufrag:", "a=ice-ufrag:abcd",
    "a=ice-pwd:", "a=ice-pwd:0123456789012345678901", "a=ice-lite", "a=ice-options:trickle",
    "a=fingerprint:sha-256 00", "a=fingerprint:md5 AA:BB", "a=fingerprint:", "a=setup:actpass",
    "a=setup:active", "a=setup:passive", "a=setup:holdconn", "a=setup:sideways", "a=mid:0", "a=mid:",
    "a=group:BUNDLE 0 1 2 3", "a=group:BUNDLE", "a=msid:- -", "a=ssrc:1 cname:x", "a=ssrc:x",
    "a=ssrc-group:FID 1",
    "a=extmap:1 urn:x", "a=extmap:x", "a=extmap:1/sendonly urn:y", "a=rtcp:9 IN IP4 0.0.0.0", "a=rtcp:x",
    "a=sctp-port:5000", "a=sctp-port:x", "a=max-message-size:-1", "a=max-message-size:x",
    "a=sctpmap:5000 x", "a=candidate:1 1 udp 2130706431 192.0.2.9 9 typ host",
    "a=candidate:1 1 tcp 1 ::1 9 typ srflx raddr x rport y",
    "a=candidate:garbage", "a=candidate:", "c=IN IP4 999.1.1.1", "c=IN IP6 ::1", "c=IN", "c=", "a=rid:1 send",
    "a=simulcast:send 1;2", "a=x-google-flag:conference", "a=", "a=:", "b=AS:30", "i=x", "k=clear:x",
]  # fmt: skip
M_LINES = [
    "m=audio 9 UDP/TLS/RTP/SAVPF 96", "m=audio 9 UDP/TLS/RTP/SAVPF 96 0 8", "m=audio 0 UDP/TLS/RTP/SAVPF 96",
    "m=audio 9 RTP/AVP 0", "m=audio 99999999999 UDP/TLS/RTP/SAVPF 96", "m=audio 9 UDP/TLS/RTP/SAVPF 72",
    "m=audio 9 UDP/TLS/RTP/SAVPF x", "m=audio 9 UDP/TLS/RTP/SAVPF 256", "m=audio 9 UDP/TLS/RTP/SAVPF -1",
    "m=video 9 UDP/TLS/RTP/SAVPF 97", "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
    "m=application 9 DTLS/SCTP 5000", "m=text 9 RTP/AVP 98", "m=message 9 TCP/MSRP *", "m=audio", "m=",
]  # fmt: skip


@st.composite
def built_offers(draw: st.DrawFn) -> str:
    """An offer put together from m-lines and attributes, some good, most odd."""
    lines = (
        OFFER[:6]
        if draw(st.booleans())
        else draw(st.lists(st.sampled_from(OFFER[:6] + ATTRIBUTES), max_size=5))
    )
    for _ in range(draw(st.integers(0, 4))):
        lines.append(draw(st.sampled_from(M_LINES)))
        if draw(st.booleans()):  # mostly the real attributes, so that aiortc's own checks are reached
            lines += [x for x in AUDIO[1:] if draw(st.integers(0, 9))]
        lines += draw(st.lists(st.sampled_from(ATTRIBUTES), max_size=6))
    return draw(st.sampled_from(["\r\n", "\n"])).join(lines)


@st.composite
def mutated_offers(draw: st.DrawFn) -> str:
    """The real offer with lines deleted, repeated, swapped, cut or given odd values."""
    lines = list(OFFER)
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["delete", "repeat", "swap", "value", "attribute", "cut"]))
        if how == "delete" and len(lines) > 1:
            del lines[i]
        elif how == "repeat":
            lines.insert(i, lines[i])
        elif how == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif how == "value":
            head, sep, _ = lines[i].partition(":" if lines[i].startswith("a=") else "=")
            lines[i] = head + (sep or "=") + draw(st.one_of(st.text(max_size=30), st.integers().map(str)))
        elif how == "attribute":
            lines.insert(i, draw(st.sampled_from(ATTRIBUTES)))
        else:
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
    return sdp(lines)


offers = st.one_of(
    mutated_offers(),
    built_offers(),
    st.sampled_from([shape for shape, _ in NAMED_SHAPES.values()]),
    st.text(max_size=200),
)


@dataclass
class Request:
    headers: dict[str, str]
    content: bytes


@st.composite
def offer_requests(draw: st.DrawFn, token: str) -> Request:
    """Mostly a well-formed POST /offer around a generated SDP; sometimes a bad token, type or body."""
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    if draw(st.integers(0, 9)) == 0:
        headers["authorization"] = draw(
            st.sampled_from(["", "Bearer", "Bearer x", "Basic abc", f"Bearer {token}x"])
        )
    if draw(st.integers(0, 19)) == 0:
        headers["content-type"] = draw(
            st.sampled_from(["text/plain", "application/sdp", "", "application/jsonx"])
        )
    body: object = {"sdp": draw(offers), "type": "offer"}
    odd = draw(st.integers(0, 9))
    if odd == 0:
        body = {
            "sdp": draw(offers),
            "type": draw(st.sampled_from(["answer", "pranswer", "", None, 1, "OFFER"])),
        }
    elif odd == 1:
        body = draw(st.sampled_from([[], None, 1, "x", {"sdp": None, "type": "offer"}, {"sdp": ["v=0"]}, {}]))
    content = json.dumps(body).encode()
    if draw(st.integers(0, 19)) == 0:
        content = draw(st.one_of(st.binary(max_size=100), st.just(b'{"sdp": "' + b"v" * 70000 + b'"}')))
    return Request(headers, content)


@pytest.fixture(scope="module")
def server():
    cfg = load_config(
        overrides=[
            "llm.temperature=0",
            "server.max_pending=2000",
            "server.max_pending_per_client=2000",
            "server.max_sessions_per_client=4",
            "server.session_starts_per_minute=100000",
        ]
    )
    with LiveServer(cfg) as live:
        yield live


@pytest.fixture
def server_errors(caplog):
    """Every record at ERROR or above, from any logger (uvicorn's "Exception in ASGI application",
    asyncio's "Task exception was never retrieved", ours)."""
    caplog.set_level(logging.WARNING)
    yield lambda: [r for r in caplog.records if r.levelno >= logging.ERROR]


def settle_and_measure(server: LiveServer, baseline: dict[str, int]) -> dict[str, int]:
    """Wait for pending peers to time out and sessions to close; then the resources must be back."""
    deadline = time.monotonic() + 20
    while (
        server.manager.pending or server.manager.sessions or server.app.state.peers
    ) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not server.manager.pending and not server.manager.sessions and not server.app.state.peers
    time.sleep(1.0)  # connections and their tasks wind down
    after = resources(server)
    assert after["tasks"] <= baseline["tasks"] + 2, (baseline, after)
    assert after["fds"] <= baseline["fds"] + 8, (baseline, after)
    assert after["threads"] <= baseline["threads"], (baseline, after)
    return after


def baseline_of(server: LiveServer) -> dict[str, int]:
    """Resources after a session has come and gone (pools and caches exist)."""
    with connect(f"ws://127.0.0.1:{server.port}/ws?token={server.token()}") as ws:
        ws.recv(timeout=10)
        ws.send(bytes(640))
        ws.recv(timeout=10)
    settle_and_measure(server, {"tasks": 10**6, "fds": 10**6, "threads": 10**6})
    return resources(server)


def test_offers_that_crash_other_servers_get_a_400(server):
    with httpx.Client(base_url=server.url) as client:
        for name, (offer, detail) in NAMED_SHAPES.items():
            response = client.post("/offer", json={"sdp": offer, "type": "offer"}, headers=server.auth())
            assert response.status_code == 400 and detail in response.json()["detail"], (name, response.text)
    assert not server.manager.pending and server.sessions() == 0


def test_generated_offers_get_a_4xx_or_an_answer_and_leak_nothing(server, server_errors, speech):
    baseline = baseline_of(server)
    cases = tally("POST /offer (SDP and body)")
    token = server.app.state.access.session_token("127.0.0.1")
    with httpx.Client(base_url=server.url, timeout=30) as client:

        @FUZZ
        @given(request=offer_requests(token))
        def post(request: Request) -> None:
            response = client.post("/offer", content=request.content, headers=request.headers)
            assert response.status_code in (200, 400, 401, 413, 415), response.text
            body = response.json()
            if response.status_code == 200:
                assert body["type"] == "answer" and body["sdp"].startswith("v=0")
            else:
                assert isinstance(body["detail"], str) and body["detail"]
            cases.count(str(response.status_code))

        post()
    assert cases.cases >= 1000 and cases.outcomes.get("200") and cases.outcomes.get("400")
    assert not server_errors(), [r.getMessage() for r in server_errors()][:5]
    after = settle_and_measure(server, baseline)
    print(f"offer fuzz: {cases.line()}; resources before {baseline}, after {after}")
    assert_serves_a_webrtc_conversation(server, speech)


def assert_serves_a_webrtc_conversation(server: LiveServer, speech) -> None:
    """A real spoken question over WebRTC still gets its answer."""
    from aiortc.contrib.media import MediaPlayer

    wav = Path(tempfile.mkdtemp()) / "question.wav"  # the question, then silence to end the turn
    write_wav(wav, np.concatenate([read_audio(speech["goforward"]), np.zeros(16000 * 8, np.int16)]), 16000)

    async def talk() -> dict:
        player = MediaPlayer(str(wav))
        peer = await offer_peer(server.url, await session_token(server.url), audio=player.audio)
        try:
            assert peer.response.status_code == 200, peer.response.text
            return await peer.wait_for("final", 60)
        finally:
            await peer.close()
            player.audio.stop()

    final = asyncio.run(talk())
    assert "forward" in final["text"].lower()
    assert server.wait_sessions(0, timeout=20) == 0


# ---------------------------------------------------------------- the WebSocket protocol

CLOSE_CODES = {1000, 1003, 1007, 1008, 1009, 4401, 4408}

audio_messages = st.one_of(
    st.integers(0, 4).map(lambda n: bytes(640 * n)),
    st.binary(max_size=700),
    st.sampled_from([bytes(32000), bytes(32001), bytes(32002), bytes(1), bytes(8000)]),
)
text_messages = st.one_of(
    st.just(json.dumps({"type": "stop"})),
    st.text(max_size=60),
    st.builds(
        json.dumps, st.dictionaries(st.sampled_from(["type", "x", ""]), st.text(max_size=8), max_size=2)
    ),
    st.just("x" * 1025),
    st.just(json.dumps({"type": "stop", "pad": "x" * 1100})),
)


def expected_close(messages: list[bytes | str]) -> tuple[int | None, int]:
    """What the protocol says about a sequence: (the close code, or None if the session goes on, and how
    many messages the server handles). Audio past 2 s may also be refused as faster than real time."""
    for i, message in enumerate(messages):
        if isinstance(message, bytes):
            if len(message) > 32000:
                return 1009, i
            if len(message) % 2:
                return 1007, i
        else:
            if len(message) > 1024:
                return 1009, i
            try:
                command = json.loads(message)
            except ValueError:
                return 1003, i
            if not isinstance(command, dict) or command.get("type") != "stop":
                return 1003, i
            return 1000, i
    return None, len(messages)


@st.composite
def ws_sessions(draw: st.DrawFn) -> tuple[str, list[bytes | str], str]:
    token = draw(st.sampled_from(["valid"] * 9 + ["missing", "garbage"]))
    kinds = draw(st.lists(st.sampled_from(["audio"] * 5 + ["any bytes", "text"]), max_size=6))
    pcm = st.integers(0, 25).map(lambda n: bytes(640 * n))  # up to 0.5 s of real audio's length
    strategies = {"audio": pcm, "any bytes": audio_messages, "text": text_messages}
    messages = [draw(strategies[kind]) for kind in kinds]
    ending = draw(st.sampled_from(["close", "abrupt"]))
    return token, messages, ending


def run_ws_session(server: LiveServer, token: str, messages: list[bytes | str], ending: str) -> str:
    """Play one generated session; return its outcome, asserting it is what the protocol says."""
    value = {"valid": server.app.state.access.session_token("127.0.0.1"), "missing": "", "garbage": "x.y.z"}[
        token
    ]
    with connect(f"ws://127.0.0.1:{server.port}/ws?token={value}", open_timeout=10, close_timeout=2) as ws:
        if token != "valid":
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)
            assert closed.value.rcvd.code == 4401, closed.value.rcvd
            return "4401"
        hello = json.loads(ws.recv(timeout=10))
        assert hello["type"] == "session" and hello["input_rate"] == 16000
        code, handled = expected_close(messages)
        audio_s = 0.0
        try:
            for message in messages[: handled + 1]:
                ws.send(message)
                if isinstance(message, bytes) and len(message) <= 32000 and len(message) % 2 == 0:
                    audio_s += len(message) / 32000
                    reply = ws.recv(timeout=10)
                    while isinstance(reply, str):  # events come before the answer
                        reply = ws.recv(timeout=10)
                    assert len(reply) == len(message)
            if code is None:
                if ending == "abrupt":  # no close frame: the TCP connection just goes
                    ws.socket.shutdown(socket.SHUT_RDWR)
                    return "dropped"
                return "closed"  # by the context manager, with a close frame
            while True:
                ws.recv(timeout=10)
        except ConnectionClosed as exc:
            got = exc.rcvd.code if exc.rcvd else None
            if got == 1008 and audio_s > 2.0:  # ahead of real time: refused before the expected end
                return "1008"
            assert got == code, (got, code, exc.rcvd)
            assert got in CLOSE_CODES
            return str(got)


def test_generated_websocket_sessions_close_cleanly_and_leak_nothing(server, server_errors, speech):
    baseline = baseline_of(server)
    cases = tally("WebSocket /ws (sessions of audio, text and junk)")

    @FUZZ
    @given(session=ws_sessions())
    def play(session) -> None:
        cases.count(run_ws_session(server, *session))

    play()
    assert cases.cases >= 1000 and cases.outcomes.get("closed") and cases.outcomes.get("1003")
    assert not server_errors(), [r.getMessage() for r in server_errors()][:5]
    after = settle_and_measure(server, baseline)
    print(f"websocket fuzz: {cases.line()}; resources before {baseline}, after {after}")
    events, reply = asyncio.run(talk_over_websocket(server.ws_url, read_audio(speech["goforward"]), tail_s=1))
    assert any(e["type"] == "final" and "forward" in e["text"].lower() for e in events)
    assert np.abs(reply.astype(np.int32)).max() > 1000
