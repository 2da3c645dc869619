"""Degenerate model output, caught while it streams: loops and replies far longer than speech needs.

Small models loop ("I'm glad you're here." six times; "the the the ...") and, asked for a recipe, write
an essay. The guard sees each written clause before it is spoken and says what of it to say and whether
to stop the model. Empty and punctuation-only replies are the reply's business: it says a fallback when
nothing speakable came (assistant.engine.reply).

Loops (`loops.py`): the first occurrence is kept, the repetition dropped, and the model stopped.
Length: the reply ends at the first sentence end once it holds `max_sentences` sentences or `max_words`
words, and mid-sentence (at a clause) past twice the words.
Danger: for a risky question (`risky=True`, assistant.engine.safety) a clause that approves, or a
sentence that orders the asked act ("If it's raining, use charcoal barbecue inside the living room."), is
replaced by a cautious sentence, and the model stopped; so is a first sentence that does not warn
(`safety.warns`: "The living room feels fine." to "Can I drive home?" after four beers); each sentence is
held back until it ends. Echo: a
sentence that repeats one of the user's own questions, statements or longer requests word for word
(`heard`; numbers compared as digits, "ten" = "10") is not said and the model is stopped: Qwen2.5-Coder
0.5B answers many statements, and some questions, by repeating them ("My name is Priya." -> "My name is
Priya."), and once an echo is in the history it echoes turn after turn (5 in a row in one dialogue); asked
to do what no tool does, it reads the command back ("Go forward ten meters." -> "Go forward 10 meters."),
or with another verb ("Check my bank balance." -> "Mark the bank balance."): a command on the same things,
in a turn that called no tool.
Claim: a clause that says a deed the user asked for was done, or promises it, while no tool answered
(`claims.py`: "Book me a taxi." -> "The taxi is booked.") is not said and the model is stopped; so is
a sentence that reports a tool's failure ("Sorry, that didn't work: ...") in a turn that called none, or
that opens the way an earlier tool's result reported its deed ("Noted: my bank balance is $100." after a
note was taken; `claims.forges`).
Leak: a clause that carries on a run of `LEAK_WORDS` words of the model's own instructions (`instructions`:
the system prompt, the tools' descriptions, the chat template's tool header) that the user did not say is
not said and the model is stopped: Qwen2.5-Coder 0.5B read out "Tools You may call one or more functions
to assist with the user query" after setting a timer, and "Drive the floor robot some meters in a
direction, and say where it is now." as a step for jump-starting a car (5 of 312 replies in four text
passes of the dialogue set). So is a clause that names one of the instructions' identifiers (a tool's or
parameter's snake_case name): "This response is returned by the tool, and it includes the function name
"set_timer"", "You can call the function "move_robot" with the arguments ..." (greedy text pass). So is
a list of the choices of tools the turn may not call (`leaks.lists_choices`); a clause that may start one
is held.
Tool talk: a clause about the machinery behind the voice (`TOOL_TALK`: "the user query", "the function
name", "I used the ... function", "returned by the tool", "JSON") is not said and the model is stopped,
unless the user used that word themselves. Qwen2.5-Coder 0.5B, which sees the tools' descriptions on
every turn (they keep the prompt's prefix cached), talks about them when it has nothing else to say:
"Let's answer the user query about a tool that answers," to "7 of clubs", "To say thank you in
Spanish, I used the "set_reminder" function." (32 such replies in the greedy text passes, each fewer
than `LEAK_WORDS` words of the instructions in a row). A person is spoken to as "you", never "the user";
the assistant speaks as "I", never of "the assistant" or of what "this response indicates" ("This response
suggests that the assistant is looking for more coffee beans online.", "Here's a response: When: ...",
probes of 2026-12-03).
Made up: where the user asked for a web address, a sentence that gives one that neither the user nor a
tool gave (`addresses.py`: "The Louvre's website is louvre.com.") is not said and the model is stopped;
each sentence is held back until it ends ("The web address for booking" had been said before "... is
https://www.example.com." came).
Preamble: a sentence that opens on the model's own prompt as its source ("According to the information
provided in the XML tags, there are 5 continents.": Qwen's tools header, 2026-12-04) or on the user's
question quoted back ('To answer the question "How old will she be?", ...') is said without that opening
(`preamble.py`).
Number: a reply that is only a number, in a turn that called no tool, to words that ask no question and
name no number to pick (or name the one said back), is not said: Qwen answered "Press 1 to enter a number."
with "1", then said "1" to each of the next four turns (through `assistant mic`, unseen Asterisk prompts,
2026-12-06). "How many legs does a spider have?", "Pick a number from 1 to 10." may get a number.
Repeat: a sentence of `REPEAT_WORDS` words or more from the assistant's own previous reply (`before`)
is left out (the model goes on) when said again to something else, unless the user asked to hear it
again or a tool answered since; a reply that was nothing else gets what an echo gets. Qwen2.5-Coder
0.5B, asked to do what no tool does, answered with its previous reply word for word, and opened each
follow-up about a trip by saying the trip again ("The flight to Madrid leaves at seven in the evening on
Saturday. The city ... is Madrid."); a small model that has said a sentence once says it turn after turn
(Gemma 270M's "You are a bad leader" to four turns). A sentence of an earlier reply that said what a
tool did is left out at any length: said again with no tool called, it makes the deed up.
Unread: a sentence that tells the state of what a question asked about, which a tool it may call acts on,
while no tool was called (`claims.reports_reading`: "The heating is on." to "Is the heating on?") is not
said and the model is stopped; each sentence is held back until it ends.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.engine.addresses import asks_for_address, given, web_hosts
from assistant.engine.claims import (
    accepts,
    asks_for_deeds,
    claims,
    forges,
    reports_change,
    reports_done,
    reports_failure,
    reports_reading,
    reports_state,
    requested_change,
    requested_deeds,
    result_form,
)
from assistant.engine.leaks import (
    _IDENTIFIER,
    LEAK_WORDS,
    _identifiers,
    _instruction_runs,
    _instruction_starts,
    _runs,
    choice_words,
    lists_choices,
    may_start_leak,
    talks_of_tools,
)
from assistant.engine.live import tells_now
from assistant.engine.loops import loop_start
from assistant.engine.preamble import Preamble
from assistant.engine.safety import CAUTION, approves, tells_to_do, warns
from assistant.engine.said_back import (
    _USER_SENTENCE,
    _WORD,
    _echo_words,
    _long_sentences,
    _object_words,
    copies_result,
    unasked_number,
    user_sentences,
)
from assistant.tts.markup import foreign_script

_SENTENCE_END = re.compile(r"[.!?…][\"')\]]*$")
_AGAIN = re.compile(
    r"\b(?:again|repeat|pardon|once more|come again|what did you (?:just )?say|say that|you said)\b",
    re.IGNORECASE,
)
"""Words that ask for something said before: a repeat is then the answer."""


@dataclass
class Verdict:
    text: str
    """What to say of the clause: all of it, the part before a repetition, or ''."""
    stop: str | None = None
    """Why the model must stop now ("loop", "overlong", "unsafe", "echo", "claim", "made_up", "leak",
    "tool_talk", "number", "foreign", "live" or "unread"), None to go on."""


class ReplyGuard:
    def __init__(
        self,
        max_sentences: int = 3,
        max_words: int = 60,
        risky: bool = False,
        heard: str = "",
        instructions: str = "",
        before: str = "",
        asked_before: str = "",
        results: Sequence[str] = (),
        sources: Sequence[str] = (),
        said_before: Sequence[str] = (),
        choices: Iterable[str] = (),
        asked_about: frozenset[str] = frozenset(),
        meant: str = "",
        acted_on: frozenset[str] = frozenset(),
    ) -> None:
        """`heard`: what the user said this turn; `instructions`: what the model was told (system prompt,
        tools); `before`: the assistant's previous reply and `asked_before` the user's turn it answered
        (the same question twice may get the same answer); `results`: the earlier replies that said what
        tools did; `sources`: the earlier messages of the user and the tools (web addresses they gave may
        be said); `said_before`: the user's earlier turns; `choices`: the choices of the tools in the
        model's prompt that this turn may not call (`guard_context.unasked_choices`); `asked_about`: the
        things a question asks about that a tool may read (`guard_context.asked_about`); `meant`: `heard`
        with "it" read as the thing named before (`referent.resolved`), for the deed asked for; `acted_on`:
        what the tools the request may call act on (`guard_context.acted_on`)."""
        self.max_sentences = max_sentences
        self.max_words = max_words
        self.risky = risky
        """The user asked whether they may do something dangerous: an approval is not said."""
        self._echoes = user_sentences(heard, said_before)
        """The user's sentences (`said_back.user_sentences`), as words: a reply sentence that is one of
        them is an echo."""
        self._commanded = {o for s in _USER_SENTENCE.split(heard) if (o := _object_words(s))}
        """What each of the user's commands acts on: a reply sentence that is another command on the
        same things ("Mark the television to channel five.") reads the command back in other words."""
        again = _AGAIN.search(heard) or _echo_words(heard) == _echo_words(asked_before)
        told = {w for r in results for s in _USER_SENTENCE.split(r) if len(w := _echo_words(s)) >= 2}
        self._told = told
        """Sentences that said what a tool did: one said again with other values, while no tool was
        called, makes the tool's answer up (`said_back.copies_result`)."""
        self._repeats = set() if again else (_long_sentences(before) | told) - _long_sentences(CAUTION)
        """The sentences of the previous reply that are not said again to something else (the engine's
        own cautious answer may be), and those of earlier replies that said what a tool did, at any length:
        "Timer set for 25 minutes." said again to a request Whisper garbled, no tool called (spoken pass
        of 2026-12-04), makes a deed up."""
        self._deeds = requested_deeds(meant or heard)
        """What the user asked to be done (`claims.py`): a reply that says it was done, or only says yes
        ("Sure!", `claims.accepts`), while no tool answered, is not said; until one does, each sentence is
        held back until it ends (the clause chunker cuts "Sure, I'd be happy" from "to order a pizza for
        you.")."""
        verbs, things = requested_change(meant or heard)
        self._change = (verbs, things | acted_on if verbs else things)
        """The deed asked for and the things it acts on: a reply that says one of them had it done
        ("Timer subtracted one minute.") while no tool answered, is not said (`claims.reports_change`)."""
        self._asked_deed = asks_for_deeds(meant or heard)
        self._asked_about = asked_about
        """A reply that tells their state while no tool was called made it up (`claims.reports_reading`);
        until one is called, each sentence is held back until it ends (the clause chunker cuts "Yes, the
        bedroom lights" from "are bright enough.")."""
        """Any deed asked for: a reply that says one was done ("they have now been turned on") while no
        tool answered, is not said (`claims.reports_done`)."""
        self._heard = heard
        self._meant = meant or heard
        """`heard` with "it" and an elided command read as meant ("And the heater too." after "Switch off
        the pump.": "Switch off the heater."): the values a state told of the thing was asked to have."""
        self._address = asks_for_address(heard)
        """The user asked for a web address: one that no user or tool gave (`addresses.py`) is made up."""
        self._given = given([heard, *results, *sources]) if self._address else set()
        """The hosts of the addresses the user and the tools gave; read only when an address was asked."""
        self._forms = frozenset(f for r in results if (f := result_form(r)))
        """How earlier tools' results reported their deeds ("noted:"): a sentence that opens so in a turn
        that called no tool makes up what a tool did (`claims.forges`)."""
        self.repeated = False
        """A sentence of the previous reply was left out (see also `restated`)."""
        self._called = False
        said = [w.lower() for w in _WORD.findall(heard)]
        self._leaks = _instruction_runs(instructions) - _runs(said)
        """Runs of the instructions' words; one the user said is theirs to hear back."""
        self._leak_starts = _instruction_starts(instructions) if self._leaks else frozenset()
        self._identifiers = _identifiers(instructions)
        self._said = {w.rstrip("s") for w in said}
        self._choices = frozenset(c for c in choice_words(choices) if not set(c) <= self._said)
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
        self._preamble = Preamble()
        """A sentence's opening about the prompt or the question ("According to the information provided
        in the XML tags,"), left out (`preamble.py`)."""

    def admit(self, clause: str, last: bool = False) -> Verdict:
        """`clause`: the written form of the next clause (`last`: the reply ends with it). After a stop
        every clause is refused. A sentence that opens on the model's own prompt as its source ("According
        to the information provided in the XML tags, there are 7 continents.") or on the question quoted
        back ('To answer the question "...",') is said without that opening (`preamble.py`)."""
        if self.stopped:
            return Verdict("", self.stopped)
        taken = self._preamble.take(clause, not self._sentence and not self._held, last)
        if not taken:  # held, or all of it the opening
            return Verdict("")
        clause = taken
        if foreign_script(clause):  # the voice would say nothing of it
            self.stopped, self._held = "foreign", ""
            return Verdict("", "foreign")
        sentence = f"{self._held} {clause}"
        if self.risky and (
            approves(clause, opening=not self._sentences)
            or (
                _SENTENCE_END.search(clause.rstrip())
                and (tells_to_do(sentence, self._heard) or (not self._sentences and not warns(sentence)))
            )
        ):
            self.stopped, self._held = "unsafe", ""
            return Verdict(CAUTION, "unsafe")
        spans = [(m.start(), m.group().lower()) for m in _WORD.finditer(clause)]
        words = [w for _, w in spans]
        ends_sentence = bool(_SENTENCE_END.search(clause.rstrip()))
        so_far = self._echo_sentence + _echo_words(clause)
        if ends_sentence and len(so_far) >= 2 and (so_far in self._echoes or self._reads_back(clause)):
            self.stopped, self._held = "echo", ""
            return Verdict("", "echo")
        made_up = reports_failure(" ".join([*self._sentence, clause])) or (
            not self._sentence and forges(clause, self._forms)
        )
        said = f"{self._held} {clause}"
        if (
            (self._deeds and claims(said, self._deeds))
            or (not self._called and ends_sentence and copies_result(so_far, self._told))
            or reports_change(said, *self._change)
            or reports_state(said, self._change[1], self._meant)
            or (self._asked_deed and reports_done(said))
            or (self._deeds and ends_sentence and accepts(said))
            or (not self._called and made_up)
        ):
            self.stopped, self._held = "claim", ""
            return Verdict("", "claim")
        if not self._called and tells_now(said):
            self.stopped, self._held = "live", ""
            return Verdict("", "live")
        if not self._called and reports_reading(said, self._asked_about):
            self.stopped, self._held = "unread", ""
            return Verdict("", "unread")
        if self._address and web_hosts(clause) - self._given:
            self.stopped, self._held = "made_up", ""
            return Verdict("", "made_up")
        if ends_sentence and so_far in self._repeats:
            self.repeated, self._held = True, ""
            self._sentence, self._echo_sentence = [], ()
            return Verdict("")
        if (
            (self._leaks and _runs((self._words + words)[-(len(words) + LEAK_WORDS - 1) :]) & self._leaks)
            or (
                self._identifiers and any(m.lower() in self._identifiers for m in _IDENTIFIER.findall(clause))
            )
            or lists_choices(self._sentence + words, self._choices) >= 2
        ):
            self.stopped, self._held = "leak", ""
            return Verdict("", "leak")
        if talks_of_tools(f"{self._tail} {clause}", self._said):
            self.stopped, self._held = "tool_talk", ""
            return Verdict("", "tool_talk")
        loop_at = loop_start(self._words, self._sentence, self._sentences, words, ends_sentence)
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
        if (
            not ends_sentence
            and not self.stopped
            and (
                self._deeds
                or (self._asked_about and not self._called)  # "Yes, the bedroom lights" | "are on."
                or self.risky
                or self._address
                or self._may_repeat(so_far)
                or self._reads_back("", partly=True)
                or may_start_leak(self._words, self._leak_starts)
                or lists_choices(self._sentence, self._choices)
            )
        ) or self._only_a_number(clause):
            self._held = f"{self._held} {clause}".strip()  # an echo or a repeat, perhaps: said once it is not
            return Verdict("")
        return Verdict(self._with_held(clause), self.stopped)

    def tool_called(self, refused: str = "") -> None:
        """The model called a tool this turn (whether it ran, failed or was refused): the reply may say
        that it did not work. `refused`: what the calls that did not run told the model (their errors),
        written for it, never for the user's ears: said back, it is a leak ("Invalid arguments:
        Unterminated string starting at: line 1 column 100" had been said, probe of 2026-12-08)."""
        self._called = True
        if refused:
            self._leaks = self._leaks | _runs([w.lower() for w in _WORD.findall(refused)])

    def tool_answered(self, result: str = "") -> None:
        """A tool answered this turn (`result`: what it returned): the reply may say again what the
        previous one said ("The timer is set for five minutes." to a second timer), say what the tool
        did, and the web addresses it gave."""
        if self._address:
            self._given |= given([result])
        self._repeats = set()
        self._deeds = frozenset()
        self._change = (frozenset(), frozenset())
        self._asked_deed = False

    @property
    def restated(self) -> bool:
        """A sentence's opening was left out: the user's question quoted back, or the prompt as a source."""
        return self._preamble.dropped

    @property
    def deeds_pending(self) -> bool:
        """The user asked for a deed in the world (`claims.requested_deeds`) and no tool answered."""
        return bool(self._deeds)

    def resume(self) -> None:
        """Start the reply again after a stop whose words were never said (the model made to call
        instead, `ToolTurn._instead_of_claim`)."""
        self.stopped, self._held, self._tail, self._preamble = None, "", "", Preamble()
        self._words, self._sentence, self._echo_sentence, self._sentences = [], [], (), []

    def release(self) -> str:
        """At the reply's end: what was held back as a possible echo and never finished as one. A reply
        that ends without punctuation ends its sentence there: "Cancel my gym membership" to "Cancel my
        gym membership." is an echo, and a sentence of the previous reply a repeat."""
        if self._preamble.holding and (said := self.admit("", last=True).text):
            return f"{said} {self.release()}".strip()
        held, self._held = self._held, ""
        if held and self.risky and not self._sentences and not warns(held):
            self.stopped = "unsafe"
            return CAUTION
        if (
            held
            and len(self._echo_sentence) >= 2
            and (self._echo_sentence in self._echoes or self._reads_back(""))
        ):
            self.stopped = "echo"
            return ""
        if held and self._echo_sentence in self._repeats:
            self.repeated = True
            return ""
        if self._only_a_number(held):
            self.stopped = "number"
            return ""
        return held

    def _only_a_number(self, said: str) -> bool:
        """Whether the reply so far is `said` alone, a number nothing asked for (`unasked_number`)."""
        return not self._called and len(self._words) <= 2 and unasked_number(said, self._heard)

    def _may_repeat(self, so_far: tuple[str, ...]) -> bool:
        """Whether the sentence so far is the start of one of the user's sentences or of the previous
        reply's: it is held back until it ends or parts from them."""
        return any(e[: len(so_far)] == so_far for e in (*self._echoes, *self._repeats))

    def _reads_back(self, clause: str, partly: bool = False) -> bool:
        """Whether the sentence ending with `clause` is a command on the same things as one of the user's,
        in a turn that called no tool: "Mark the bank balance." to "Check my bank balance." (Qwen2.5-Coder
        0.5B, topic probe of 2026-12-03). Advice names other things too ("Check your bank's app.").
        `partly`: whether the sentence so far may still become one (it is held back until it ends)."""
        if self._called or not self._commanded:
            return False
        said = _object_words(" ".join([*self._sentence, clause]))
        if said is None:
            return False
        return any(said <= c for c in self._commanded) if partly else said in self._commanded

    def _with_held(self, text: str) -> str:
        held, self._held = self._held, ""
        return f"{held} {text}".strip()
