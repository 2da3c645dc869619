"""A turn that goes on after its endpoint: the user paused mid-sentence, the reply began, the user went on.

The endpoint is a guess: a pause of a second inside "Can you tell me how much ... it costs to fly to
Paris?" often ends the turn, and the reply to "Can you tell me how much" starts. When the user speaks again
soon after their last word (`turn.continuation_ms`) and before they can have reacted to the reply (under
`REACTION_S` of it audible: people take about 200 ms to start a planned turn and longer to react to what
they hear; Levinson & Torreira 2015, "Timing in turn-taking and its implications for processing models
of language", Front. Psychol. 6:731), the new speech is the rest of the same sentence, not an answer to
the reply. The reply is then cut and forgotten (neither the first half nor the half-answer stays in the
history) and the next reply answers both halves as one user message. LiveKit Agents grows its user
transcript the same way when speech resumes before its reply is committed.

A reply that ran a tool, or awaits a spoken confirmation, is never taken back: the rest is then a turn
of its own, as before.
"""

from __future__ import annotations

from assistant.asr import Transcript
from assistant.engine.reply import Reply
from assistant.engine.user_turn import TurnRecord
from assistant.llm import Message

REACTION_S = 0.4
"""Speech that starts after this much of the reply was audible may answer it: it is not carried on."""


def carries_on(gap_s: float, audible_s: float | None, continuation_ms: int) -> bool:
    """Whether speech that interrupted a reply is the rest of the turn that reply answers.

    `gap_s`: from the last speech of the answered turn to the onset of the new speech, in seconds;
    `audible_s`: how long the reply had been audible at that onset (None: not yet audible);
    `continuation_ms`: the longest gap that still carries on (0 turns this off)."""
    if continuation_ms <= 0 or gap_s * 1000 > continuation_ms:
        return False
    return audible_s is None or audible_s < REACTION_S


def take_back(
    onset: float, record: TurnRecord, reply: Reply, history: list[Message], continuation_ms: int
) -> Transcript | None:
    """The answered turn's transcript, taken out of `history`, when speech with this `onset` (engine
    clock, s) carries it on; None (history untouched) when it does not, or when the reply ran a tool or
    the history no longer ends with that turn's words. The caller rules out a pending confirmation."""
    played = [t for t in (record.t_filler, record.t_first_output) if t is not None and t <= onset]
    audible_s = onset - min(played) if played else None
    if not carries_on(onset - record.t_last_voiced, audible_s, continuation_ms):
        return None
    ran_tool = any(not call.extra.get("not_run") for call in reply.tool_calls)
    if ran_tool or not history or (history[-1].role, history[-1].content) != ("user", record.user_text):
        return None
    history.pop()
    return Transcript(record.user_text, 0.0, 0.0, record.alternatives)


_I = {"I", "I'm", "I'll", "I'd", "I've"}


def joined(first: Transcript, rest: Transcript | None) -> Transcript:
    """The two halves of one turn as one transcript: the first half's closing full stop or comma goes
    (Whisper closes every clip as a sentence), the rest follows, its first word lower-cased when Whisper
    capitalised it only for opening the clip ("how much there might be", not "how much There ..."; "I"
    stays, and so does a word with other capitals; a name loses its capital, which no reader of the text
    needs); the alternatives of either half are kept, each with the other half's best text around it,
    and so is the rest's beam on demand (`Transcript.rehear`). `rest` None or empty: the first half alone."""
    if rest is None or not rest.text.strip():
        return first
    head = first.text.rstrip().rstrip(".,").rstrip()

    def join(a: str, b: str) -> str:
        b = b.strip()
        word = b.split(maxsplit=1)[0] if b else ""
        opening = word[:1].isupper() and word[1:] == word[1:].lower() and word.rstrip(".,!?") not in _I
        if opening and not a.endswith(("?", "!")):
            b = b[0].lower() + b[1:]
        return f"{a} {b}".strip()

    alternatives = [join(head, alt) for alt in rest.alternatives]
    alternatives += [join(alt.rstrip().rstrip(".,"), rest.text) for alt in first.alternatives]
    text = join(head, rest.text)
    later = rest.rehear

    async def rehear() -> tuple[str, ...]:
        assert later is not None
        return tuple(dict.fromkeys(a for a in (join(head, alt) for alt in await later()) if a != text))

    return Transcript(
        text,
        first.audio_ms + rest.audio_ms,
        first.compute_ms + rest.compute_ms,
        tuple(dict.fromkeys(a for a in alternatives if a != text)),
        rehear if later is not None else None,
    )
