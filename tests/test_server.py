"""`assistant serve` on a real socket: the WebSocket transport with real speech, WebRTC with aiortc as the
peer, several sessions at once, the cap, resource release, and the bad inputs that must get a 4xx."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import numpy as np
import pytest
import websockets
from live_server import LiveServer
from peers import talk_over_websocket

from assistant.asr.wer import word_error_rate
from assistant.audio import read_audio
from assistant.config import load_config


@pytest.fixture(scope="module")
def server():
    cfg = load_config(
        overrides=[
            "llm.temperature=0",
            "server.max_sessions=4",
            "server.max_sessions_per_client=4",
            "server.max_pending_per_client=4",
            "server.session_starts_per_minute=1000",
        ]
    )
    with LiveServer(cfg) as live:
        yield live


async def test_websocket_conversation_with_real_speech(server, speech, caplog):
    caplog.set_level(logging.INFO, logger="assistant.turns")
    turns_before = turns_in_metrics(server)
    audio = read_audio(speech["goforward"])
    events, reply_audio = await talk_over_websocket(server.ws_url, audio)
    types = [e["type"] for e in events]
    final = next(e["text"] for e in events if e["type"] == "final")
    assert word_error_rate(["Go forward ten meters."], [final]) <= 0.25, final
    assert "partial" in types or "final" in types
    assert "reply_spoken" in types and {"thinking", "speaking"} <= {e.get("state") for e in events}
    turn = next(e["turn"] for e in events if e["type"] == "turn")
    assert turn["assistant_text"] and not turn["interrupted"]
    for key in ("endpoint", "asr_final", "llm_first_token", "tts_first_audio", "voice_to_voice"):
        assert turn["timings_ms"][key] is not None and turn["timings_ms"][key] > 0
    # Reply audio came back on the socket: well above silence for at least a second.
    loud = np.abs(reply_audio.astype(np.int32)) > 1000
    assert loud.sum() > 0 and reply_audio.size / 16000 > 1
    assert server.wait_sessions(0) == 0
    # /metrics counted the turn and its stages; the log has one line per turn, without the words.
    assert turns_in_metrics(server) == turns_before + 1
    metrics = server.metrics()
    assert 'assistant_stage_seconds_count{stage="voice_to_voice"}' in metrics
    assert "assistant_active_sessions 0.0" in metrics
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "assistant.turns"]
    assert lines and lines[-1]["timings_ms"]["voice_to_voice"] == turn["timings_ms"]["voice_to_voice"]
    assert "forward" not in caplog.text.lower()


def turns_in_metrics(server: LiveServer) -> float:
    lines = server.metrics().splitlines()
    return sum(float(line.split()[-1]) for line in lines if line.startswith("assistant_turns_total{"))


@pytest.mark.parametrize(
    ("message", "code", "reason"),
    [
        ("hello", 1003, "JSON"),
        (json.dumps({"type": "dance"}), 1003, "stop"),
        (b"\x01\x02\x03", 1007, "16-bit"),
        (b"\x00" * 40000, 1009, "one second"),
    ],
)
async def test_websocket_junk_closes_with_a_reason(server, message, code, reason):
    async with websockets.connect(server.ws_url) as ws:
        await ws.recv()  # session
        await ws.send(message)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd.code == code and reason in closed.value.rcvd.reason
    assert server.wait_sessions(0) == 0


async def test_full_server_refuses_new_sessions_clearly(server):
    sockets = [await websockets.connect(server.ws_url) for _ in range(4)]
    try:
        for ws in sockets:
            assert json.loads(await ws.recv())["type"] == "session"
            await ws.send(np.zeros(320, np.int16).tobytes())  # the first audio makes it a session
        assert server.wait_sessions(4) == 4
        async with websockets.connect(server.ws_url) as extra:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(extra.recv(), 5)
        assert closed.value.rcvd.code == 1013 and "full" in closed.value.rcvd.reason
        async with httpx.AsyncClient() as client:
            offer = {"sdp": await browser_like_offer(), "type": "offer"}
            answer = await client.post(f"{server.url}/offer", json=offer, headers=server.auth())
        assert answer.status_code == 503 and "full" in answer.json()["detail"]
    finally:
        for ws in sockets:
            await ws.close()
    assert server.wait_sessions(0) == 0


async def browser_like_offer(audio: str = "sendrecv", channel: bool = True) -> str:
    """An offer as a browser makes it (aiortc): one audio transceiver and a data channel."""
    from aiortc import RTCPeerConnection

    pc = RTCPeerConnection()
    if channel:
        pc.createDataChannel("events")
    pc.addTransceiver("audio", direction=audio)
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp


async def test_two_websocket_sessions_each_get_their_own_answer(server, speech):
    first, second = await asyncio.gather(
        talk_over_websocket(server.ws_url, read_audio(speech["goforward"]), tail_s=1),
        talk_over_websocket(server.ws_url, read_audio(speech["forever"]), tail_s=1),
    )
    finals = [next(e["text"] for e in events if e["type"] == "final") for events, _ in (first, second)]
    assert "forward" in finals[0].lower() and "forever" in finals[1].lower()
    ids = {next(e["session_id"] for e in events if e["type"] == "session") for events, _ in (first, second)}
    assert len(ids) == 2
    assert server.wait_sessions(0) == 0


NO_ICE_SDP = "v=0\r\no=- 0 0 IN IP4 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"
"""A bare audio offer: no session lines, ICE credentials or DTLS fingerprint."""


@pytest.mark.parametrize(
    ("kwargs", "status", "detail"),
    [
        ({"content": "v=0", "headers": {"content-type": "text/plain"}}, 415, "application/json"),
        ({"content": "{not json", "headers": {"content-type": "application/json"}}, 400, "not JSON"),
        ({"json": {"type": "offer"}}, 400, "sdp"),
        ({"json": {"sdp": "v=0", "type": "answer"}}, 400, "type"),
        ({"json": {"sdp": "x" * 70000, "type": "offer"}}, 413, "larger"),
        ({"json": {"sdp": NO_ICE_SDP, "type": "offer"}}, 400, "no codec"),
        ({"json": {"sdp": NO_ICE_SDP + "a=rtpmap:111 opus/48000/2\r\n", "type": "offer"}}, 400, "ICE"),
        ({"json": {"sdp": "m=" + "audio " * 2000, "type": "offer"}}, 400, "cannot be parsed"),
        ({"json": {"sdp": "\x00\xff" * 100, "type": "offer"}}, 400, "no audio"),
        ({"json": {"sdp": "m=audio \x00\xff" * 100, "type": "offer"}}, 400, "cannot be parsed"),
    ],
)
async def test_bad_offers_get_a_4xx_and_leak_nothing(server, kwargs, status, detail):
    async with httpx.AsyncClient() as client:
        headers = {**server.auth(), **kwargs.pop("headers", {})}
        response = await client.post(f"{server.url}/offer", headers=headers, **kwargs)
    assert response.status_code == status, response.text
    assert detail in response.json()["detail"]
    assert server.wait_sessions(0) == 0


async def test_health_and_page(server):
    async with httpx.AsyncClient() as client:
        health = (await client.get(f"{server.url}/health")).json()
        page = await client.get(f"{server.url}/")
        script = await client.get(f"{server.url}/static/app.js")
    assert health["status"] == "ok" and health["max_sessions"] == 4
    assert page.status_code == 200 and 'id="transcript"' in page.text
    assert script.status_code == 200 and "RTCPeerConnection" in script.text


async def test_webrtc_peer_gets_reply_audio_and_is_freed_on_disconnect(server, speech, tmp_path):
    """A real WebRTC peer (aiortc) says a recording; the reply comes back as audio; hanging up frees it."""
    from aiortc import RTCPeerConnection, RTCSessionDescription
    from aiortc.contrib.media import MediaPlayer

    from assistant.audio import write_wav

    wav = tmp_path / "say.wav"
    audio = read_audio(speech["goforward"])
    write_wav(wav, np.concatenate([audio, np.zeros(16000 * 6, np.int16)]), 16000)
    pc = RTCPeerConnection()
    channel = pc.createDataChannel("events")
    events: list[dict] = []
    channel.on("message", lambda m: events.append(json.loads(m)))
    player = MediaPlayer(str(wav))
    pc.addTrack(player.audio)
    levels: list[float] = []
    readers: list[asyncio.Task] = []

    @pc.on("track")
    def on_track(track) -> None:
        async def read() -> None:
            while True:
                frame = await track.recv()
                pcm = frame.to_ndarray().astype(np.float32)
                levels.append(float(np.sqrt(np.mean(pcm**2))))

        readers.append(asyncio.ensure_future(read()))

    await pc.setLocalDescription(await pc.createOffer())
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{server.url}/offer",
            json={"sdp": pc.localDescription.sdp, "type": "offer"},
            headers=server.auth(),
        )
    assert response.status_code == 200, response.text
    await pc.setRemoteDescription(RTCSessionDescription(**{k: response.json()[k] for k in ("sdp", "type")}))
    assert await asyncio.to_thread(server.wait_sessions, 1, 10) == 1  # once its audio arrives
    for _ in range(300):  # the turn arrives on the data channel within 30 s
        if any(e["type"] == "turn" for e in events):
            break
        await asyncio.sleep(0.1)
    turn = next((e["turn"] for e in events if e["type"] == "turn"), None)
    assert turn is not None, json.dumps([e for e in events if e["type"] != "partial"])  # none within 30 s
    assert "forward" in turn["user_text"].lower() and turn["assistant_text"]
    assert max(levels) > 1000, "no reply audio reached the peer"
    await pc.close()
    player.audio.stop()
    for reader in readers:
        reader.cancel()
    assert server.wait_sessions(0, timeout=20) == 0


async def test_incoming_audio_is_handed_on_the_moment_it_arrives():
    """aiortc would hold each packet until 4 more arrived (80 ms on every turn); ours passes each on at
    once and drops one that comes after a newer one. Fails if an aiortc upgrade moves the buffer."""
    from aiortc import RTCPeerConnection
    from aiortc.rtp import RtpPacket

    from assistant.transports.webrtc import hand_on_audio_at_once

    browser, server_side = RTCPeerConnection(), RTCPeerConnection()
    browser.addTransceiver("audio")
    await browser.setLocalDescription(await browser.createOffer())
    await server_side.setRemoteDescription(browser.localDescription)
    (receiver,) = server_side.getReceivers()
    hand_on_audio_at_once(receiver)
    buffer = receiver._RTCRtpReceiver__jitter_buffer

    def packet(seq: int) -> RtpPacket:
        p = RtpPacket(sequence_number=seq % 65536, timestamp=960 * seq)
        p._data = f"opus {seq}".encode()  # what aiortc's receiver sets: the depacketised payload
        return p

    assert buffer.add(packet(65534))[1].data == b"opus 65534"
    assert buffer.add(packet(65535))[1].data == b"opus 65535"
    assert buffer.add(packet(65537))[1].data == b"opus 65537"  # 65536 (0) was lost: go on, past the wrap
    assert buffer.add(packet(65536))[1] is None  # it came late: dropped
    assert buffer.add(packet(65537))[1] is None  # a duplicate
    await browser.close()
    await server_side.close()


async def test_webrtc_peer_without_a_microphone_is_refused(server):
    """An offer without audio, or whose audio sends nothing, is refused before aiortc sees it."""
    async with httpx.AsyncClient() as client:
        for sdp, detail in [
            (await browser_like_offer(audio="recvonly"), "recvonly"),
            (await browser_like_offer(audio="inactive"), "inactive"),
        ]:
            response = await client.post(
                f"{server.url}/offer", json={"sdp": sdp, "type": "offer"}, headers=server.auth()
            )
            assert response.status_code == 400 and detail in response.json()["detail"]
    assert server.sessions() == 0 and not server.manager.pending
