"""WebRTC with aiortc: the browser's microphone in, the reply out on a paced track, events on a data channel.

A peer is pending until it proves itself: its first audio frame arrives (so ICE and DTLS are done and the
microphone flows) within `server.pending_timeout_s`; only then does it get a conversation slot. Offers are
checked before aiortc sees them: one audio m-line that sends, at most one data channel, nothing else.

Incoming Opus packets are decoded the moment they arrive (no receive buffer: see `AudioPassThrough`), and
av's resampler turns the 48 kHz stereo frames into the engine's 16 kHz mono.
The outgoing track hands aiortc one 20 ms frame per 20 ms of wall time, pulled from the conversation's
output buffer at that moment, so that a barge-in (which empties the buffer) is silence on the very next
frame; the browser is asked to keep its own jitter buffer short.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import json
import logging
import time

import av
import numpy as np
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtp import RtpPacket
from aiortc.sdp import SessionDescription
from aiortc.utils import uint16_add

from assistant.transports.admission import Pending, Refused
from assistant.transports.remote import RemoteSession, SessionManager, new_session_id

log = logging.getLogger(__name__)

RATE = 48000
FRAME_MS = 20
MAX_CHANNEL_MESSAGE = 1024
"""The only message a client sends on the data channel is `{"type": "stop"}`; anything longer is refused."""
LATE_S = 0.5
"""After the idle timeout, a second look this long for a frame that arrived while the loop was busy."""
CODECS = ("opus", "pcmu", "pcma")
"""What aiortc decodes."""


def offer_problem(sdp: str) -> str | None:
    """Why an SDP offer cannot become a session (None: it may), before aiortc spends anything on it.

    Refused: no audio, several audio m-lines, video or any other media (aiortc would decode a video track
    nobody reads), more than one data channel, m-lines without their own `a=mid` or a BUNDLE group naming
    a missing one (aiortc then fails half-way and cannot even close the connection), audio that does not
    send (`a=inactive`, `recvonly`), no codec aiortc decodes, no ICE credentials or DTLS fingerprint.
    """
    try:
        parsed = SessionDescription.parse(sdp)
    except Exception:  # aiortc's parser asserts and indexes its way through; any failure is a bad offer
        return "the SDP offer cannot be parsed"
    kinds = [m.kind for m in parsed.media]
    audio = [m for m in parsed.media if m.kind == "audio"]
    if not audio:
        return "the offer has no audio: add the microphone track before createOffer()"
    if len(audio) > 1:
        return f"the offer has {len(audio)} audio m-lines; send one microphone"
    if other := sorted({k for k in kinds if k not in ("audio", "application")}):
        return f"the server takes audio and a data channel only, not {', '.join(other)}"
    if kinds.count("application") > 1:
        return "the offer has more than one data channel m-line"
    mids = [m.rtp.muxId for m in parsed.media]
    if not all(mids) or len(set(mids)) != len(mids):
        return "every m-line of the offer needs its own a=mid"
    if any(str(mid) not in mids for group in parsed.group for mid in group.items):
        return "the offer's a=group names an m-line (a=mid) it does not have"
    (mic,) = audio
    if mic.direction not in (None, "sendrecv", "sendonly"):
        return f"the offer's audio is {mic.direction}: it sends no microphone"
    if not any(c.mimeType.split("/")[-1].lower() in CODECS for c in mic.rtp.codecs):
        return "the offer's audio has no codec the server decodes (Opus, PCMU or PCMA)"
    if mic.ice is None or not mic.ice.usernameFragment or not mic.ice.password:
        return "the offer has no ICE credentials (a=ice-ufrag, a=ice-pwd)"
    if mic.dtls is None or not mic.dtls.fingerprints:
        return "the offer has no DTLS fingerprint"
    return None


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

    def __init__(self, peer: WebRtcPeer) -> None:
        super().__init__()
        self._peer = peer
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
        session = self._peer.session  # None while the peer is pending: silence
        pcm = session.pull_audio(self._samples) if session else np.zeros(self._samples, np.int16)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        return frame


class WebRtcPeer:
    """One peer connection and everything it owns: pending, then (once proven) a session.

    `close()` is safe to call more than once and frees the pending slot or the session.
    """

    def __init__(self, manager: SessionManager, ticket: Pending, registry: set[WebRtcPeer]) -> None:
        self.manager = manager
        self.ticket = ticket
        self.id = new_session_id()
        self.session: RemoteSession | None = None
        self._registry = registry
        registry.add(self)
        self.pc = RTCPeerConnection()
        self._channel = None
        self._channel_open = asyncio.Event()
        self._proven = asyncio.Event()
        self._ready = asyncio.Event()
        self._receiving = False
        self._ending = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False

    async def answer(self, offer: RTCSessionDescription) -> RTCSessionDescription:
        pc = self.pc
        pc.addTrack(ReplyTrack(self))

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "audio" and not self._receiving:
                self._receiving = True
                self._spawn(self._receive(track), "receive")

        @pc.on("datachannel")
        def on_datachannel(channel) -> None:
            if self._channel is not None:  # one channel per peer: a second would split the events
                channel.close()
                return
            self._channel = channel
            channel.on("message", self._on_message)
            channel.on("close", lambda: self._spawn(self.close(), "close"))
            self._spawn(self._send_events(channel), "events")

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in ("failed", "closed", "disconnected"):
                await self.close()

        await pc.setRemoteDescription(offer)
        for receiver in pc.getReceivers():
            hand_on_audio_at_once(receiver)
        await pc.setLocalDescription(await pc.createAnswer())
        self._spawn(self._prove_in_time(), "grace")
        return pc.localDescription

    async def _prove_in_time(self) -> None:
        """A peer that never connects, or sends no audio, is let go after the grace period."""
        grace = self.manager.cfg.server.pending_timeout_s
        try:
            await asyncio.wait_for(self._proven.wait(), grace)
        except TimeoutError:
            log.info("peer %s: no audio within %g s; let go", self.id, grace)
            await self.close()

    def _spawn(self, coro, name: str) -> None:
        task = asyncio.create_task(coro, name=f"webrtc-{name}-{self.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _receive(self, track: MediaStreamTrack) -> None:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=16000)
        idle = self.manager.cfg.server.idle_timeout_s
        try:
            frame = await track.recv()  # ICE, DTLS and the microphone all work: the peer has proven itself
            self._proven.set()
            try:
                self.session = await self.manager.open(RATE, self.ticket, self.id)
            except Refused as exc:
                await self._refuse(str(exc))
                return
            self._ready.set()
            while True:
                for out in resampler.resample(frame):
                    self.session.push_audio(out.to_ndarray().reshape(-1))
                try:
                    async with asyncio.timeout(idle):  # no task per frame, unlike wait_for
                        frame = await track.recv()
                except TimeoutError:  # a second look: the loop may have been too busy to read it
                    async with asyncio.timeout(LATE_S):
                        frame = await track.recv()
        except (MediaStreamError, TimeoutError):  # the browser stopped sending: the tab is gone
            log.info("peer %s: no audio for %g s; closed", self.id, idle)
            await self.close()

    async def _refuse(self, reason: str) -> None:
        """Tell the client why (if its channel opens soon), then hang up."""
        log.info("peer %s refused: %s", self.id, reason)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                await self._channel_open.wait()
        self._send({"type": "error", "source": "server", "message": reason})
        await self._drain()
        await self.close()

    async def _drain(self, timeout_s: float = 0.5) -> None:
        """Give what was sent on the data channel a moment to leave before the connection is closed."""
        channel = self._channel
        if channel is not None and channel.bufferedAmount:
            sent = asyncio.Event()
            channel.once("bufferedamountlow", sent.set)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout_s):
                    await sent.wait()
        await asyncio.sleep(0.1)  # from the SCTP queue onto the wire

    def _send(self, message: dict) -> None:
        channel = self._channel
        if channel is not None and channel.readyState == "open":
            channel.send(json.dumps(message))

    async def _send_events(self, channel) -> None:
        if channel.readyState == "connecting":
            opened = asyncio.Event()
            channel.on("open", opened.set)
            await opened.wait()
        self._channel_open.set()
        await self._ready.wait()
        assert self.session is not None
        channel.send(json.dumps({"type": "session", "session_id": self.id}))
        async for message in self.session.messages():
            if channel.readyState != "open":
                return
            channel.send(json.dumps(message))

    def _on_message(self, message: str | bytes) -> None:
        """Accepted: `{"type": "stop"}`. Anything else (binary, over 1 KiB, not JSON, another command)
        gets an error event and ends the session, as on the WebSocket."""
        if self._ending:
            return
        self._ending = True
        problem = None
        if isinstance(message, bytes):
            problem = "the data channel takes text messages only"
        elif len(message) > MAX_CHANNEL_MESSAGE:
            problem = f"messages on the data channel are at most {MAX_CHANNEL_MESSAGE} characters"
        else:
            try:
                command = json.loads(message)
            except ValueError:
                command = None
            if not isinstance(command, dict) or command.get("type") != "stop":
                problem = 'the only command on the data channel is {"type": "stop"}'
        if problem:
            log.info("peer %s: %s", self.id, problem)
            self._send({"type": "error", "source": "client", "message": problem})
        self._spawn(self._drain_and_close(), "close")

    async def _drain_and_close(self) -> None:
        await self._drain()
        await self.close()

    async def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        await asyncio.gather(*(t for t in self._tasks if t is not current), return_exceptions=True)
        try:
            await self.pc.close()
        except Exception as exc:  # aiortc after an offer it half accepted; the slot is freed all the same
            log.warning("peer %s: aiortc could not close the connection: %r", self.id, exc)
        self.manager.release(self.ticket)
        if self.session is not None:
            await self.manager.close(self.session)
        self._registry.discard(self)
