"""Which tool a transcript asks for, with its arguments, without the LLM.

Every example phrasing of a tool is parsed with that tool's own slot filler, so "remind me to call mom in
ten minutes" is indexed as "remind me to <text> <dur>". A transcript is parsed the same way for each tool
that shares a meaningful word with it, and its masked form is compared with the tool's masked examples:
TF-IDF weighted word unigrams and bigrams, cosine similarity to the nearest example, blended with how much
of the request the examples account for. Meaningful words that no example and no slot explains lower the
score ("what time is the *meeting*"), and so do requests that start like statements ("I noted that") or
ask about the assistant ("what time do *you* go to bed"). Everything is indexed once in `__init__`; a
match costs a few dictionary look-ups per candidate tool (well under a millisecond for 20 tools).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from assistant.tools.declare import Tool
from assistant.tools.intent import relative, topic
from assistant.tools.intent.deeds import (
    asks_for_a_change,
    asks_whether_it_is,
    reads_things,
    refused_for_question,
)
from assistant.tools.intent.follow_up import carry_over
from assistant.tools.intent.gate import (
    ACTION_KEYS,
    INTERJECTIONS,
    asks,
    clauses,
    is_destructive,
    retracted,
    sentences,
)
from assistant.tools.intent.indexing import (
    QUESTION_WORDS,
    WEAK_EVIDENCE,
    IndexedTool,
    features,
    index_tool,
    masked_words,
    opening,
)
from assistant.tools.intent.numbers import is_number
from assistant.tools.intent.slots import (
    CONNECTORS,
    LINKS,
    NAMING,
    Fill,
    Utterance,
    describe_params,
    fill_slots,
    state_word,
)
from assistant.tools.intent.speech_act import WH_WORDS
from assistant.tools.intent.text import (
    STOPWORDS,
    content_words,
    readings,
    sound,
    stem,
    tokenize,
    verb_lemma,
    word_forms,
)
from assistant.tools.vocabulary import spoken_vocabulary

DEFAULT_THRESHOLD = 0.5
"""Below this score (0-1) the LLM answers. On tests/data/intents.yaml the right tools score 0.52-1 and the
requests that need no tool at most 0.35; 40 other phrasings, never tuned on, all scored above it too."""


@dataclass(frozen=True)
class IntentMatch:
    tool: Tool
    arguments: dict[str, Any]
    """JSON-able and valid for `tool.validate`; optional parameters that were not said are left out."""
    confidence: float
    example: str = ""
    """The example phrasing nearest to the transcript."""
    missing: tuple[str, ...] = ()
    """Required parameters the transcript did not give ("after|at": one of them); never from `match`."""
    recalled: tuple[str, ...] = ()
    """Arguments taken from earlier in the conversation, not from these words ("over there": the place
    named before): if the tool rejects one, the guess was wrong."""
    elsewhere: tuple[str, ...] = ()
    """The request shares only the tool's verbs and names things its phrasings never mention: those
    things ("move my dentist appointment": dentist, appointment, for `move_robot`). It asks for
    something else; never from a strict match."""


COVERAGE_WEIGHT = 0.3
"""Part of the score that is the share of the request's words found in any of the tool's examples."""
_ENDINGS = ("d", "ed", "ing")
_SUBJECTS = frozenset("i we he she they my our his her their".split())
STATEMENT_PENALTY = 0.6
"""Words that start with "I", "my", "we" ("I noted that yesterday") tell, they do not ask; and once the
politeness is gone ("can you ..."), a "you" asks about the assistant: "what time do you go to bed"."""
_SMALL_WORDS = STOPWORDS | CONNECTORS | LINKS | NAMING
OPENING_PENALTY = 0.8
UNEXPLAINED_PENALTY = 0.8
"""Per meaningful word that no example has and no slot took: "what time is the *meeting*"."""
NAME_WEIGHT = 2.0
"""Words of tool names ("timer", "note") tell tools apart best: "delete my timer" is not about notes."""


class IntentMatcher:
    """`match(text)`: the tool and arguments a transcript clearly asks for, or None to let the LLM answer."""

    def __init__(self, tools: list[Tool], threshold: float = DEFAULT_THRESHOLD) -> None:
        self.threshold = threshold
        self.spoken_vocabulary = spoken_vocabulary(t for t in tools if t.options.intent)
        """The tools' words for ASR's second look (`assistant.asr.biasing`)."""
        self._tools: list[IndexedTool] = []
        documents: list[tuple[IndexedTool, str, Counter[str]]] = []
        for tool in tools:
            if not tool.options.intent:
                continue
            params = describe_params(tool.arguments)
            if any(p.required and p.kind == "other" for p in params):
                continue  # e.g. a list or a date: the fast path cannot say it, the LLM can
            entry, masked = index_tool(tool, params)
            for text, words in masked:
                documents.append((entry, text, features(words)))
                entry.grams |= set(features(words))
                entry.carriers |= {w for w in words if w not in STOPWORDS and w not in WEAK_EVIDENCE}
                entry.openings.add(opening(words))
            self._tools.append(entry)
        df: Counter[str] = Counter()
        for entry in self._tools:
            df.update(entry.grams)
        n = len(self._tools)
        self._idf = {g: math.log((n + 1) / (c + 1)) + 1 for g, c in df.items()}
        self._name_words = frozenset(w for entry in self._tools for w in entry.words.name_words)
        nouns = frozenset(w for entry in self._tools for w in relative.nouns(entry.tool.name))
        for entry in self._tools:
            entry.foreign = nouns - entry.anchors
        self._idf_unseen = math.log(n + 1) + 1
        for entry, text, grams in documents:
            entry.examples.append((text, self._vector(grams)))
        self._vocabulary = frozenset(w for entry in self._tools for w in entry.anchors)
        self._sounds: dict[str, list[str]] = {}
        for word in sorted(self._vocabulary):
            self._sounds.setdefault(sound(word), []).append(word)

    def _corrector(self, text: str) -> Callable[[str], str]:
        """How `text`'s words are read: with misheard tool words corrected (`_correct`), except in a
        question whether something is so (`deeds.asks_whether_it_is`), whose words are states: "Is it
        ready?" and "Is it red?" had been read as "Is it read?" and read the user's notes."""
        return (lambda key: key) if asks_whether_it_is(text) else self._correct

    def _correct(self, key: str) -> str:
        """A word no tool knows, that sounds like one a tool knows, is taken for that one ("timeer")."""
        if key in self._vocabulary or key in STOPWORDS or is_number(key) or len(key) < 3:
            return key
        if any(key.endswith(end) and key[: -len(end)] in self._vocabulary for end in _ENDINGS):
            return key  # "noted" is another form of "note", not a mishearing of it
        heard = sound(key)
        alike = [(fuzz.ratio(key, w), w) for w in self._sounds.get(heard, ())]
        score, word = max(alike, default=(0.0, key))
        return word if score >= (60 if len(heard) >= 3 else 70) and len(heard) >= 2 else key

    def _vector(self, grams: Counter[str]) -> dict[str, float]:
        vec = {g: c * self._idf.get(g, self._idf_unseen) for g, c in grams.items()}
        for g in self._name_words.intersection(vec):
            vec[g] *= NAME_WEIGHT
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {g: v / norm for g, v in vec.items()}

    def candidates(self, text: str, strict: bool = True) -> list[IntentMatch]:
        """Every tool that shares a meaningful word with the text, best first, whatever the score.

        `strict=False` also keeps the tools it does not ask for by action and evidence (for `near_miss`:
        "time for 2 and a half minutes" names no timer, but "timer for ..." may be what was said), and a
        tool without examples whose name, description or choices the text says in any form ("heating" for
        a mode "heat"): its developer gave nothing else to compare with, so the model may call it
        (`ToolHost.callable`: a user's `set_thermostat` had been kept from "Turn the fan up to high.")."""
        utterance = Utterance.parse(text, self._corrector(text))
        if not asks(utterance.tokens.norm):
            return []  # "stop", "never mind", "okay thanks", "don't delete my notes": no request at all
        said = {k for t, k in zip(utterance.tokens.norm, utterance.keys, strict=True) if t not in STOPWORDS}
        content = [t for t in utterance.tokens.norm if t not in STOPWORDS]
        forms = set() if strict else {f for t in content for f in word_forms(t)}
        found = [
            self._score(entry, utterance, strict)
            for entry in self._tools
            if said & entry.anchors or (forms & entry.anchors and not entry.tool.options.examples)
        ]
        out = [m for m in found if m is not None]
        out.sort(key=lambda m: (not m.missing, m.confidence), reverse=True)
        return out

    def _score(self, entry: IndexedTool, utterance: Utterance, strict: bool = True) -> IntentMatch | None:
        fill = fill_slots(utterance, entry.params, entry.words)
        labelled = list(zip(utterance.keys, fill.labels, strict=True))
        heard = {k for k, label in labelled if label not in WEAK_EVIDENCE}
        in_text = {k for k, label in labelled if label == "<text>"}
        described_only = not strict and not entry.tool.options.examples
        if not (entry.anchors & heard or entry.value_anchors & in_text or described_only):
            return None  # only free text, numbers and small words: "tell me a joke" is not a note
        if strict and not _evidence(entry, utterance, fill, heard):
            return None  # a verb alone ("read", "cancel it", "stop the music"): it says not what
        if (
            strict
            and (
                not entry.actions.intersection(utterance.keys)
                or topic.light_verb_only(entry, utterance, fill)
            )
            and not _question(entry, utterance)
            and not topic.said_by_values(entry, utterance, fill)
        ):
            return None  # no action: "thanks for the reminder", "that's the right time"
        if strict and _opener(utterance) in WH_WORDS and "?" not in entry.openings:
            return None  # a tool asked for by commands, asked a question: "who wrote that note?"
        if (
            strict
            and entry.objects
            and not entry.objects.intersection(stem(t) for t in utterance.tokens.norm)
        ):
            return None  # destructive: only when the user's own words name what it destroys
        if strict and relative.refused(entry.amounts, utterance, fill):
            return None  # a change, not a value: "dim the lights by 20 percent", "10 minutes off the timer"
        if strict and relative.handed_elsewhere(utterance, fill, entry.foreign):
            return None  # an amount for another tool's thing: "add 5 minutes to my timer" is no note
        light = topic.light_opener(entry, utterance)
        norm, keys = utterance.tokens.norm, utterance.keys
        states = {k for i, k in enumerate(keys) if state_word(norm, keys, i, entry.words.name_words)}
        masked = masked_words(utterance, fill, entry.described | states | ({light} if light else set()))
        if not (entry.carriers.intersection(masked) or entry.value_anchors & in_text or described_only):
            return None  # nothing its examples say: "I'll be back in five minutes" is no reminder
        query = self._vector(features(masked))
        nearest, example = 0.0, ""
        for ex_text, ex_vec in entry.examples:
            sim = sum(w * ex_vec.get(g, 0.0) for g, w in query.items())
            if sim > nearest:
                nearest, example = sim, ex_text
        coverage = sum(w * w for g, w in query.items() if g in entry.grams)
        score = (1 - COVERAGE_WEIGHT) * nearest + COVERAGE_WEIGHT * coverage
        if masked[0] in _SUBJECTS or "you" in masked or "your" in masked:
            score *= STATEMENT_PENALTY
        if opening(masked) not in entry.openings:
            score *= OPENING_PENALTY
        unexplained = [w for w in masked if w not in entry.carriers and w not in _SMALL_WORDS and w[0] != "<"]
        score *= UNEXPLAINED_PENALTY ** len(unexplained)
        if strict and entry.objects and unexplained:
            return None  # nothing is destroyed on a guess: "stop asking me about notes" is for the LLM
        elsewhere = topic.elsewhere(entry, utterance, fill, heard, unexplained)
        if described_only:  # "heating" is no other thing than a mode "heat"
            elsewhere = tuple(w for w in elsewhere if not word_forms(w) & entry.anchors)
        if strict and elsewhere:
            return None  # a verb it shares, acting on something else: "take the bins out tonight"
        missing = tuple(p.name for p in entry.params if p.required and p.name not in fill.arguments)
        if entry.one_of and not entry.one_of.intersection(fill.arguments):
            missing += ("|".join(sorted(entry.one_of)),)
        return IntentMatch(entry.tool, fill.arguments, min(1.0, score), example, missing, elsewhere=elsewhere)

    def about_it_only(self, name: str, text: str) -> bool:
        """Whether `text` names nothing but the things of the tool `name` (`topic.all_its_things`), its
        parameters' names and descriptions among them ("brightness"). True for a tool that takes text (a
        note, a place, a unit): its text names other things."""
        entry = next((e for e in self._tools if e.tool.name == name), None)
        if entry is None or any(p.kind == "str" for p in entry.params):
            return True  # not indexed (`intent=False`, a list argument), or free text: it names anything
        words = entry.anchors | {k for p in entry.params for k in p.keywords}
        return topic.all_its_things(words, text)

    def about_other_things(self, name: str, text: str) -> bool:
        """Whether `text` names things that are not the tool `name`'s and meets it only in its choices
        (`topic.meets_only_in_choices`): the model's call of it must not run."""
        entry = next((e for e in self._tools if e.tool.name == name), None)
        if entry is None or self.about_it_only(name, text):
            return False
        choices = frozenset(w for p in entry.params for c in p.choices for w in content_words(str(c)))
        words = entry.anchors | {k for p in entry.params for k in p.keywords}
        return topic.meets_only_in_choices(words, choices, text)

    def best(self, text: str) -> IntentMatch | None:
        """The most likely tool even below the threshold or with a required slot missing (diagnostics)."""
        found = self.candidates(text)
        return max(found, key=lambda m: m.confidence) if found else None

    def match(self, text: str) -> IntentMatch | None:
        """The tool `text` clearly asks for, or None. A request after a preface ("I'm bored. Tell me the
        time.": 0.22 whole) is matched on its own sentence, and then on its last clause ("If you can, turn
        off the kitchen lights"), when the whole is not: the preface dilutes the similarity. Only the
        last, since a correction comes last ("Set a timer. Actually, never mind."), and a last clause that
        takes the request back leaves no tool."""
        if retracted(text):
            return None
        found = self._confident(text)
        said = sentences(text)
        if found is None and len(said) > 1:
            found = self._confident(said[-1])
        if found is None and len(parts := clauses(text)) > 1 and parts[-1] != said[-1]:
            found = self._confident(parts[-1])  # not the last sentence again
        return found

    def _confident(self, text: str) -> IntentMatch | None:
        """The best candidate when it is sure and complete, and not a tool that changes things answering a
        question about how they are (`deeds.refused_for_question`: "Are the kitchen lights on?"), nor one
        that only reads answering a command to change them (`deeds.asks_for_a_change`)."""
        found = self.candidates(text)
        if not found or found[0].missing or found[0].confidence < self.threshold:
            return None
        tool = found[0].tool
        if refused_for_question(tool, text) or (reads_things(tool) and asks_for_a_change(text)):
            return None  # "Move my dentist to Monday." is no reading of Monday
        return found[0]

    def refused_change(self, text: str) -> tuple[Tool, str] | None:
        """The tool `text` clearly asks for but for an amount said as a change, which the tool cannot make
        since its examples set amounts ("dim the kitchen lights by 20 percent" to `set_lights`, "turn the
        heating up by two degrees" to a thermostat), and its number parameter that amount would have
        set; None when the text is matched, or asks for no such tool (`relative.refused`)."""
        if self.match(text) is not None:
            return None
        utterance = Utterance.parse(text, self._corrector(text))
        for entry in self._tools:
            if not entry.amounts.sets:
                continue
            fill = fill_slots(utterance, entry.params, entry.words)
            if relative.refused(entry.amounts, utterance, fill) in (None, "a value", *relative.LOCATING):
                continue
            found = self._score(entry, utterance, strict=False)
            numeric = [p.name for p in entry.params if p.kind in ("int", "float")]
            amounts = [name for name in numeric if name in fill.arguments]
            if amounts and found is not None and found.confidence >= self.threshold:
                return entry.tool, amounts[0]
        return None

    def unread(self, text: str) -> list[str]:
        """The words of `text` that neither a tool nor English knows (not in the tools' vocabulary, nor
        in LemmInflect's lexicon, nor a stopword, filler or number): what ASR made of a word it misheard
        ("dysolsias" for "to Celsius", "umpers" in "kill umpers" for "kilometres"), which the model may
        read where the fast path cannot."""
        return [
            w
            for w in tokenize(text).norm
            if len(w) >= 3
            and w.isalpha()
            and w not in STOPWORDS
            and w not in INTERJECTIONS
            and not {w, stem(w)} & self._vocabulary
            and not readings(w)
        ]

    def place_param(self, name: str) -> str | None:
        """The parameter of tool `name` that takes a place (a time zone, a city), if it has one."""
        entry = next((e for e in self._tools if e.tool.name == name), None)
        return next((p.name for p in entry.params if p.role == "place"), None) if entry else None

    def near_miss(self, text: str) -> bool:
        """Some tool shares a meaningful word with the text, but none is clearly asked for: worth trying
        what else ASR might have heard ("can't sell the timer")."""
        found = self.candidates(text, strict=False)
        return bool(found) and self.match(text) is None

    def follow_up(self, text: str, name: str, previous: dict[str, Any]) -> IntentMatch | None:
        """The call of tool `name` that `text` asks for by continuing its last call (with `previous`, its
        arguments): "and how about Los Angeles?" (assistant.tools.intent.follow_up), or None."""
        entry = next((e for e in self._tools if e.tool.name == name), None)
        if entry is None:
            return None
        utterance = Utterance.parse(text, self._corrector(text))
        arguments = carry_over(entry.tool, entry.params, entry.words, utterance, previous)
        if arguments is None:
            return None
        return IntentMatch(entry.tool, arguments, 1.0, example="(follow-up)")

    def match_any(self, hypotheses: Sequence[str]) -> tuple[IntentMatch, str] | None:
        """The first of ASR's hypotheses (best first) that clearly asks for a tool, and that hypothesis.

        The best one may be a near miss ("can't sell the timer") where a later one is right ("cancel the
        timer"); requests that need no tool rarely turn into one further down a 5-best list (none of 90).
        A destructive tool is only called from the best one: the words that name what it destroys must be
        what was heard, not a guess. Nor may a later one drop a verb of the best one that asks for
        something: "could you *read* back what I've written down" is no "could you *add* back ..."."""
        verbs = _actions(hypotheses[0]) if hypotheses else frozenset()
        for i, text in enumerate(hypotheses):
            if (match := self.match(text)) is not None and (
                i == 0 or not (is_destructive(match.tool) or verbs - _actions(text))
            ):
                return match, text
        return None


def _actions(text: str) -> frozenset[str]:
    """The verbs in `text` that ask for something ("read", "add", "cancel"), as their keys: in the form a
    request says them, not past or participle forms only a verb has ("got", "added"), which tell of a
    deed. "Robot go left." heard as "Bro got go left" was not taken from the beam, for a "get" it
    dropped (Flite, the engine's final pass, 2026-12-07)."""
    return frozenset(stem(t) for t in tokenize(text).norm if verb_lemma(t) == t) & ACTION_KEYS


_TYPED = topic.TYPED


def _evidence(entry: IndexedTool, utterance: Utterance, fill: Fill, heard: set[str]) -> bool:
    """A request says what it acts on or gives an argument, beyond a verb: a word of the tool's that is
    not a bare action ("timer", "notes", "time"), a typed value (a duration, a number, a choice, a place,
    a unit), the required free text ("buy milk"), or a question the tool's examples ask too ("what did I
    write down"). On/off alone is no evidence: "stop" is also "off". Words of idioms never count ("never
    mind the music" names no timer)."""
    named = {k for k, content in zip(utterance.keys, utterance.content, strict=True) if content}
    if (entry.anchors & heard & named) - ACTION_KEYS:
        return True
    for p in entry.params:
        if p.name in fill.arguments and (
            p.kind in _TYPED or (p.kind == "str" and (p.role != "text" or p.required))
        ):
            return True
    return _question(entry, utterance)


def _opener(utterance: Utterance) -> str:
    """The first word after the politeness ("can you", "please", "I need")."""
    return next((t for t, flag in zip(utterance.tokens.norm, utterance.polite, strict=True) if not flag), "")


def _question(entry: IndexedTool, utterance: Utterance) -> bool:
    """The request is a question ("what did I write down") and the tool's examples ask questions too."""
    return _opener(utterance) in QUESTION_WORDS and "?" in entry.openings
