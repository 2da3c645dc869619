"""`str` values in an utterance: units around a number ("5 miles to kilometers"), a place after "in" ("the
time in New York") and free text: the words left once those asking for the tool ("remind me to", "add a
note") and every other slot are taken out.
"""

from __future__ import annotations

from assistant.tools.intent.filling import Filler
from assistant.tools.intent.gate import ACTION_KEYS
from assistant.tools.intent.numbers import is_number
from assistant.tools.intent.params import Param
from assistant.tools.intent.spans import DURATION_UNITS
from assistant.tools.intent.text import FUNCTION_WORDS, STOPWORDS

CONNECTORS = frozenset(
    """a an the me my to that for about of please can could would will you hey ok okay so just quickly new
    and go ahead i want need like us let also now assistant some""".split()
)
"""Words that may sit between the words asking for a tool, without being part of the free text."""
LINKS = frozenset("to that me saying says about for called named which down up off on".split())
"""Words right after the request that introduce the free text: "remind me *to* ...", "a note *that* ..."."""
STAND_INS = frozenset("this it".split())
"""Words that stand for the free text after a link: "jot *this* down: call the bank", "write *it* down"."""
PARTICLES = frozenset("out".split())
"""The particle of the phrasal verb that opens a request ("work *out* 17 % of 300", "figure *out* ..."),
not part of the free text; after a later word it is ("add a note *out* of milk")."""
COMMAND_VERBS = frozenset(
    """set start stop cancel delete add make take write read list tell give get turn switch put create check
    remind convert calculate open close save remember note roll throw dim""".split()
)
"""Verbs that open a request to any tool (after `stem`, so "remove" is "delete" and "show" is "list")."""
TRAILING = frozenset("please thanks now for me to the a an my our your from".split())
_POINTING = frozenset("on onto in into at off".split())
"""A preposition whose object, the tool's own thing, was left out of a text: it goes too."""
_HANDING = _POINTING | frozenset("to from for".split())
"""Before "the", "my" ...: what follows names the thing; a label is in it, not before it."""
_OF = frozenset("for of about on with".split())
AUXILIARIES = frozenset("is are was were has have had will would can could should does did".split())
ARTICLES = frozenset("the a an my our this that".split())
RECIPIENTS = frozenset("him her them us".split())
"""Someone else, as the indirect object of a double-object verb: "write *her* a welcome message", "make
*them* a list" asks for something to be composed for them, not a note kept (not "me": "make me a note
to ..." is one)."""
_SMALL = CONNECTORS | LINKS | STOPWORDS
SPEAKERS = frozenset("you i we".split())
"""The person and the assistant: never part of a name ("again, you set a timer" names no timer)."""
NAMING = frozenset("called call named name labelled labeled label".split())
"""Before a label: "a timer for 45 minutes called laundry" (Whisper also writes "call laundry")."""
_UNIT_STOP = frozenset("to in into as is are equals equal please now and".split())
UNIT_SEPARATORS = ("to", "in", "into", "as", "and")  # "and": Whisper's usual mishearing of "in"
_PLACE_EXCLUDED = frozenset("morning afternoon evening night moment world general".split())
_PLACE_FILLERS = (
    ("right", "now"),
    ("now",),
    ("please",),
    ("today",),
    ("currently",),
    ("at", "the", "moment"),
)


class Strings(Filler):
    """Units, places and free text, taken once the typed values are."""

    def phrase(self, start: int, stop: frozenset[str], limit: int = 3) -> tuple[int, int]:
        end = start
        while end < len(self.norm) and end - start < limit and self.free(end) and self.norm[end] not in stop:
            if is_number(self.norm[end]):
                break
            end += 1
        while start < end and self.norm[start] in ARTICLES:
            start += 1
        return start, end

    def one(self) -> int | None:
        """The "a" of "in a liter", "is a mile": an amount of one."""
        for i in range(1, len(self.norm) - 1):
            if (
                self.norm[i] in ("a", "an", "one")
                and self.norm[i - 1] in ("in", "is", "are")
                and self.free(i)
            ):
                self.take(i, i + 1, "<num>")
                return i
        return None

    def units(self, params: list[Param], anchor: int | None) -> dict[str, str]:
        """ "5 miles to kilometers", "how many feet in 3 meters": the words around the number."""
        if anchor is None:
            numbers = [i for i, tok in enumerate(self.norm) if is_number(tok)]
            if not numbers:
                return {}
            anchor = numbers[0]
        source = self.phrase(anchor + 1, _UNIT_STOP)
        target: tuple[int, int] | None = None
        after = source[1]
        if (
            source[1] > source[0]
            and tuple(self.norm[after : after + 2]) in (("in", "2"), ("in", "two"))
            and self.norm[after + 2 : after + 3] != ()
            and self.norm[after + 2] not in DURATION_UNITS  # "5 kilometers in 2 hours" is a pace
        ):
            self.take(after + 1, after + 2, "<unit>")  # "5 kilometers in 2 miles": Whisper's "into"
            target = self.phrase(after + 2, _UNIT_STOP | TRAILING)
        elif after < len(self.norm) and self.norm[after] in UNIT_SEPARATORS:
            target = self.phrase(after + 1, _UNIT_STOP | TRAILING)
        else:
            for k in range(anchor - 1):
                if self.norm[k] == "how" and self.norm[k + 1] in ("many", "much"):
                    target = self.phrase(k + 2, _UNIT_STOP)
        found: dict[str, str] = {}
        for param in params:
            span = target if param.role == "unit_to" else source
            if span and span[1] > span[0] and param.name not in found:
                found[param.name] = self.u.tokens.text(range(*span))
                self.take(span[0], span[1], "<unit>")
        return found

    def place(self) -> str | None:
        """ "what time is it in New York (right now)": the words after the last in/at/for."""
        end = len(self.norm)
        for words in _PLACE_FILLERS:
            if end >= len(words) and self.norm[end - len(words) : end] == words:
                end -= len(words)
        surface = self.u.tokens.surface
        for k in range(end - 2, -1, -1):
            misheard = self.norm[k] == "and" and surface[k + 1][:1].isupper()  # "the time and Sydney"
            if (self.norm[k] in ("in", "at", "for") or misheard) and self.free(k):
                start = k + 1 + (self.norm[k + 1] == "the")
                span = range(start, end)
                if (
                    0 < len(span) <= 4
                    and all(self.free(i) and not is_number(self.norm[i]) for i in span)
                    and self.norm[start] not in STOPWORDS
                    and not _PLACE_EXCLUDED & set(self.norm[start:end])
                ):
                    self.take(k, end, "<place>")
                    value = self.u.tokens.text(span)
                    return value.title() if value.islower() else value
                return None
        return None

    def _past_own_name(self, words: list[str], keys: list[str], cut: int) -> int:
        """Where a text starts once the tool's own name at its start is left out, with its article and
        the preposition after it: "look up the recipe for pancakes" to `lookup_recipe` is "pancakes".
        `cut` when nothing of its name opens the text, or nothing would be left."""
        k = cut
        while k < len(words) and words[k] in ARTICLES:
            k += 1
        if k == len(words) or keys[k] not in self.words.name_words:
            return cut
        while k < len(words) and keys[k] in self.words.name_words:
            k += 1
        if k < len(words) and words[k] in _OF:
            k += 1
        return k if k < len(words) and words[k] not in TRAILING else cut

    def free_text(self, param: Param) -> str | None:
        """The words left once the request for the tool ("remind me to") and other slots are taken out."""
        lead = next((i for i, flag in enumerate(self.u.polite) if not flag), len(self.norm))
        left = [i for i in range(lead, len(self.norm)) if self.free(i)]  # not "and then could you"
        words = [self.norm[i] for i in left]
        keys = [self.u.keys[i] for i in left]
        triggers = self.words.triggers
        opens = next((i for i, k in enumerate(keys) if k not in CONNECTORS), len(keys))
        opening = keys[opens] if opens < len(keys) else ""
        if opening in COMMAND_VERBS:  # "delete my timer", "show me my timers": asking, whatever the tool
            triggers = triggers | {opening}
        run = 0
        while run < len(words) and (keys[run] in triggers or words[run] in CONNECTORS):
            run += 1
        cut = 0
        for k in range(run):
            if keys[k] in triggers and words[k] not in CONNECTORS:
                cut = k + 1
        while cut < len(words) and (
            words[cut] in LINKS
            or (words[cut] in STAND_INS and words[cut + 1 : cut + 2] and words[cut + 1] in LINKS)
            or (words[cut] in PARTICLES and cut > 0 and keys[cut - 1] in triggers and cut - 1 == opens)
        ):
            cut += 1
        cut = self._past_own_name(words, keys, cut)
        end, named = len(words), False
        while end > cut and (
            words[end - 1] in TRAILING
            or keys[end - 1] in self.words.name_words
            or (named and words[end - 1] in _POINTING)  # "put eggs on the shopping list": not "eggs on"
        ):
            named = named or keys[end - 1] in self.words.name_words
            end -= 1
        start = cut
        if not param.required:  # a label: "the pasta timer", "set it 90 second timer" (a misheard "a")
            speaker = [k for k in range(start, end) if words[k] in SPEAKERS]
            if speaker:  # "and then you set a timer": whatever comes before "you" addresses the assistant
                start = speaker[-1] + 1
            handed = [k for k in range(start, end - 1) if words[k] in _HANDING and words[k + 1] in ARTICLES]
            if handed:  # "add another 5 minutes to my tea timer": the label is "tea", not "another to my tea"
                start = handed[-1] + 1
            while start < end and (words[start] in ARTICLES | FUNCTION_WORDS | NAMING):
                start += 1
        chosen = left[start:end]
        while chosen and self.u.discourse[chosen[0]]:  # "never mind the timer" names no timer "mind"
            chosen = chosen[1:]
        while chosen and self.u.tags[chosen[-1]]:
            chosen = chosen[:-1]
        if not any(self.u.content[i] for i in chosen):
            return None  # "wait, stop", "cancel that": function words and interjections are no value
        if len(chosen) > self.words.max_words.get(param.name, len(chosen)):
            return None
        if (
            not param.required
            and len(chosen) == 1
            and state_word(self.norm, self.u.keys, chosen[0], self.words.name_words)
        ):
            return None  # "get a timer going", "start a timer running": how it is, not what it is called
        if words[cut] in AUXILIARIES:
            return None  # "notes are useful", "the timer is annoying": said about the thing, not asked
        if words[cut] in RECIPIENTS and cut + 1 < len(words) and words[cut + 1] in ARTICLES | {"some"}:
            return None  # "write her a short message": for her, not for the notes
        asking = [k for k in range(len(words)) if keys[k] in triggers and words[k] not in _SMALL]
        if param.required and asking and asking[0] >= end:
            return None  # asked only after the text: "player all of my notes" (a misheard "clear")
        if param.name in self.words.needs_digit and not any(is_number(self.norm[i]) for i in chosen):
            return None
        self.take(chosen[0], chosen[-1] + 1, "<text>")
        return self.u.tokens.text(chosen)


def state_word(norm: tuple[str, ...], keys: tuple[str, ...], i: int, name_words: frozenset[str]) -> bool:
    """Token i says how the tool's thing is: an "-ing" word right after one of the tool's name words
    ("a timer going", "are any timers running"). Neither a label nor a word the examples must explain."""
    return (
        0 < i < len(norm)
        and norm[i].endswith("ing")
        and keys[i - 1] in name_words
        and keys[i - 1] not in ACTION_KEYS  # "stop asking me about notes": "stop" is `delete_notes`' verb
    )
