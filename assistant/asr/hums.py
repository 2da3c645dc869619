"""A burst over the reply heard again as the hum it may be.

tiny.en writes a hummed backchannel as words more often than as a hum: the bundled voice's "Mm-hmm."
came out as "in a month.", "Mhm." as "and make them.", "Uh huh." as "I have.", Flite's "Uh-huh." as
"I'm at...". Said over a reply, such a burst cut it for a word nobody said (the bench's backchannel
pass lost one reply in four to it). Whisper writes what its prompt makes likely (OpenAI's prompting
guide: the prompt sets the spelling and style of what follows), so the same encoding decoded again with
hums before it (`HUM_PROMPT`, the decoder alone, from the encoding the final pass kept) writes a hum as
"Mm-hmm." or "Uh-huh." and a word as that word.

Measured (2-core AMD EPYC, tiny.en, 2026-12-07; Piper with its noise on, six draws a text, three steady
Piper speeds and Flite): of 60 hums ("Mm-hmm", "Uh-huh", "Mhm", "Uh huh", "Mm hmm", "Hmm"), 35 read as a
backchannel or no word unprompted, 50 with the prompt; of 180 short words ("stop", "wait", "no", "go
forward", "cancel", ...) none became a hum. 44 real first words cut from ../shared/speech and
asterisk-dev: none became one. The second decode costs one pass of the decoder: it runs only for a burst
over the reply whose own transcript has words that would cut the reply (`engine/hums.py`).
"""

from __future__ import annotations

HUM_PROMPT = "Mm-hmm. Uh-huh."
"""The text before the clip in the second decode: two hums, spelt as Whisper spells them."""
