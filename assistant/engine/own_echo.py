"""The assistant's own voice heard back: a burst of "speech" over a reply that is the reply's echo.

The echo canceller (`vad/echo.py`) and the gate after it (`echo_gate.py`) keep the assistant from hearing
itself while they know the echo path. When the path moves under them (the speaker's and the microphone's
clocks drift apart, a PulseAudio loopback re-times itself after a flush), some of a reply's echo gets
through, opens a user turn, pauses the reply and, being heard within `turn.continuation_ms` of the last
turn, carried that turn on. Through `assistant mic` on a loudspeaker, one session heard "Sorry." come back
six times: "7 of clubs sorry. Sorry. ... sorry sorry sorry sorry.".

A burst is the assistant's own voice when both hold:
- every word Whisper heard in it is a word of what the reply had played (or begun to play) by the time
  it was judged, or of the last reply, compared as `said_back._echo_words` compares them (a word cut
  short counts as the word it begins, from two letters on); and
- what the VAD heard in it follows the playback (`EchoGate.follows_playback` at `FOLLOWS_RHO` or more).
  A user alone follows the reply at 0.21 at most (`vad/double_talk.py`), the echo a failing canceller left
  at 0.5-1.0. A user talking over such an echo follows it too (0.3-0.7; three voices over a -12 to 0 dB
  echo drifting 100-600 ppm in tests/test_echo_gate.py's harness), so the words decide: a user who says
  only the reply's own words over an echo the canceller lost is taken for the echo, and says them again.

A burst whose every 300 ms window follows the playback at `ECHO_ALONE_RHO` or more is the echo alone,
whatever Whisper made of it (`EchoGate.follows_throughout`). Through `assistant simulate` with the clocks
1000 ppm apart, a minute into a session, bursts of the echo followed it at 0.68-0.95 in their weakest
window, and Whisper wrote them as words the reply never said ("Provoke.", "Great.", "Feel free,
breathe."): by the words alone, 2-9 of them a session were turns of the user's. Users' first 0.3-0.6 s
over an echo 12-0 dB down drifting 300-1000 ppm (432 bursts: ../shared/speech, tests/data) followed it at
0.10 at the median, 0.40 at the 95th percentile, once at 0.77 (the echo as loud as the user, and the
user's "g" breathed).

Such a burst resumes the reply, as a cough does, carries nothing on, and gets no reply of its own; how
loud it came back becomes a floor for the echo to come (`echo_leak.py`).

The echo can also open a turn that the user then goes on, when they speak up before the echo's burst
pauses ("Sorry," from the reply, then "seven of clubs"): the turn's onset is then the echo's, within
`turn.continuation_ms` of the last turn and before the reply was audible for 0.4 s, so it carried that
turn on ("He might even have been made amiable himself sorry, 7 of clubs.", through `assistant mic` on
a loudspeaker 150 ms away). Its first 300 ms are judged as a burst's sound is
(`Interruptions._opened_by_echo`): followed at `FOLLOWS_RHO`, the turn carries nothing on; at
`ECHO_ALONE_RHO`, the reply's words it opens with are dropped (`after_echo`).
"""

from __future__ import annotations

from assistant.engine.said_back import _echo_words

FOLLOWS_RHO = 0.3
"""How closely a burst must follow the playback to be its echo (`EchoGate.follows_playback`)."""
ECHO_ALONE_RHO = 0.75
"""How closely the start of a turn must follow the playback to be the echo alone, no user in it: the
reply's words it opens with are then dropped from what the user said (`after_echo`). A user talking
over a failing canceller's echo followed it at 0.3-0.7 (above); the echo that opened a turn the user
then went on, at 0.79-1.0 (27 turns; those a recording opened, 0.00-0.21), in `assistant simulate`
with an echo path that moves between replies (`SimulationOptions.echo_delays_ms`; docs/benchmarks.md)."""


def says_only(heard: str, played: str) -> bool:
    """Whether every word of `heard` (a transcript) is one of the words of `played` (what the assistant
    said), or the start of one (two letters or more: an echo cut off mid-word). False for no words."""
    words, said = _echo_words(heard), set(_echo_words(played))
    if not words or not said:
        return False
    return all(w in said or (len(w) >= 2 and any(s.startswith(w) for s in said)) for w in words)


def after_echo(heard: str, played: str) -> str:
    """`heard` less its opening words that are words of `played` (each as `says_only` takes it): what the
    user said after the reply's echo that opened their turn. "" when every word is the reply's."""
    tokens = heard.split()
    start = 0
    while start < len(tokens) and says_only(tokens[start], played):
        start += 1
    rest = " ".join(tokens[start:])
    return rest[:1].upper() + rest[1:]
