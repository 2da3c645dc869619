"""The echo side of each microphone frame: what the speaker played, as the echo canceller's reference, and
the gate under which a frame is taken for leftover echo.

Each microphone frame comes with what the speaker played meanwhile (at the output rate). Resampled to the
microphone's rate it is the canceller's reference (`assistant/vad/echo.py`); its loudness says whether the
assistant is audible at all. While it is, the residual the canceller leaves behind is measured whenever
nobody speaks, 200 ms late so a user's first syllables never count as echo, and the VAD ignores frames
under that level (plus `echo.gate_margin_db`). Levels measured before the echo can have come back (the
canceller's measured echo delay, the detector's current one, or the longest looked for until either is
known) are trusted only while what the microphone hears does not follow the playback: the silence before
a late echo arrives says nothing about how loud it is.

Speech already under way when the assistant becomes audible is not echo: the reply cannot have caused it.
Until the canceller has learned the echo path (a session's first reply) its gate passes only speech
louder than the playback, so a user who went on talking as the reply started was masked frame by frame,
and their words learned as echo residual. Speech the VAD heard in the 100 ms before the assistant became
audible keeps the gate open until the speech pauses for 300 ms.

Until the canceller has converged, the echo in what the VAD hears is bounded by how much of it follows
the playback (`double_talk.py`), and a frame of which the canceller took most out is all echo, however
little of what is left follows (`taken_out.py`).

A converged canceller is held to what it was measured to leave while nobody spoke (`MEASURED_MS`): an
echo path that moves under it (clocks that drift apart) is otherwise let through as speech. The last
frames are kept with their playback, so that a burst that got through anyway can be compared with what
was played (`follows_playback`, `own_echo.py`).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from assistant.audio import StreamResampler, energy, rms_dbfs
from assistant.config import Config
from assistant.engine.echo_leak import HOLDS_RHO, EchoLeak
from assistant.engine.taken_out import TakenOut
from assistant.vad.double_talk import CrossCorrelationDTD
from assistant.vad.echo import EchoCanceller
from assistant.vad.echo_delay import MIN_PEAK

SILENT_DBFS = -120.0
AUDIBLE_DBFS = -70.0
ECHO_EVIDENCE_DB = 6.0
"""The canceller's output replaces the microphone's once the session has shown that an echo comes back:
its bulk delay estimate found the echo's delay, or over some `EVIDENCE_MS` of playback it removed at
least this much of the microphone's energy. A
filter that found none still subtracts what it learnt from sounds over the reply (knocks while "I see."
played, with no loudspeaker in the loop: 0-5 dB removed per frame, never 6 dB over 200 ms) and so wrote
the reply's own words into the microphone, at -30 dBFS, where Silero heard speech and Whisper "yes
please". A real echo was taken out by 10-58 dB a frame (echo at -10, -20 and -35 dB in `assistant
simulate`). Once shown, it stays shown: judged on every window, a user talking over the echo lowered the
figure, the echo came back into the microphone, and barge-in under a -6 dB echo took 554 ms at the
median instead of 59 (`assistant bench --passes echo`)."""
EVIDENCE_MS = 200
RHO_ALONE_MS = 2000
"""Until the canceller has converged, the share of what the VAD hears that is echo is judged by how well
it follows the playback (`CrossCorrelationDTD.echo_share`), against how well this path's echo alone
follows it: the median correlation over the last `RHO_ALONE_MS` of playback in which nobody spoke, once
there are `RHO_ALONE_MIN_MS` of them, and only for a path whose echo correlates at `DIRECT_RHO` or more (a
loudspeaker, a small room). Against the fixed bar alone (0.2, for a reverberant room's 0.27), a user as
loud as a -6 dB echo who started 0.8 s into the session's first reply was heard 430 ms late at the median
and in 1 case of 10 not before the canceller converged (`scripts/probe_echo_gate.py`); now 90 ms, at most
340. A reverberant room's echo (a median under 0.5) varies too much from window to window to be measured
against: with it, the echo alone opened 1 more turn in 8 clipped 300 ms reverberations."""
RHO_ALONE_MIN_MS = 200
DIRECT_RHO = 0.5
MEASURED_MS = 400
"""Once the canceller has converged, the echo it leaves in a frame is taken to be at least what it left of
the playback over the last `MEASURED_MS` of it in which nobody spoke (measured 200 ms late, as the
residual is, and kept across replies): that share of the reference's loudest frame in the last 300 ms. A
converged filter trusts its own estimate of what it leaves (a leak measured against its echo estimate),
and a path that moves under it goes unnoticed. With the speaker's and the microphone's clocks 100 ppm
apart (two USB devices; 1 ms of drift in 10 s), the filter took out nothing after the first reply (0 dB
where it had taken out 24-45), claimed to leave echo at -63 dBFS where -24 came back, and the replies'
own echo opened 2 turns in 20 s of replies with nobody speaking (300 ppm: 6; 1000 ppm: 7;
tests/test_echo_gate.py); now none. Through `assistant mic` and a PulseAudio loopback whose latency
drifted 10 ms after a flush, each such turn carried the one before on ("7 of clubs sorry. Sorry. ...
sorry sorry"). Judging what is heard by its correlation with the playback, as before convergence, did
not hold at 1000 ppm: within its 300 ms window the echo's delay moves, and the correlation fell to half of
the echo's."""
FOLLOWS_SPAN_MS = 1000
"""How much of a burst of speech, at its end, is compared with the playback (`follows_playback`): an echo
that got through is short, as the reply pauses at its onset."""
RECENT_MS = FOLLOWS_SPAN_MS + 2000
"""What the VAD heard, with the playback of the same frames, kept for `follows_playback`: the burst, the
playback as far back as an echo can come from, and the silence until the burst's words are in."""


class EchoGate:
    """The speaker's reference for one conversation, and the echo level learned from it."""

    def __init__(self, cfg: Config, echo: EchoCanceller | None) -> None:
        self.cfg = cfg
        self.echo = echo
        self.frame_ms = cfg.audio.frame_ms
        self.frame_samples = cfg.frame_samples
        self._ref_resampler = StreamResampler(cfg.audio.output_sample_rate, cfg.audio.sample_rate)
        self._ref = np.zeros(0, np.int16)
        self._ref_level: deque[float] = deque(maxlen=max(1, 300 // self.frame_ms))
        # (ms the assistant had been audible, level) of the frames measured
        self._residual_level: deque[tuple[int, float]] = deque(maxlen=max(1, 1000 // self.frame_ms))
        self._residual_pending: deque[tuple[int, float]] = deque()
        self._speech_before: deque[bool] = deque(maxlen=max(1, 100 // self.frame_ms))
        self._was_audible = False
        self._audible_ms = 0
        self._underway = False
        self._underway_pause_ms = 0
        self._follows = CrossCorrelationDTD(cfg.audio.sample_rate) if echo is not None else None
        self._vad_dbfs = SILENT_DBFS
        """The level of what the VAD hears (the microphone, or the canceller's output once it is used)."""
        self._taken_out = TakenOut(self.frame_ms)
        """How much of the microphone the canceller took out, while it learns (`taken_out.py`)."""
        self._removed: deque[tuple[float, float]] = deque(maxlen=max(1, EVIDENCE_MS // self.frame_ms))
        """(microphone energy, canceller output energy) of the last audible frames."""
        self.echo_shown = False
        """An echo comes back (`ECHO_EVIDENCE_DB`): the canceller's output is used from then on."""
        self._used_output = False
        """The VAD has heard the canceller's output: correlations measured before are of another signal."""
        self._learning = True
        """The canceller had not converged at the last frame."""
        self._rho = 0.0
        """The last correlation of what the VAD hears with the playback (`floor`)."""
        self._rho_alone: deque[float] = deque(maxlen=max(1, RHO_ALONE_MS // self.frame_ms))
        """Those correlations while nobody spoke: how well this path's echo alone follows the playback."""
        self._energies = (0.0, 0.0, 0.0)
        """(microphone, canceller output, echoed reference: `_echoed_energy`) energy of the last frame."""
        self._ref_energy: deque[float] = deque(
            maxlen=max(1, (self.echo.max_delay_ms if echo else 0) // self.frame_ms + 3)
        )
        """The reference's energy in each frame, newest last, as far back as an echo can come from."""
        self._recent: deque[tuple[np.ndarray, np.ndarray]] = deque(maxlen=RECENT_MS // self.frame_ms)
        """(what the VAD heard, the reference) of the last frames."""
        self._achieved_pending: deque[tuple[float, float, float]] = deque()
        self._achieved: deque[tuple[float, float, float]] = deque(maxlen=max(1, MEASURED_MS // self.frame_ms))
        """`_energies` of the last audible frames in which nobody spoke, learned 200 ms late as the
        residual is; kept across replies."""
        self.leak = EchoLeak(self.frame_ms)
        """How loud the echo was that last got through as speech (`echo_leak.py`)."""

    def cancel(self, frame: np.ndarray, played: np.ndarray | None) -> tuple[np.ndarray, bool]:
        """The microphone frame with the speaker's echo taken out (as it came without a canceller), and
        whether the assistant is audible."""
        ref = self.reference(played)
        audible = self.audible()
        if audible and not self._was_audible and any(self._speech_before):
            self._underway, self._underway_pause_ms = True, 0
        self._was_audible = audible
        self._audible_ms = self._audible_ms + self.frame_ms if audible else 0
        clean = frame
        if self.echo is not None and ref is not None:
            learning = not self.echo.converged
            if learning and not self._learning:  # the canceller starts over (a changed echo path)
                self._rho_alone.clear()
            self._learning = learning
            cancelled = self.echo.process(frame, ref)  # also while silent, to keep its history aligned
            self._ref_energy.append(energy(ref))
            if audible:  # only then are the energies used (`_removed`, `_measure_what_is_left`)
                self._energies = (energy(frame), energy(cancelled), self._echoed_energy())
                mic, out, _ = self._energies
                self._removed.append((mic, out))
                self.echo_shown = (
                    self.echo_shown
                    or self.echo.echo_lag_ms is not None
                    or self.echo_removed_db() >= ECHO_EVIDENCE_DB
                )
                # Only once an echo has been shown to come back (`ECHO_EVIDENCE_DB`), and never amplified:
                # a misadapted filter adds its echo estimate to a quiet microphone.
                if self.echo_shown and out <= mic:
                    clean = cancelled
                    if not self._used_output:  # the VAD now hears the output: its echo correlates anew
                        self._used_output = True
                        self._rho_alone.clear()
            if self._follows is not None and (learning or self.leak.active):
                # What follows the playback in what the VAD hears (`floor`), until the canceller has
                # converged (or while an echo that got through holds a floor): measured on the
                # microphone, it counted the echo the canceller had already taken out, and a user as
                # loud as a -6 dB echo 0.8 s into the first reply was masked until the canceller
                # converged, 1.1 s later.
                self._follows.push(clean, ref)
                self._vad_dbfs = rms_dbfs(clean)
                self._taken_out.push(frame, clean)
            self._recent.append((clean, ref))
        return clean, audible

    def follows_playback(self, frames: int, ago: int = 0) -> float:
        """How closely `frames` frames that the VAD heard, the last of them `ago` frames before the newest
        (at most `FOLLOWS_SPAN_MS` of them, the latest), follow what the speaker played: the largest
        correlation of any 300 ms window of them (one every 150 ms) with the playback at any echo delay
        (`CrossCorrelationDTD`), 0..1; 0 without a canceller.
        The reply's own echo, left by a canceller that lost the path, follows it at 0.5-1.0; a user alone
        at 0.21 at most (`double_talk.py`). About 3 ms a window here: under 25 ms in all."""
        return max(self._window_rhos(frames, ago), default=0.0)

    def follows_throughout(self, frames: int, ago: int = 0) -> float:
        """As `follows_playback`, but the smallest correlation of those windows: how closely the whole of
        a burst follows the playback. A burst the reply's echo began and a user went on is followed only
        at its start; its windows over the user's words fall (to 0.06-0.6 for a user over an echo 0-6 dB
        down that drifts 300-1000 ppm). A burst shorter than a window is judged by the window that
        ends with it. Windows too quiet to correlate (the reply paused and its echo died away between
        two bursts) are left out."""
        return min(self._window_rhos(frames, ago, audible_only=True), default=0.0)

    def echo_got_through(self, frames: int, ago: int = 0) -> None:
        """`frames` frames the VAD heard, the last `ago` frames before the newest, were the reply's own
        echo: keep how loud it came back as a floor for the echo to come (`echo_leak.py`)."""
        if self.echo is None or frames <= 0:
            return
        kept = list(self._recent)
        recent = kept[: len(kept) - max(0, ago)]
        back = frames + self.echo.max_delay_ms // self.frame_ms
        self.leak.got_through([h for h, _ in recent[-frames:]], [r for _, r in recent[-back:]])
        if self._follows is not None:  # what follows the playback is judged from now on (`floor`)
            for heard, ref in kept[-(300 // self.frame_ms) :]:
                self._follows.push(heard, ref)

    def _window_rhos(self, frames: int, ago: int, audible_only: bool = False) -> list[float]:
        """The correlation with the playback of each 300 ms window (one every 150 ms, and the last) of
        `frames` frames the VAD heard, the last `ago` frames before the newest (`follows_playback`);
        `audible_only`: of those windows not too quiet to correlate."""
        if self.echo is None or frames <= 0:
            return []
        frames = min(frames, FOLLOWS_SPAN_MS // self.frame_ms)
        recent = list(self._recent)[: len(self._recent) - max(0, ago)]
        dtd = CrossCorrelationDTD(self.cfg.audio.sample_rate, max_delay_ms=self.echo.max_delay_ms)
        window = 300 // self.frame_ms
        first = max(0, len(recent) - frames) + window - 1
        step = max(1, 150 // self.frame_ms)
        rhos = []
        for i, (heard, ref) in enumerate(recent):
            dtd.push(heard, ref)
            judged = (i >= first and (i - first) % step == 0) or i == len(recent) - 1
            if judged and not (audible_only and dtd.quiet()):
                rhos.append(dtd.peak()[0])
        return rhos

    def echo_removed_db(self) -> float:
        """How much of the microphone's energy the canceller took out over the last `EVIDENCE_MS` of
        playback, in dB (0 before any)."""
        mic = sum(m for m, _ in self._removed)
        out = sum(o for _, o in self._removed)
        return 10 * math.log10((mic + 1.0) / (out + 1.0))

    def reference(self, played: np.ndarray | None) -> np.ndarray | None:
        """The echo reference for this frame (None without a canceller); notes how loud the speaker is."""
        if played is not None and not played.size:
            played = None
        self._ref_level.append(SILENT_DBFS if played is None else rms_dbfs(played))
        if self.echo is None:
            return None  # a browser cancels its own echo: resampling its playback would be wasted work
        if played is not None:
            self._ref = np.concatenate([self._ref, self._ref_resampler(played)])
        ref, self._ref = self._ref[: self.frame_samples], self._ref[self.frame_samples :]
        if ref.size < self.frame_samples:
            ref = np.concatenate([ref, np.zeros(self.frame_samples - ref.size, np.int16)])
        return ref

    def audible(self) -> bool:
        """Whether the speaker played anything above silence in the last 300 ms."""
        return max(self._ref_level, default=SILENT_DBFS) > AUDIBLE_DBFS

    def track_residual(self, level: float, nobody_speaking: bool, audible: bool, speech: bool) -> None:
        """Learn the leftover echo's loudness 200 ms late, so a user's first syllables never count as echo.

        `speech` is the VAD's verdict on this frame; speech under way since before the assistant became
        audible ends at a 300 ms pause, and none of it is learned as residual."""
        self._speech_before.append(speech and not audible)
        if self._underway:
            self._underway_pause_ms = 0 if speech else self._underway_pause_ms + self.frame_ms
            self._underway = audible and self._underway_pause_ms < 300
            nobody_speaking = False
        if not audible:
            self._residual_level.clear()
            self._residual_pending.clear()
            self._achieved_pending.clear()
            return
        if not nobody_speaking:
            self._residual_pending.clear()
            self._achieved_pending.clear()
            return
        self.leak.played_quietly()
        self._measure_what_is_left()
        self._rho_alone.append(self._rho)
        self._residual_pending.append((self._audible_ms, level))
        if len(self._residual_pending) > 200 // self.frame_ms:
            self._residual_level.append(self._residual_pending.popleft())

    def _measure_what_is_left(self) -> None:
        """Learn, 200 ms late, what the converged canceller leaves of the playback in a frame in which
        nobody spoke (`MEASURED_MS`). Only once an echo has been shown to come back: with headphones
        there is nothing to take out."""
        if self.echo is None or not self.echo.converged or not self.echo_shown:
            self._achieved.clear()
            self._achieved_pending.clear()
            return
        self._achieved_pending.append(self._energies)
        if len(self._achieved_pending) > 200 // self.frame_ms:
            self._achieved.append(self._achieved_pending.popleft())

    def _left_by_the_canceller(self) -> float | None:
        """The level (dBFS) of echo the canceller leaves in this frame by what it left of the playback
        while nobody spoke (`MEASURED_MS`): the 90th percentile of the share of the echoed reference
        (`_echoed_energy`) left in a frame, over the frames whose reference was loud, applied to the
        reference that echoes now; None before 100 ms of them are measured."""
        loud = [o / r for _, o, r in self._achieved if r > _LOUD_ENERGY * self.frame_samples]
        if len(loud) * self.frame_ms < MEASURED_MS // 4:
            return None
        power = float(np.percentile(loud, 90)) * self._echoed_energy() / self.frame_samples
        return 10 * math.log10(max(power, 1.0) / 32768**2)

    def _echoed_energy(self) -> float:
        """The reference's energy whose echo this frame can hold: the loudest frame around the echo's
        measured delay (a frame before to two after), or in the last 300 ms while it is not known."""
        energies = list(self._ref_energy)
        lag = self.echo.echo_lag_ms if self.echo is not None else None
        if lag is None:
            return max(energies[-max(1, 300 // self.frame_ms) :])
        back = round(lag / self.frame_ms)
        span = energies[max(0, len(energies) - back - 2) : len(energies) - back + 1 or None]
        return max(span, default=max(energies))

    def user_spoke(self) -> None:
        """A user turn opened: the levels not yet learned may hold its first syllables, so drop them."""
        self._residual_pending.clear()
        self._achieved_pending.clear()

    def floor(self, audible: bool) -> float:
        """The level under which a frame is taken for leftover echo while the assistant is audible.

        The canceller's own estimate is cautious until it has converged (it then assumes the echo is as
        loud as the playback); the loudest residual measured while nobody spoke is often much lower, and
        once a few frames of it exist the lower of the two is used. Until the canceller has converged, the
        share of the microphone's power that follows the playback at all (`double_talk.py`) bounds the echo
        too: a user who does not sound like the reply is not masked by it. That share of the window's
        power, following the reference's envelope (`echo_power`), does not rise with a user who starts
        over the reply, as the share of the frame's own level does: their first syllables are heard.
        Levels measured before the echo can have come back count only while what is heard does not
        follow the playback. Once it has converged, the canceller's estimate is never below what it was
        measured to leave (`MEASURED_MS`).
        """
        if self.echo is None or not audible or self._underway:
            return SILENT_DBFS
        estimate = 20 * math.log10(max(self.echo.expected_residual_rms, 1.0) / 32768)
        if self.echo.converged and (left := self._left_by_the_canceller()) is not None:
            estimate = max(estimate, left)  # its own estimate trusts a filter the path may have moved under
        share, lag, rho = None, self.echo.echo_lag_ms, None
        if self._follows is not None and not self.echo.converged:
            rho, lag_samples = self._follows.peak()
            self._rho = rho
            if self._taken_out.all_echo():  # however little of what a learning filter leaves follows
                share, follows = 1.0, self._vad_dbfs
            else:
                share = self._follows.echo_share(rho, self._echo_alone_rho())
                follows = self._vad_dbfs + 10 * math.log10(max(share, 1e-6))
                power = self._follows.echo_power(share, lag_samples, self.frame_samples)
                if power is not None:  # a user who starts over the reply does not raise it
                    follows = min(follows, 10 * math.log10(max(power, 1e-12) / 32768**2))
            estimate = min(estimate, follows)
            if lag is None and rho >= MIN_PEAK:
                lag = 1000 * lag_samples / self.cfg.audio.sample_rate
        if len(self._residual_level) >= 8 and self._echo_measured(share, lag):
            estimate = min(estimate, max(level for _, level in self._residual_level))
        floor = estimate + self.cfg.echo.gate_margin_db
        # An echo this loud got through: the estimates fell behind, and so may the measured delay.
        if self.leak.active and self._follows is not None:  # checked first: `max` runs every frame
            leaked = self.leak.floor_dbfs(max(self._ref_energy), self.frame_samples)
            if leaked is not None and (rho if rho is not None else self._follows.peak()[0]) >= HOLDS_RHO:
                floor = max(floor, leaked)
        return floor

    def _echo_alone_rho(self) -> float:
        """The median correlation with the playback of what the VAD heard while nobody spoke, when this
        path's echo follows the playback closely (`DIRECT_RHO`), else 0 (`echo_share` then keeps its own
        bar)."""
        if len(self._rho_alone) * self.frame_ms < RHO_ALONE_MIN_MS:
            return 0.0
        rho = float(np.median(self._rho_alone))
        return rho if rho >= DIRECT_RHO else 0.0

    def _echo_measured(self, share: float | None, lag: float | None) -> bool:
        """Whether the residual levels measured so far can hold the echo: some were measured after it can
        have come back (a Bluetooth speaker's comes 250 ms late, and the silence before says nothing of
        it), or what is heard now does not follow the playback at all."""
        if share is not None and share < 1.0 and lag is None:
            return True
        back = (self.echo.max_delay_ms if lag is None else lag) + 100
        return self._residual_level[-1][0] > back


_LOUD_ENERGY = 330.0**2
"""Mean square (int16 units) of a reference loud enough to judge the canceller by (about -40 dBFS)."""
