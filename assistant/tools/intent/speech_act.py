"""Whether the user is telling rather than asking: a statement gives the LLM no tool to call.

People tell a voice assistant things: "Feels like these days go on forever.", "I just got back from a
long walk.", "My sister is visiting next week." Such a statement shares words with tools ("days" with the
clock, "next week" with reminders), and Qwen2.5-Coder 0.5B, offered those tools, called them: the first
of these got current_time(timezone="Asia/Tokyo"), and every one cost a call written under a grammar
before the model answered in words (measured on two cores: 1.2-1.9 s idle, 9-19 s under a competing
load). The fast path is not affected: it acts only when its own match is confident.

A statement, here, is what dialogue-act tagging calls one (Switchboard DAMSL "statement-non-opinion" and
"statement-opinion", Jurafsky, Shriberg and Biasca 1997): every sentence is declarative: it opens with its
subject (a personal pronoun, a possessive, a demonstrative, existential "there", a dropped "it" before
"feels/sounds/seems/looks like", or a noun phrase that a finite verb follows: "the lights in here are too
bright") and does not end in a question mark, unless the mark ends a question tag ("..., aren't they?").
A command run on without its full stop ("that's a bit bright bring them down") makes it no statement. A
sentence with a request frame ("I need ...", "I'd like ...", "I want ...", "I was wondering ...",
"please", "remind me", "let's") asks for something, whatever its first word: "I need a twenty-five
minute timer, please" is a request.
"""

from __future__ import annotations

import re

from assistant.tools.intent.gate import INTERJECTIONS, RESPONSES, SOCIAL, asks, clauses
from assistant.tools.intent.text import readings, tokenize

SUBJECTS = frozenset("i we he she they it my our his her their this that these those there".split())
"""Words a declarative sentence opens with (its subject or the subject's determiner). "you" is not
among them: "you should remind me" is a request in a statement's clothes."""
DROPPED_SUBJECT = frozenset("feels sounds seems looks".split())
"""Verbs that open a statement whose "it" was dropped: "feels like rain"."""
REQUEST_FRAME = re.compile(
    r"\b(?:i|we) (?:really |just |also |still |would |will |do |kind of |sort of )?"
    r"(?:need|needs|want|wanna|have to|got to|gotta|wonder|was wondering|am wondering)\b"
    r"|\b(?:i|we) (?:really |just |also )?(?:would|should) (?:really |just )?(?:like|love)\b"
    r"|\b(?:please|remind me|let us|lets|can you|could you|would you|will you|tell me|show me)\b"
)
"""On normalised tokens (tokenize: "I'd like" is "i would like", "let's" is "let us"). "I'd love some
jazz" asks; "I love jazz" tells (Qwen 0.5B, let call a user's `play_music` for it, played jazz: newcomer's
probe of 2026-12-07)."""
FINITE = frozenset("is are was were will would has have had can could should shall may might must".split())
"""Auxiliaries, modals and the copula: a sentence with one of them after its subject makes a claim."""
WH_WORDS = frozenset("what which who whom whose when where why how".split())
"""The question words that open a content question."""
_ASKING = FINITE | WH_WORDS | frozenset("do does did you your".split())
_TAG = re.compile(
    r",\s*(?:(?:is|are|was|were|do|does|did|have|has|had|can|could|will|would|should)(?:n't|n’t| not)"
    r"\s+(?:it|they|he|she|we|there|that)|right)\s*\?\s*$",
    re.IGNORECASE,
)
"""A question tag after a statement ("Dice are older than writing, aren't they?"): it asks the listener
to agree, not to do anything (Switchboard DAMSL tags these "tag question", a kind of yes-no question
about the speaker's own claim). Not after "you": "you can set one, can't you?" asks the assistant."""
_OBJECTS = frozenset("it them up down off on".split())
_GO_WITH_VERBS = "to not never just always often usually sometimes also still really then only do did does"
_WITH_VERBS = FINITE | SUBJECTS | frozenset(_GO_WITH_VERBS.split())
_LEAD = INTERJECTIONS | RESPONSES | SOCIAL | frozenset("and but so then oh also".split())
COMMAND_LEAD = _LEAD | frozenset({"please", "just"})
"""What may come before an imperative's verb ("okay, please turn it off")."""
_SENTENCES = re.compile(r"(?<=[.!?;])\s+")
_PUNCTUATED = re.compile(r"\W*\w+\W*[,.!?;:—–-]")
"""A first word set apart by punctuation: "Cool, ...", "Okay! ..."."""
_NOT_ASKING = frozenset("i we he she they it you".split())
"""After a question word, a subject makes a clause, not a question ("how I spent the day", "what you
said"): "how far is that" asks."""
_INVERTED = frozenset(
    "is are was were do does did can could will would should shall may might have has".split()
)
_ASKED = frozenset("i we he she they it you there that this my your the a an".split())
_KNOWLEDGE = re.compile(
    r"^\W*(?:how (?:do|does|can|could|should|would) (?:i|you|we|people|one)\b|why\b"
    r"|what (?:is|are) (?:a|an)\b)|\bwork\W*$",
    re.IGNORECASE,
)


def is_question(text: str) -> bool:
    """Whether the transcript ends in a question mark (Whisper writes one for questions), or, written
    with no mark at its end at all ("and how far is that in miles", "who painted the Mona Lisa": four
    finals of one spoken pass of 2026-12-04), opens as one: a question word, or an auxiliary and then its
    subject ("is it", "can you"), after any "and", "so" or "well"."""
    text = text.rstrip()
    if text.endswith("?"):
        return True
    if not text or text[-1] in ".!;:…":
        return False
    norm = after_lead(list(tokenize(text).norm), _LEAD, text)
    if not norm:
        return False
    if norm[0] in WH_WORDS:
        return len(norm) > 1 and norm[1] not in _NOT_ASKING
    return norm[0] in _INVERTED and len(norm) > 1 and norm[1] in _ASKED


def is_statement(text: str) -> bool:
    """True when every sentence of `text` tells rather than asks (see the module's docstring): "It's
    raining again.", "My sister is visiting next week. She loves museums."; False for any question
    ("... Can I drive home?"), imperative ("Set a timer"), request frame ("I'd like a timer"), fragment
    ("five minutes") or empty text."""
    sentences = [s for s in _SENTENCES.split(text.strip()) if s.strip()]
    if not sentences:
        return False
    for sentence in sentences:
        sentence = _TAG.sub("", sentence)  # "..., aren't they?" only asks to be agreed with
        if is_question(sentence):
            return False
        norm = after_lead(list(tokenize(sentence).norm), _LEAD, sentence)
        if not norm or not (norm[0] in SUBJECTS | DROPPED_SUBJECT or _noun_subject(norm, sentence)):
            return False
        if REQUEST_FRAME.search(" ".join(norm)) or _runs_on(norm):
            return False
    return True


def _runs_on(norm: list[str]) -> bool:
    """A command run on after a remark without its full stop, as Whisper writes one said in one breath:
    "That's a bit bright bring them down to 40%". A verb's base form followed by "it", "them" or a
    particle, right after a word that describes ("bright", "loud", "too") rather than a subject, an
    auxiliary or an adverb that goes with a verb ("I just turn it off")."""
    for before, verb, after in zip(norm, norm[1:], norm[2:], strict=False):
        if after not in _OBJECTS or verb not in _base_verbs(verb) or before in _WITH_VERBS:
            continue
        if {"ADJ", "ADV"} & set(readings(before)):
            return True
    return False


def _noun_subject(norm: list[str], sentence: str) -> bool:
    """A declarative whose subject is a noun phrase: a finite verb ("are", "will", "has") follows words
    that neither ask (a question word, an auxiliary first, "you") nor command (a verb's base form first),
    and no clause of it commands: "The lights in this restaurant are too bright.", "Robots will take over
    the world.". Not "Dice the onions" (no finite verb), nor "The lights are on, turn them off"."""
    if norm[0] in _ASKING or _commands(norm):
        return False
    finite = any(word in FINITE for word in norm[1:])
    return finite and not any(opens_with_a_verb(c) for c in clauses(sentence))


def _base_verbs(word: str) -> tuple[str, ...]:
    return readings(word).get("VERB", ())


def opens_with_a_verb(sentence: str) -> bool:
    """Whether the sentence (after "okay", "so", "please" and the like) opens with a verb's base form, as
    an imperative does ("Go forward ten meters", "turn it off"). Parts of speech from LemmInflect's
    English lexicon (`getAllLemmas`): a word that can be a verb and is its own lemma."""
    norm = after_lead(list(tokenize(sentence).norm), COMMAND_LEAD, sentence)
    return bool(norm) and _commands(norm)


def after_lead(norm: list[str], lead: frozenset[str], text: str) -> list[str]:
    """The words after those that lead in ("okay", "so", "cool"), unless a lead word is the verb of a
    command on "it", "them", "up", "down" ...: "Cool it down to 18." commands (it had been taken for "Cool!"
    and a statement "it down to 18", newcomer's probe of 2026-12-07); not "Cool, it works." (`text`: the
    words as written) nor "Okay it is done."."""
    first = True
    while norm and norm[0] in lead:
        commands = len(norm) > 1 and norm[1] in _OBJECTS and norm[0] in _base_verbs(norm[0])
        if commands and not (first and _PUNCTUATED.match(text)) and not set(norm[2:3]) & FINITE:
            break
        norm.pop(0)
        first = False
    return norm


def _commands(norm: list[str]) -> bool:
    """The words open with a verb's base form ("Dice the onions"), not a noun that a finite verb follows
    ("Dice are older than writing")."""
    return norm[0] in _base_verbs(norm[0]) and not (len(norm) > 1 and norm[1] in FINITE)


def is_fragment(text: str) -> bool:
    """True when the words name something but ask nothing, tell nothing and command nothing: no question,
    no statement, no request frame and no sentence opening with a verb ("Seven of clubs.", "Five
    minutes.", "Pizza."); not "Thanks.", "Okay." or "Never mind." (`gate.asks`: they name nothing).
    Such words answer a question nobody asked; the assistant should ask what they are for."""
    said = [s for s in _SENTENCES.split(text.strip()) if s.strip()]
    if not said or is_question(text) or is_statement(text) or not asks(tokenize(text).norm):
        return False
    if any(REQUEST_FRAME.search(" ".join(tokenize(s).norm)) for s in said):
        return False
    return not any(opens_with_a_verb(s) for s in said)


def asks_for_knowledge(text: str) -> bool:
    """A question of how to, why, what a thing is or how it works ("How do weather forecasts work?",
    "What is an exchange rate?"): it asks for knowledge, whatever its topic."""
    return _KNOWLEDGE.search(text) is not None
