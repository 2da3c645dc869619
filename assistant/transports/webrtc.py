"""WebRTC with aiortc: the browser's microphone in, the reply out on a paced track, events on a data channel.

Incoming Opus packets are decoded the moment they arrive (no receive buffer: see `AudioPassThrough`), and
av's resampler turns the 48 kHz stereo frames into the engine's 16 kHz mono.
The outgoing track hands aiortc one 20 ms frame per 20 ms of wall time, pulled from the conversation's
output buffer at that moment, so that a barge-in (which empties the buffer) is silence on the very next
frame; the browser is asked to keep its own jitter buffer short.
"""

from __future__ import annotations

import asyncio
import fractions
import json
import logging
import time

import av
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtp import RtpPacket
from aiortc.utils import uint16_add

from assistant.transports.remote import RemoteSession, SessionManager

log = logging.getLogger(__name__)

RATE = 48000
FRAME_MS = 20
SILENT_PEER_TIMEOUT_S = 5.0
"""Browsers send audio packets all the time, silence included; none for this long means the peer is gone
(a killed tab sends no goodbye, and ICE consent takes 30 s to expire)."""


class AudioPassThrough:
    """aiortc's receive buffer, for audio: each RTP packet is one whole Opus frame, handed on as it arrives.

    aiortc's own holds audio until 4 later packets are in (`prefetch=4`), 80 ms added to every turn before
    the engine hears the end of the speech; even without prefetch it waits for the next packet to see that
    a frame is whole. A packet that arrives after a newer one is dropped (Opus conceals the gap), as is a
    duplicate: on a LAN or loopback that is rare, and the engine would rather hear a 20 ms gap late.
    """

    capacity = 16

    def __init__(self) -> None:
        self._next: int | None = None

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        """(ask for a picture: always False for audio, the frame to decode or None)."""
        if self._next is not None and uint16_add(packet.sequence_number, -self._next) >= 0x8000:
            return False, None
        self._next = uint16_add(packet.sequence_number, 1)
        return False, JitterFrame(data=packet._data, timestamp=packet.timestamp)  # type: ignore[attr-defined]


def hand_on_audio_at_once(receiver: RTCRtpReceiver) -> None:
    """Swap an audio receiver's buffer for `AudioPassThrough` before any packet arrives (aiortc has no
    option for it; tests/test_server.py fails if an upgrade moves the attribute)."""
    attribute = "_RTCRtpReceiver__jitter_buffer"
    if receiver.track is not None and receiver.track.kind == "audio" and hasattr(receiver, attribute):
        setattr(receiver, attribute, AudioPassThrough())


class ReplyTrack(MediaStreamTrack):
    """The assistant's voice: silence or reply audio, one frame per 20 ms of wall time."""

    kind = "audio"

    def __init__(self, session: RemoteSession) -> None:
        super().__init__()
        self._session = session
        self._samples = RATE * FRAME_MS // 1000
        self._start: float | None = None
        self._pts = 0

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            self._pts += self._samples
            wait = self._start + self._pts / RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        pcm = self._session.pull_audio(self._samples)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        return frame


class WebRtcSession:
    """One peer connection and everything it owns; `close()` is safe to call more than once."""

    def __init__(self, manager: SessionManager, session: RemoteSession, registry: set[WebRtcSession]) -> None:
        self.manager = manager
        self.session = session
        self._registry = registry
        registry.add(self)
        self.pc = RTCPeerConnection()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False

    async def answer(self, offer: RTCSessionDescription) -> RTCSessionDescription:
        pc = self.pc
        pc.addTrack(ReplyTrack(self.session))

        has_audio = asyncio.Event()

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "audio" and not has_audio.is_set():
                has_audio.set()
                self._spawn(self._receive(track))

        @pc.on("datachannel")
        def on_datachannel(channel) -> None:
            self._spawn(self._send_events(channel))
            channel.on("close", lambda: self._spawn(self.close()))

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in ("failed", "closed", "disconnected"):
                await self.close()

        await pc.setRemoteDescription(offer)
        for receiver in pc.getReceivers():
            hand_on_audio_at_once(receiver)
        await pc.setLocalDescription(await pc.createAnswer())
        self._spawn(self._require_audio(has_audio))
        return pc.localDescription

    async def _require_audio(self, has_audio: asyncio.Event) -> None:
        """A peer that sends no microphone would hold a session slot for nothing."""
        try:
            await asyncio.wait_for(has_audio.wait(), SILENT_PEER_TIMEOUT_S)
        except TimeoutError:
            log.info("session %s: the peer sent no audio track", self.session.id)
            await self.close()

    def _spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _receive(self, track: MediaStreamTrack) -> None:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=16000)
        try:
            while True:
                async with asyncio.timeout(SILENT_PEER_TIMEOUT_S):  # no task per frame, unlike wait_for
                    frame = await track.recv()
                for out in resampler.resample(frame):
                    self.session.push_audio(out.to_ndarray().reshape(-1))
        except (MediaStreamError, TimeoutError):  # the browser stopped sending: the tab is gone
            log.info("session %s: the peer stopped sending audio", self.session.id)
            await self.close()

    async def _send_events(self, channel) -> None:
        if channel.readyState == "connecting":
            opened = asyncio.Event()
            channel.on("open", opened.set)
            await opened.wait()
        async for message in self.session.messages():
            if channel.readyState != "open":
                return
            channel.send(json.dumps(message))

    async def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        await asyncio.gather(*(t for t in self._tasks if t is not current), return_exceptions=True)
        await self.pc.close()
        await self.manager.close(self.session)
        self._registry.discard(self)
