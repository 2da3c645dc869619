"""Sound devices through sounddevice (PortAudio): listing, choosing by name, and the rates to open them at.

The engine hears at 16 kHz and Piper speaks at its voice's own rate (22.05 kHz for the bundled voice). A
device, or the sound server behind it (PulseAudio, PipeWire), that accepts those rates is opened at them,
so no audio is resampled in the app; one that does not is opened at its own default rate and the app
resamples (soxr).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ENGINE_RATE = 16000


class AudioDeviceError(RuntimeError):
    """No usable device, or a device that refuses the settings; the message says which and why."""


def sd_module() -> Any:
    """The sounddevice module; AudioDeviceError when PortAudio itself is missing."""
    try:
        import sounddevice
    except OSError as exc:
        raise AudioDeviceError(f"PortAudio is not available ({exc}); install libportaudio2") from None
    return sounddevice


def reinit_portaudio() -> None:
    """Make PortAudio enumerate the devices again (a sound server restarted, a device came or went).

    Every stream of this process must be closed first."""
    sd = sd_module()
    sd._terminate()
    sd._initialize()


def list_devices() -> str:
    sd = sd_module()
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
    sd = sd_module()
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


@dataclass(frozen=True)
class StreamRates:
    """The rates the input and the output stream are opened at (Hz)."""

    input: int
    output: int

    def __str__(self) -> str:
        return f"{self.input} Hz in, {self.output} Hz out"


def _accepts(kind: str, device: int | None, rate: int) -> bool:
    sd = sd_module()
    check = sd.check_input_settings if kind == "input" else sd.check_output_settings
    try:
        check(device=device, channels=1, dtype="int16", samplerate=rate)
    except Exception:
        return False
    return True


def pick_rates(
    input_device: int | None, output_device: int | None, requested: int | None, voice_rate: int
) -> StreamRates:
    """`requested` (`--sample-rate`): both streams at that rate, or AudioDeviceError. Otherwise the input at
    16 kHz and the output at the voice's rate where the devices accept them, else at their default rates."""
    sd = sd_module()
    if requested is not None:
        for kind, device in (("input", input_device), ("output", output_device)):
            if not _accepts(kind, device, requested):
                raise AudioDeviceError(
                    f"the {kind} device does not support {requested} Hz mono 16-bit; "
                    "try --sample-rate 48000 or 44100, or pick another device"
                )
        return StreamRates(requested, requested)
    rates = []
    for kind, device, wanted in (("input", input_device, ENGINE_RATE), ("output", output_device, voice_rate)):
        if _accepts(kind, device, wanted):
            rates.append(wanted)
            continue
        try:
            default = int(sd.query_devices(device, kind)["default_samplerate"])
        except sd.PortAudioError as exc:  # no such device, or no default one (a machine without sound)
            raise AudioDeviceError(
                f"no usable {kind} device ({exc}); `assistant devices` lists them, --{kind}-device picks one"
            ) from None
        if not _accepts(kind, device, default):
            raise AudioDeviceError(f"the {kind} device accepts neither {wanted} nor {default} Hz mono 16-bit")
        rates.append(default)
    return StreamRates(*rates)
