"""Virtual sound devices for tests: a private PulseAudio daemon with two null sinks.

* ``vmic``: tests play speech into it; its monitor ``vmic.monitor`` is the default
  source, i.e. what the app records as "the microphone".
* ``vspk``: the default sink, i.e. where the app's playback goes; tests record
  its monitor ``vspk.monitor``.

PortAudio (python-sounddevice) reaches the daemon through the ALSA ``pulse``
plugin, so pass :attr:`VirtualAudio.device_name` (``"pulse"``) as the device.
System packages: ``.ci/install_audio.sh``.

Audio played into ``vmic`` while nobody records ``vmic.monitor`` is discarded,
so open the input stream *before* calling :meth:`VirtualAudio.play_into_mic`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO

import numpy as np

MIC_SINK = "vmic"
SPEAKER_SINK = "vspk"
DEVICE_NAME = "pulse"
PAREC_FLAGS = "--raw --format=s16le --channels=1 --latency-msec=10"
# -n: no system default.pa; no pid file / idle exit / realtime: fine as root and in CI.
DAEMON_FLAGS = (
    "--daemonize=no --use-pid-file=no --exit-idle-time=-1 --disallow-exit"
    " --realtime=no --high-priority=no --no-cpu-limit --log-target=stderr"
)


def audio_tools_available() -> bool:
    """Whether the daemon and clients from ``.ci/install_audio.sh`` are installed."""
    return all(shutil.which(t) for t in ("pulseaudio", "pactl", "paplay", "parec"))


def reinit_portaudio() -> None:
    """Make an already imported sounddevice re-enumerate devices.

    Closes every open sounddevice stream. No-op if sounddevice is not imported.
    """
    sd = sys.modules.get("sounddevice")
    if sd is not None:
        sd._terminate()
        sd._initialize()


def _parec(device: str, rate: int, stdout: IO[bytes] | int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Record ``device`` as raw mono s16le in 10 ms fragments."""
    args = ["parec", f"--device={device}", f"--rate={rate}", *PAREC_FLAGS.split()]
    return subprocess.Popen(args, stdout=stdout, stderr=subprocess.DEVNULL, env=env)


class SpeakerRecorder:
    """Background ``parec`` capture of the virtual speaker (``vspk.monitor``)."""

    def __init__(self, out: Path, rate: int, env: dict[str, str]) -> None:
        self.rate = rate
        self._out = out
        self._file = out.open("wb")
        self._proc = _parec(f"{SPEAKER_SINK}.monitor", rate, self._file, env)
        # The monitor always streams (silence at least): first bytes == connected.
        deadline = time.monotonic() + 5
        while out.stat().st_size == 0 and self._proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)

    def stop(self) -> np.ndarray:
        """Stop recording and return the mono int16 samples."""
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGINT)
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._file.close()
        data = self._out.read_bytes()
        return np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.int16)


class VirtualAudio:
    """Private PulseAudio daemon with a virtual mic and speaker; a context manager.

    While active, ``os.environ`` carries PULSE_SERVER & co., so sounddevice in this
    process and any child process (the app, paplay, ...) talk to this daemon.
    """

    device_name: str = DEVICE_NAME

    def __init__(self, rate: int = 48000, startup_timeout: float = 10.0) -> None:
        self.rate = rate
        self.startup_timeout = startup_timeout
        self.startup_seconds = 0.0
        self.env: dict[str, str] = {}
        self._dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._keepalive: list[subprocess.Popen[bytes]] = []
        self._saved_env: dict[str, str | None] = {}

    @property
    def daemon_pid(self) -> int:
        """The running sound server's process id."""
        if self._proc is None:
            raise RuntimeError("VirtualAudio is not started")
        return self._proc.pid

    @property
    def tmpdir(self) -> Path:
        """The daemon's private runtime directory."""
        if self._dir is None:
            raise RuntimeError("VirtualAudio is not started")
        return self._dir

    def start(self) -> VirtualAudio:
        """Start the daemon, wait until it answers, export the environment."""
        d = self._dir = Path(tempfile.mkdtemp(prefix="vaudio-"))
        (d / "client.conf").write_text("autospawn = no\n")
        (d / "default.pa").write_text(
            f"load-module module-native-protocol-unix auth-anonymous=1"
            f" socket={d}/native auth-cookie={d}/cookie\n"
            + "".join(f"load-module {args}\n" for args in self._sink_modules())
            + f"set-default-sink {SPEAKER_SINK}\n"
            f"set-default-source {MIC_SINK}.monitor\n"
        )
        self.env = {
            "PULSE_SERVER": f"unix:{d}/native",
            "PULSE_RUNTIME_PATH": str(d),
            "PULSE_STATE_PATH": str(d),
            "PULSE_COOKIE": str(d / "cookie"),
            "PULSE_CLIENTCONFIG": str(d / "client.conf"),
        }
        try:
            self._export_env()
            self._start_daemon()
        except BaseException:
            self.stop()
            raise
        reinit_portaudio()
        return self

    def _sink_modules(self) -> list[str]:
        sink = f"rate={self.rate} channels=1 format=s16le"
        names = ((MIC_SINK, "VirtualMic"), (SPEAKER_SINK, "VirtualSpeaker"))
        return [
            f"module-null-sink sink_name={name} {sink} sink_properties=device.description={description}"
            for name, description in names
        ]

    def _start_daemon(self) -> None:
        """Start the daemon on this runtime directory and socket, and wait until it answers."""
        d = self.tmpdir
        # HOME/XDG_* only for the daemon, so it writes nothing outside tmpdir; no
        # D-Bus/X11, so it cannot meet a desktop's sound server.
        daemon_env = {k: v for k, v in os.environ.items() if k not in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY")}
        daemon_env |= {**self.env, "HOME": str(d), "XDG_RUNTIME_DIR": str(d), "XDG_CONFIG_HOME": str(d)}
        t0 = time.monotonic()
        with (d / "daemon.log").open("ab") as log:
            self._proc = subprocess.Popen(
                ["pulseaudio", "-n", "-F", str(d / "default.pa"), *DAEMON_FLAGS.split()],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, env=daemon_env,
            )  # fmt: skip
        self._wait_ready(t0)
        self._pin_latency()

    def _stop_keepalive(self) -> None:
        for p in self._keepalive:
            p.terminate()
            p.wait()
        self._keepalive.clear()

    def kill_daemon(self) -> None:
        """Kill the sound server at once (SIGKILL), as a crash would; the environment stays."""
        self._stop_keepalive()
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None

    def restart_daemon(self, down_s: float = 0.0) -> float:
        """Kill the sound server, wait `down_s`, start it again with the same devices; the seconds the
        new one took to answer."""
        self.kill_daemon()
        time.sleep(down_s)
        self._start_daemon()
        return self.startup_seconds

    def unload_sinks(self) -> None:
        """Remove both null sinks (the devices are unplugged): every stream on them ends."""
        self._stop_keepalive()
        for line in self.pactl("list", "short", "modules").splitlines():
            if "module-null-sink" in line:
                self.pactl("unload-module", line.split()[0])

    def load_sinks(self) -> None:
        """Create the null sinks again (the devices are plugged back in) and make them the defaults."""
        for args in self._sink_modules():
            self.pactl("load-module", *args.split())
        self.pactl("set-default-sink", SPEAKER_SINK)
        self.pactl("set-default-source", f"{MIC_SINK}.monitor")
        self._pin_latency()

    def _export_env(self) -> None:
        for k, v in self.env.items():
            self._saved_env.setdefault(k, os.environ.get(k))
            os.environ[k] = v

    def _wait_ready(self, t0: float) -> None:
        assert self._proc is not None
        while time.monotonic() - t0 < self.startup_timeout:
            if self._proc.poll() is not None:
                break
            ok = subprocess.run(["pactl", "info"], capture_output=True, env=self.proc_env())
            if ok.returncode == 0:
                self.startup_seconds = time.monotonic() - t0
                return
            time.sleep(0.05)
        log = (self.tmpdir / "daemon.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"pulseaudio did not start:\n{log}")

    def _pin_latency(self) -> None:
        """Keep both null sinks clocked in ~10 ms blocks instead of 2 s.

        An unwatched null sink renders 2 s ahead, so the first 2 s of any new stream
        arrive in one late burst (captures then lose audio and paplay takes 2 s
        extra). A 10 ms ``parec`` on each monitor pins the sink latency; the
        suspend/resume cycle restarts the sink clock so it applies at once.
        """
        for sink in (MIC_SINK, SPEAKER_SINK):
            self._keepalive.append(_parec(f"{sink}.monitor", self.rate, subprocess.DEVNULL, self.proc_env()))
        deadline = time.monotonic() + self.startup_timeout
        while len(self.pactl("list", "short", "source-outputs").splitlines()) < 2:
            if time.monotonic() > deadline:
                raise RuntimeError("keep-alive parec did not connect")
            time.sleep(0.01)
        for sink in (MIC_SINK, SPEAKER_SINK):
            self.pactl("suspend-sink", sink, "1")
            self.pactl("suspend-sink", sink, "0")

    def stop(self) -> None:
        """Kill the daemon, restore ``os.environ``, delete the runtime directory."""
        self._stop_keepalive()
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        for k, v in self._saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        self._saved_env.clear()
        if self._dir is not None:
            reinit_portaudio()
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> VirtualAudio:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def proc_env(self) -> dict[str, str]:
        """Environment for a child process that should use the virtual devices."""
        return {**os.environ, **self.env}

    def pactl(self, *args: str) -> str:
        """Run ``pactl`` against this daemon and return its stdout."""
        return subprocess.run(
            ["pactl", *args], check=True, capture_output=True, text=True, env=self.proc_env()
        ).stdout

    def play_into_mic(
        self, wav_path: str | Path, wait: bool = True, sink: str = MIC_SINK
    ) -> subprocess.Popen[bytes]:
        """Play a sound file into the virtual mic (or `sink`); blocks until done unless ``wait=False``."""
        proc = subprocess.Popen(
            ["paplay", f"--device={sink}", str(wav_path)], stderr=subprocess.PIPE, env=self.proc_env()
        )
        if wait:
            _, err = proc.communicate(timeout=120)
            if proc.returncode:
                raise RuntimeError(f"paplay failed: {err.decode(errors='replace')}")
        return proc

    def start_speaker_recording(self, rate: int = 16000) -> SpeakerRecorder:
        """Start recording the virtual speaker; call ``.stop()`` for the samples."""
        fd, name = tempfile.mkstemp(suffix=".raw", dir=self.tmpdir)
        os.close(fd)
        out = Path(name)
        return SpeakerRecorder(out, rate, self.proc_env())

    def record_speaker(self, seconds: float, rate: int = 16000) -> np.ndarray:
        """Record the virtual speaker for ``seconds``; mono int16 samples."""
        rec = self.start_speaker_recording(rate)
        time.sleep(seconds)
        return rec.stop()


@contextmanager
def virtual_audio(rate: int = 48000) -> Iterator[VirtualAudio]:
    """``with virtual_audio() as va:`` shorthand, handy as a pytest fixture body."""
    with VirtualAudio(rate=rate) as va:
        yield va


AIR_SINK = "vair"
"""A stereo null sink whose left channel is the user's voice and whose right is the app's: both sides of a
conversation recorded on one clock at the point where a person would hear them (see `use_air`)."""


def use_air(va: VirtualAudio) -> None:
    """Route the app's default devices through one stereo null sink: the app's microphone is its left
    channel (play into ``vair_user``), its speaker writes the right channel; record ``vair.monitor``."""
    sink = f"rate={va.rate} format=s16le"
    for args in (
        f"module-null-sink sink_name={AIR_SINK} channels=2 channel_map=front-left,front-right {sink}",
        f"module-remap-sink sink_name={AIR_SINK}_user master={AIR_SINK} channels=1"
        " master_channel_map=front-left channel_map=mono remix=no",
        f"module-remap-sink sink_name={AIR_SINK}_app master={AIR_SINK} channels=1"
        " master_channel_map=front-right channel_map=mono remix=no",
        f"module-remap-source source_name={AIR_SINK}_mic master={AIR_SINK}.monitor channels=1"
        " master_channel_map=front-left channel_map=mono remix=no",
    ):
        va.pactl("load-module", *args.split())
    va.pactl("set-default-sink", f"{AIR_SINK}_app")
    va.pactl("set-default-source", f"{AIR_SINK}_mic")
    reinit_portaudio()


def add_loudspeaker(va: VirtualAudio, latency_ms: int, gain_db: float) -> None:
    """What the app plays comes back into its microphone `latency_ms` later, `gain_db` quieter."""
    va.pactl(
        "load-module", "module-loopback", f"source={AIR_SINK}_app.monitor", f"sink={AIR_SINK}_user",
        f"latency_msec={latency_ms}", "source_dont_move=true", "sink_dont_move=true",
    )  # fmt: skip
    for line in va.pactl("list", "short", "sink-inputs").splitlines():
        if "module-loopback" in line:
            va.pactl("set-sink-input-volume", line.split()[0], f"{gain_db}dB")


class AirRecorder:
    """Records ``vair.monitor`` (stereo: left the user, right the app) in the background, 10 ms at a time;
    `samples` is how much has been recorded, the recording's own clock."""

    def __init__(self, va: VirtualAudio, rate: int = 16000) -> None:
        self.rate = rate
        args = ["parec", f"--device={AIR_SINK}.monitor", f"--rate={rate}", "--channels=2"]
        args += ["--format=s16le", "--raw", "--latency-msec=10"]
        self._proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=va.proc_env()
        )
        self._chunks: list[bytes] = []
        self._size = 0
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        while chunk := self._proc.stdout.read(self.rate // 100 * 4):
            self._chunks.append(chunk)
            self._size += len(chunk)

    @property
    def samples(self) -> int:
        return self._size // 4

    def right_since(self, start: int) -> np.ndarray:
        """The app's channel from sample `start` to now."""
        data = np.frombuffer(b"".join(self._chunks)[start * 4 :], "<i2")
        return data[1 : data.size // 2 * 2 : 2].astype(np.int16)

    def stop(self) -> np.ndarray:
        """Stop and return the recording, shape (n, 2): left the user, right the app."""
        self._proc.terminate()
        self._proc.wait()
        self._thread.join(5)
        data = np.frombuffer(b"".join(self._chunks), "<i2")
        return data[: data.size // 2 * 2].reshape(-1, 2).astype(np.int16)
