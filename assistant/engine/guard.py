"""Degenerate model output, caught while it streams: loops and replies far longer than speech needs.

Small models loop ("I'm glad you're here." six times; "the the the ...") and, asked for a recipe, write
an essay. The guard sees each written clause before it is spoken and says what of it to say and whether
to stop the model. Empty and punctuation-only replies are the reply's business: it says a fallback when
nothing speakable came (assistant.engine.reply).

Loops: a sentence said before (same words, any case and punctuation), or a run of words repeated
back to back: one word four times, or a phrase of 2-12 words three times. The first occurrence is kept,
the repetition dropped, and the model stopped. Length: the reply ends at the first sentence end once it
holds `max_sentences` sentences or `max_words` words, and mid-sentence (at a clause) past twice the words.
Danger: for a risky question (`risky=True`, assistant.engine.safety) a clause that approves is replaced
by a cautious sentence, and the model stopped. Echo: a sentence that repeats one of the user's own
questions, statements or longer requests word for word (`heard`; numbers compared as digits, "ten" =
"10") is not said and the model is stopped: Qwen2.5-Coder 0.5B answers many statements, and some
questions, by repeating them ("My name is Priya." -> "My name is Priya."), and once an echo is in the
history it echoes turn after turn (5 in a row in one dialogue); asked to do what no tool does, it reads
the command back ("Go forward ten meters." -> "Go forward 10 meters.").
Leak: a clause that carries on a run of `LEAK_WORDS` words of the model's own instructions (`instructions`:
the system prompt, the tools' descriptions, the chat template's tool header) that the user did not say is
not said and the model is stopped: Qwen2.5-Coder 0.5B read out "Tools You may call one or more functions
to assist with the user query" after setting a timer, and "Drive the floor robot some meters in a
direction, and say where it is now." as a step for jump-starting a car (5 of 312 replies in four text
passes of the dialogue set). So is a clause that names one of the instructions' identifiers (a tool's or
parameter's snake_case name): "This response is returned by the tool, and it includes the function name
"set_timer"", "You can call the function "move_robot" with the arguments ..." (greedy text pass).
Tool talk: a clause about the machinery behind the voice (`TOOL_TALK`: "the user query", "the function
name", "I used the ... function", "returned by the tool", "JSON") is not said and the model is stopped,
unless the user used that word themselves. Qwen2.5-Coder 0.5B, which sees the tools' descriptions on
every turn (they keep the prompt's prefix cached), talks about them when it has nothing else to say:
"Let's answer the user query about a tool that answers," to "7 of clubs", "To say thank you in
Spanish, I used the "set_reminder" function." (32 such replies in the greedy text passes, each fewer
than `LEAK_WORDS` words of the instructions in a row). A person is spoken to as "you", never "the user".
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from text_to_num import alpha2digit

from assistant.engine.safety import CAUTION, approves
from assistant.tools.intent.speech_act import is_question, is_statement

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_SENTENCE_END = re.compile(r"[.!?…][\"')\]]*$")
_LONGEST_PHRASE = 12
_USER_SENTENCE = re.compile(r"(?<=[.!?…])\s+")
_IDENTIFIER = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b")
"""A snake_case name ("set_timer", "from_unit"): code, never speech."""
ECHO_ANY_WORDS = 4
"""A user sentence this long is an echo when said back whatever its kind ("Go forward ten meters.");
shorter ones only when they ask or tell: a short fragment said back ("Seven of clubs.") is an answer
of a kind."""
TOOL_TALK = re.compile(
    r"\b(?:"
    r"(?:the|a|this|that)\s+(?P<user>user)(?:['’]s|s)?\b(?!\s+(?:manual|guide|interface|name|account|agreement))"
    r"|(?P<user2>user)\s+(?:query|queries|request|input|message|prompt)s?\b"
    r"|(?P<function>functions?|tools?)\s+(?:name|names|call|calls|result|results|response|output)\b"
    r"|(?:call|calls|calling|called|use|used|using|invoke|invoked|run|ran|execute|executes|executing|executed)"
    r"\s+(?:the|a|this|that|one|any)\s+"
    r"(?:[\w\"'“”‘’]+\s+)?(?P<function2>functions?|tools?)\b"
    r"|(?:by|from|with|to)\s+the\s+(?P<function3>tool|function)s?\b"
    r"|(?:a|the|this|that|any|one|which|my)\s+(?P<tool>tools?)\b"
    r"|(?P<json>json)\b"
    r"|(?P<tag>tool_(?:call|response))s?\b"  # the chat template's own tags, with or without < >
    r")"
    r"|(?P<call>\{\s*[\"']name[\"']\s*:)",  # a tool call written out as text: {"name": "print_hello", ...
    re.IGNORECASE,
)
"""Talk about the machinery behind the voice; the named group is the word that makes it so, which the
user may have used themselves ("the function of the liver", "which tools do I need")."""
LEAK_WORDS = 6
"""Words in a row shared with the instructions that make a leak (5 matched only real leaks in 312
replies; 6 leaves room for a common phrase)."""


def _echo_words(text: str) -> tuple[str, ...]:
    """Words to compare for an echo: lower case, numbers as digits (text2num), so that the model writing
    "10" for the "ten" Whisper heard still matches."""
    return tuple(w.lower() for w in _WORD.findall(alpha2digit(text, "en")))


def _runs(words: list[str], n: int = LEAK_WORDS) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


@functools.lru_cache(maxsize=8)
def _instruction_runs(instructions: str) -> frozenset[tuple[str, ...]]:
    """The instructions' runs, made once per prompt rather than once per reply."""
    return frozenset(_runs([w.lower() for w in _WORD.findall(instructions)]))


@functools.lru_cache(maxsize=8)
def _identifiers(instructions: str) -> frozenset[str]:
    return frozenset(m.lower() for m in _IDENTIFIER.findall(instructions))


@dataclass
class Verdict:
    text: str
    """What to say of the clause: all of it, the part before a repetition, or ''."""
    stop: str | None = None
    """Why the model must stop now ("loop", "overlong", "unsafe", "echo", "leak" or "tool_talk"), None to
    go on."""


class ReplyGuard:
    def __init__(
        self,
        max_sentences: int = 3,
        max_words: int = 60,
        risky: bool = False,
        heard: str = "",
        instructions: str = "",
    ) -> None:
        self.max_sentences = max_sentences
        self.max_words = max_words
        self.risky = risky
        """The user asked whether they may do something dangerous: an approval is not said."""
        self._echoes = {
            words
            for s in _USER_SENTENCE.split(heard)
            if len(words := _echo_words(s)) >= ECHO_ANY_WORDS or is_question(s) or is_statement(s)
        }
        """The user's questions, statements and longer sentences (`heard`: what they said), as words: a
        reply sentence that is one of them is an echo."""
        said = [w.lower() for w in _WORD.findall(heard)]
        self._leaks = _instruction_runs(instructions) - _runs(said)
        """Runs of the instructions' words; one the user said is theirs to hear back."""
        self._identifiers = _identifiers(instructions)
        self._said = {w.rstrip("s") for w in said}
        self._tail = ""
        """The end of the clause before, so that tool talk split between two clauses is still seen."""
        self.stopped: str | None = None
        self._held = ""
        """Clauses not said yet because, so far, they repeat the start of one of the user's sentences."""
        self._words: list[str] = []
        self._sentence: list[str] = []
        self._echo_sentence: tuple[str, ...] = ()
        """The reply's sentence so far, as `_echo_words`."""
        self._sentences: list[tuple[str, ...]] = []

    def admit(self, clause: str) -> Verdict:
        """`clause`: the written form of the next clause. After a stop every clause is refused."""
        if self.stopped:
            return Verdict("", self.stopped)
        if self.risky and approves(clause, opening=not self._sentences):
            self.stopped, self._held = "unsafe", ""
            return Verdict(CAUTION, "unsafe")
        spans = [(m.start(), m.group().lower()) for m in _WORD.finditer(clause)]
        words = [w for _, w in spans]
        ends_sentence = bool(_SENTENCE_END.search(clause.rstrip()))
        so_far = self._echo_sentence + _echo_words(clause)
        if ends_sentence and len(so_far) >= 2 and so_far in self._echoes:
            self.stopped, self._held = "echo", ""
            return Verdict("", "echo")
        if (self._leaks and _runs((self._words + words)[-(len(words) + LEAK_WORDS - 1) :]) & self._leaks) or (
            self._identifiers and any(m.lower() in self._identifiers for m in _IDENTIFIER.findall(clause))
        ):
            self.stopped, self._held = "leak", ""
            return Verdict("", "leak")
        if self._tool_talk(f"{self._tail} {clause}"):
            self.stopped, self._held = "tool_talk", ""
            return Verdict("", "tool_talk")
        loop_at = self._loop_start(words, ends_sentence)
        if loop_at is not None:
            self.stopped = "loop"
            return Verdict(
                self._with_held(clause[: spans[loop_at][0]].rstrip(" ,;:-") if loop_at > 0 else ""), "loop"
            )
        self._tail = clause[-60:]
        self._words += words
        self._sentence += words
        self._echo_sentence = so_far
        if ends_sentence:
            if self._sentence:
                self._sentences.append(tuple(self._sentence))
            self._sentence, self._echo_sentence = [], ()
            if len(self._sentences) >= self.max_sentences or len(self._words) >= self.max_words:
                self.stopped = "overlong"
        elif len(self._words) >= 2 * self.max_words:
            self.stopped = "overlong"
        if not ends_sentence and not self.stopped and any(e[: len(so_far)] == so_far for e in self._echoes):
            self._held = f"{self._held} {clause}".strip()  # an echo, perhaps: said once it is not
            return Verdict("")
        return Verdict(self._with_held(clause), self.stopped)

    def release(self) -> str:
        """At the reply's end: what was held back as a possible echo and never finished as one."""
        held, self._held = self._held, ""
        return held

    def _tool_talk(self, clause: str) -> bool:
        """Whether the clause talks about the machinery with a word the user did not use."""
        for match in TOOL_TALK.finditer(clause):
            word = next(w for w in match.groupdict().values() if w)
            if word.lower().rstrip("s") not in self._said:
                return True
        return False

    def _with_held(self, text: str) -> str:
        held, self._held = self._held, ""
        return f"{held} {text}".strip()

    def _loop_start(self, words: list[str], ends_sentence: bool) -> int | None:
        """Index in `words` where a repetition begins, if this clause repeats what came before."""
        sentence = tuple(self._sentence + words)
        if ends_sentence and len(sentence) >= 2 and sentence in self._sentences:
            return 0  # the whole sentence again: say none of this clause
        history = self._words + words
        start = len(self._words)
        for end in range(start + 1, len(history) + 1):
            for n in range(1, _LONGEST_PHRASE + 1):
                times = 4 if n == 1 else 3
                first = end - n * times
                if first < 0:
                    break
                phrase = history[end - n : end]
                if all(history[first + k * n : first + (k + 1) * n] == phrase for k in range(times - 1)):
                    return max(0, first + n - start)  # keep the first occurrence
        return None
