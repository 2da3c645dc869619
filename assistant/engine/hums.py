"""Which bursts over the reply are heard again as hums, and which second readings are hums.

A burst over the reply whose transcript would cut it (`worth_a_hum_look`) is decoded again with hums in
Whisper's prompt (`asr/hums.py`); if that reading is made of hums alone (`only_hums`), the burst was a
backchannel Whisper first wrote as words ("I have." for "Uh huh."), and the reply resumes.
"""

from __future__ import annotations

import re

from assistant.engine.commands import is_stop_command
from assistant.engine.endpointing import is_backchannel, spoken_words
from assistant.engine.lexicon import holds_no_word

_HUM = re.compile(r"[mnh]+|u+h+|h+u+h+|a+h+|o+h+|u+m+")
"""A hum as the prompted decode spells it, in pieces: "mm", "hmm", "mhm", "uh", "huh", and the letters
it writes for one ("N M M.", "M-H-M", "Nm-m.")."""


def worth_a_hum_look(text: str) -> bool:
    """Whether a burst over the reply whose transcript is `text` deserves the second reading: words
    that would cut the reply and are not a command to stop ("stop" and "wait" are never read again).
    Not a burst in which Whisper heard nothing: that is most often a user's first syllable, held until
    they go on (`barge_in.NOTHING_HEARD_HOLD_MS`), and a lone "m-" read again is a hum."""
    if not spoken_words(text):
        return False
    return not (is_backchannel(text) or holds_no_word(text) or is_stop_command(text))


def only_hums(reading: str | None) -> bool:
    """True when the second reading has words and each is a hum ("Mm-hmm.", "Uh-huh. Uh-huh.", "N M M",
    "M-h"); False for None, "" and any reading with a word in it ("Wait.", "Yes.")."""
    words = spoken_words(reading or "")
    return bool(words) and all(_HUM.fullmatch(w) for w in words)
