"""The desktop: a microphone stream and a speaker stream (sounddevice, PortAudio) feeding a conversation.

Two streams rather than one duplex stream, so that each runs at the rate the engine wants (16 kHz in, the
voice's rate out: see audiodevices.py) and so that the speaker's can be flushed alone. PortAudio calls each
back in its own thread: the microphone's with 20 ms blocks, which go to the event loop; the speaker's
with 10 ms blocks pulled from the conversation (thread-safe), each block also going to the event loop as
the echo reference. A small device buffer (`latency_s`, 20 ms) keeps what is queued for the speaker short,
and a barge-in empties it: the output buffer's pause aborts and restarts the speaker stream, which drops
what PortAudio and the sound server still held (measured on PulseAudio: the reply stops 1-10 ms after the
pause instead of 45-60 ms).

Devices fail: a sound server restarts, a headset is unplugged, an xrun leaves ALSA in an error state.
A watchdog notices a stream that stopped, raised, or has not called back for `stall_s`, says so, closes
both streams, and reopens them with backoff (PortAudio re-enumerates the devices each time, so a device
that comes back under another number is found by name). The conversation itself carries on; when the
sound is back the console says so, with the time it took, and the assistant says it aloud.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from assistant.audio import StreamResampler
from assistant.engine import Conversation
from assistant.transports.audiodevices import (
    ENGINE_RATE,
    AudioDeviceError,
    StreamRates,
    list_devices,
    pick_rates,
    reinit_portaudio,
    resolve_device,
    sd_module,
)
from assistant.transports.timed_framing import TimedFramer

__all__ = [
    "AudioDeviceError",
    "MicrophoneTransport",
    "StreamRates",
    "list_devices",
    "pick_rates",
    "resolve_device",
]

BACK_NOTICE = "Sorry, I lost the sound for a moment. I can hear you again."
"""Said when the devices are back, so that someone who is not looking at the console knows."""
BACKOFF_S = (0.1, 0.2, 0.5, 1.0)
"""Waits between attempts to reopen; the last one repeats."""
XRUN_WINDOW_S = 10.0
UNDERRUNS_TO_GROW = 10
"""Speaker underruns within XRUN_WINDOW_S after which its buffer doubles (up to MAX_LATENCY_S): a busy
machine's Python callbacks can be late, and a gap in the voice is worse than 20 ms more latency."""
MAX_LATENCY_S = 0.08


def _in_thread(fn: Callable[[], Any], timeout: float) -> Any:
    """Run a PortAudio call that may hang (a dead sound server) in a daemon thread, waiting at most
    `timeout`; TimeoutError if it has not returned, and its own exception if it raised."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = fn()
        except BaseException as exc:  # handed to the caller
            result["error"] = exc

    thread = threading.Thread(target=target, name="portaudio-call", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"PortAudio did not return within {timeout:.0f} s")
    if "error" in result:
        raise result["error"]
    return result.get("value")


class MicrophoneTransport:
    """Runs a conversation on a microphone and a speaker until stopped, reopening them when they fail.

    `rates`: a StreamRates, or one rate for both (the conversation's output rate must equal the output's).
    `input_device`, `output_device`: index, (part of a) name, or None for the default; resolved again at
    every reopen. `notify(text)`: where notices about the devices go (the console). `events` lists every
    loss and recovery with its times.
    """

    def __init__(
        self,
        conversation: Conversation,
        rates: StreamRates | int,
        input_device: int | str | None = None,
        output_device: int | str | None = None,
        *,
        notify: Callable[[str], None] | None = None,
        latency_s: float = 0.02,
        output_block_ms: int = 10,
        stall_s: float = 1.0,
        flush_on_pause: bool = True,
    ) -> None:
        self.rates = rates if isinstance(rates, StreamRates) else StreamRates(rates, rates)
        if conversation.output.sample_rate != self.rates.output:
            raise ValueError("the conversation's output rate must equal the output stream's rate")
        self.conv = conversation
        self.specs = (input_device, output_device)
        self.latency_s = {"input": latency_s, "output": latency_s}
        self.in_block = self.rates.input * conversation.frame_ms // 1000
        self.out_block = self.rates.output * output_block_ms // 1000
        self.stall_s = stall_s
        self.notify = notify or (lambda text: print(text, flush=True))
        self.flush_on_pause = flush_on_pause
        self.events: list[dict[str, Any]] = []
        self.xruns = {"input": 0, "output": 0, "output_voiced": 0}
        """Microphone overflows, speaker underruns, and the underruns that fell inside the assistant's
        voice (the block before or after had sound): the only ones a listener can hear."""
        self._voiced = False
        self.flushes = 0
        self._streams: dict[str, Any] = {}
        self._devices: list[int | None] = [None, None]
        self._last_call = {"input": 0.0, "output": 0.0}
        self._fault: str | None = None
        self._flushing = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._framer = TimedFramer(conversation, self.rates.output)
        self._to_engine = StreamResampler(self.rates.input, ENGINE_RATE)

    def summary(self) -> dict[str, Any]:
        """For the report: the rates, the losses and recoveries, xruns and barge-in flushes."""
        return {
            "rates": {"input": self.rates.input, "output": self.rates.output},
            "latency_ms": {k: round(v * 1000, 1) for k, v in self.latency_s.items()},
            "events": self.events,
            "xruns": dict(self.xruns),
            "flushes": self.flushes,
        }

    # ----------------------------------------------------------------- PortAudio's threads

    def _input_callback(self, indata: np.ndarray, frames: int, t: Any, status: Any) -> None:
        now = self._last_call["input"] = time.monotonic()
        try:
            if status.input_overflow:
                self.xruns["input"] += 1
            mic = self._to_engine(indata[:, 0].copy())
            assert self._loop is not None
            self._loop.call_soon_threadsafe(self._framer.feed, mic, now, bool(status.input_overflow))
        except Exception as exc:  # a dead loop at shutdown, or a bug: stop this stream, the watchdog says why
            self._fault = f"the microphone's callback failed: {exc!r}"
            raise sd_module().CallbackAbort from None

    def _output_callback(self, outdata: np.ndarray, frames: int, t: Any, status: Any) -> None:
        now = self._last_call["output"] = time.monotonic()
        try:
            out = self.conv.pull_output(frames)
            voiced, self._voiced = self._voiced, bool(out.any())
            if status.output_underflow:
                self.xruns["output"] += 1
                self.xruns["output_voiced"] += voiced or self._voiced
            outdata[:, 0] = out
            assert self._loop is not None
            self._loop.call_soon_threadsafe(self._framer.played, out, now, bool(status.output_underflow))
        except Exception as exc:
            outdata.fill(0)
            self._fault = f"the speaker's callback failed: {exc!r}"
            raise sd_module().CallbackAbort from None

    # ----------------------------------------------------------------- opening and closing

    def _output_stream(self, device: int | None) -> Any:
        return sd_module().OutputStream(
            samplerate=self.rates.output,
            blocksize=self.out_block,
            device=device,
            channels=1,
            dtype="int16",
            latency=self.latency_s["output"],
            callback=self._output_callback,
        )

    def _open(self) -> None:
        """Resolve the devices and start both streams (blocking; AudioDeviceError says why not)."""
        sd = sd_module()
        self._fault = None
        try:
            devices = [resolve_device(self.specs[0], "input"), resolve_device(self.specs[1], "output")]
            streams = {
                "input": sd.InputStream(
                    samplerate=self.rates.input,
                    blocksize=self.in_block,
                    device=devices[0],
                    channels=1,
                    dtype="int16",
                    latency=self.latency_s["input"],
                    callback=self._input_callback,
                ),
                "output": self._output_stream(devices[1]),
            }
        except AudioDeviceError:
            raise
        except Exception as exc:
            raise AudioDeviceError(f"cannot open the audio device: {exc}") from None
        self._devices = devices
        now = time.monotonic()
        self._last_call = {"input": now, "output": now}
        self._framer = TimedFramer(self.conv, self.rates.output)
        self._to_engine = StreamResampler(self.rates.input, ENGINE_RATE)
        self._streams = streams
        try:
            for stream in streams.values():
                stream.start()
        except Exception as exc:
            self._close()
            raise AudioDeviceError(f"cannot start the audio device: {exc}") from None

    def _grow_output_buffer(self) -> None:
        """Reopen the speaker alone with twice the buffer (blocking)."""
        with self._flushing:
            old = self._streams["output"]
            self.latency_s["output"] = min(MAX_LATENCY_S, self.latency_s["output"] * 2)
            stream = self._output_stream(self._devices[1])
            old.abort()
            if self._loop is not None:
                self._loop.call_soon_threadsafe(self._framer.flushed, time.monotonic())
            old.close()
            stream.start()
            self._streams["output"] = stream
            self._last_call["output"] = time.monotonic()

    def _close(self) -> None:
        locked = self._flushing.acquire(timeout=1.0)  # not in the middle of emptying the speaker
        streams, self._streams = self._streams, {}
        if locked:
            self._flushing.release()
        for stream in streams.values():
            try:
                stream.abort()
            except Exception:  # already dead: closing is what matters
                pass
            try:
                stream.close()
            except Exception:
                pass

    def _reopen(self) -> None:
        """Forget every device PortAudio knew (the sound server may have restarted), then open again."""
        try:
            reinit_portaudio()
        except Exception as exc:
            raise AudioDeviceError(f"PortAudio cannot start again: {exc}") from None
        self._open()

    # ----------------------------------------------------------------- barge-in: empty the device

    def _on_pause(self) -> None:
        """The output buffer paused for a possible interruption: drop what the device still holds."""
        if not self.flush_on_pause or "output" not in self._streams:
            return
        threading.Thread(target=self._flush_output, name="speaker-flush", daemon=True).start()

    def _flush_output(self) -> None:
        stream = self._streams.get("output")
        if stream is None or not self._flushing.acquire(blocking=False):
            return
        try:
            stream.abort()
            assert self._loop is not None
            self._loop.call_soon_threadsafe(self._framer.flushed, time.monotonic())
            stream.start()
            self.flushes += 1
        except Exception as exc:
            if self._streams.get("output") is stream:  # not a stream that a reopen has replaced meanwhile
                self._fault = f"the speaker failed while being emptied: {exc}"
        finally:
            self._last_call["output"] = time.monotonic()
            self._flushing.release()

    # ----------------------------------------------------------------- the watchdog

    def _check(self, now: float) -> str | None:
        """Why the streams are dead, or None while they work."""
        if self._fault:
            return self._fault
        for kind, stream in self._streams.items():
            if kind == "output" and self._flushing.locked():
                continue
            if not stream.active:
                return f"the {'microphone' if kind == 'input' else 'speaker'} stream stopped"
            silent = now - self._last_call[kind]
            if silent > self.stall_s:
                what = (
                    "no audio from the microphone"
                    if kind == "input"
                    else "the speaker stopped asking for audio"
                )
                return f"{what} for {silent * 1000:.0f} ms"
        return None

    async def _watch(self, stop: asyncio.Event) -> str | None:
        """Wait until stopped (None) or until the streams fail (the reason); say when xruns pile up, and
        give the speaker a bigger buffer when it keeps running dry."""
        seen, since = dict(self.xruns), time.monotonic()
        while not stop.is_set():
            now = time.monotonic()
            if reason := self._check(now):
                return reason
            if now - since >= XRUN_WINDOW_S:
                gained = {k: self.xruns[k] - seen[k] for k in self.xruns}
                if any(gained.values()):
                    self.notify(
                        f"  ⚠ audio: {gained['input']} microphone overflows, {gained['output']} speaker "
                        f"underruns ({gained['output_voiced']} in the voice, which may have crackled) "
                        f"in {now - since:.0f} s"
                    )
                seen, since = dict(self.xruns), now
            elif (
                self.xruns["output"] - seen["output"] >= UNDERRUNS_TO_GROW
                and self.latency_s["output"] < MAX_LATENCY_S
            ):
                try:
                    await asyncio.to_thread(_in_thread, self._grow_output_buffer, 3.0)
                except Exception as exc:
                    return f"the speaker could not be reopened: {exc}"
                self.notify(
                    f"  ⚠ audio: the speaker ran dry {self.xruns['output'] - seen['output']} times; "
                    f"its buffer is now {self.latency_s['output'] * 1000:.0f} ms"
                )
                seen, since = dict(self.xruns), now
            try:
                await asyncio.wait_for(stop.wait(), 0.05)
            except TimeoutError:
                pass
        return None

    async def _recover(self, stop: asyncio.Event, reason: str) -> bool:
        """Reopen with backoff until it works (True) or the app stops (False)."""
        lost = time.monotonic()
        self.notify(f"  ⚠ audio device lost: {reason}; reopening …")
        event: dict[str, Any] = {"lost_at": time.time(), "reason": reason, "attempts": 0}
        self.events.append(event)
        try:
            await asyncio.to_thread(_in_thread, self._close, 3.0)
        except TimeoutError:
            self._streams = {}  # a stream stuck in a dead server is left behind, not waited for
        said = None
        attempt = 0
        while not stop.is_set():
            delay = BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]
            try:
                await asyncio.wait_for(stop.wait(), delay)
                return False
            except TimeoutError:
                pass
            attempt += 1
            event["attempts"] = attempt
            try:
                await asyncio.to_thread(_in_thread, self._reopen, 5.0)
            except (AudioDeviceError, TimeoutError) as exc:
                if said != str(exc):
                    self.notify(f"  ⚠ audio: still no device ({exc}); trying again")
                    said = str(exc)
                continue
            took = time.monotonic() - lost
            event |= {"back_at": time.time(), "recovery_s": round(took, 3)}
            self.notify(f"  ✓ audio device back after {took:.1f} s ({self.rates})")
            self.conv.announce(BACK_NOTICE)
            return True
        return False

    async def run(self, stop: asyncio.Event) -> None:
        """Open the devices (AudioDeviceError if they cannot be opened at all), then keep them working."""
        self._loop = asyncio.get_running_loop()
        await asyncio.to_thread(self._open)
        self.conv.output.on_pause = self._on_pause
        try:
            while not stop.is_set():
                reason = await self._watch(stop)
                if reason is None or not await self._recover(stop, reason):
                    break
        finally:
            self.conv.output.on_pause = None
            try:
                await asyncio.to_thread(_in_thread, self._close, 3.0)
            except TimeoutError:
                pass
