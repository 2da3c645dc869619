"""The desktop: a duplex sounddevice (PortAudio) stream feeding a conversation.

PortAudio calls back in its own thread every frame with the microphone's block and wants the speaker's
block: the callback pulls speaker audio (thread-safe) and hands the microphone frame, with the block that
was just played as the echo reference, to the event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np

from assistant.audio import StreamResampler
from assistant.engine import Conversation
from assistant.transports.framing import InputFramer


class AudioDeviceError(RuntimeError):
    """No usable device, or a device that refuses the settings; the message says which and why."""


def _sd() -> Any:
    try:
        import sounddevice
    except OSError as exc:  # PortAudio itself is missing
        raise AudioDeviceError(f"PortAudio is not available ({exc}); install libportaudio2") from None
    return sounddevice


def list_devices() -> str:
    sd = _sd()
    lines = []
    for index, dev in enumerate(sd.query_devices()):
        kinds = []
        if dev["max_input_channels"]:
            kinds.append(f"in {dev['max_input_channels']}ch")
        if dev["max_output_channels"]:
            kinds.append(f"out {dev['max_output_channels']}ch")
        marks = []
        default_in, default_out = sd.default.device
        if index == default_in:
            marks.append("default input")
        if index == default_out:
            marks.append("default output")
        lines.append(
            f"{index:3d}  {dev['name']}  ({', '.join(kinds)}, {dev['default_samplerate']:.0f} Hz)"
            + (f"  [{', '.join(marks)}]" if marks else "")
        )
    return "\n".join(lines) if lines else "no audio devices found"


def resolve_device(spec: str | int | None, kind: str) -> int | None:
    """A device by index or by (part of) its name; None means the system default."""
    if spec is None or spec == "":
        return None
    sd = _sd()
    devices = sd.query_devices()
    channels = "max_input_channels" if kind == "input" else "max_output_channels"
    if isinstance(spec, int) or str(spec).isdigit():
        index = int(spec)
        if index >= len(devices) or not devices[index][channels]:
            raise AudioDeviceError(
                f"{kind} device {index} does not exist; run `assistant devices` to list them"
            )
        return index
    matches = [i for i, d in enumerate(devices) if str(spec).lower() in d["name"].lower() and d[channels]]
    if not matches:
        raise AudioDeviceError(f"no {kind} device matches {spec!r}; run `assistant devices` to list them")
    return matches[0]


def pick_rate(input_device: int | None, output_device: int | None, requested: int | None) -> int:
    """The duplex stream's rate: the one asked for, checked, else the output device's default."""
    sd = _sd()
    if requested is None:
        info = sd.query_devices(output_device, "output")
        requested = int(info["default_samplerate"])
    try:
        sd.check_input_settings(device=input_device, channels=1, dtype="int16", samplerate=requested)
        sd.check_output_settings(device=output_device, channels=1, dtype="int16", samplerate=requested)
    except Exception as exc:
        raise AudioDeviceError(
            f"the audio device does not support {requested} Hz mono 16-bit ({exc}); "
            "try --sample-rate 48000 or 44100, or pick another device"
        ) from None
    return requested


class MicrophoneTransport:
    """Runs a conversation on a real duplex audio stream until stopped."""

    def __init__(
        self,
        conversation: Conversation,
        device_rate: int,
        input_device: int | None = None,
        output_device: int | None = None,
    ) -> None:
        if conversation.output.sample_rate != device_rate:
            raise ValueError("the conversation's output rate must equal the device rate")
        self.conv = conversation
        self.rate = device_rate
        self.devices = (input_device, output_device)
        self.block = device_rate * conversation.frame_ms // 1000
        self._to_engine = StreamResampler(device_rate, 16000)
        self._framer = InputFramer(conversation, device_rate)
        self.status_errors = 0
        self._stream: Any = None

    def _callback(
        self, loop: asyncio.AbstractEventLoop, indata: np.ndarray, outdata: np.ndarray, status: Any
    ) -> None:
        if status:
            self.status_errors += 1
        out = self.conv.pull_output(outdata.shape[0])
        outdata[:, 0] = out
        mic = self._to_engine(indata[:, 0].copy())
        loop.call_soon_threadsafe(self._deliver, mic, out)

    def _deliver(self, mic: np.ndarray, played: np.ndarray) -> None:
        self._framer.played(played)
        self._framer.feed(mic)

    async def run(self, stop: asyncio.Event) -> None:
        sd = _sd()
        loop = asyncio.get_running_loop()
        try:
            self._stream = sd.Stream(
                samplerate=self.rate,
                blocksize=self.block,
                device=self.devices,
                channels=1,
                dtype="int16",
                latency="low",
                callback=lambda i, o, _f, _t, s: self._callback(loop, i, o, s),
            )
        except Exception as exc:
            raise AudioDeviceError(f"cannot open the audio device: {exc}") from None
        with self._stream:
            await stop.wait()
