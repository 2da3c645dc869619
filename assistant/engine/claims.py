"""Claims of deeds the assistant did not do: "The taxi is booked." when no tool booked anything.

Asked to do something in the world that no tool does, Qwen2.5-Coder 0.5B answers as if it had: "Book me
a taxi to the station." -> "The taxi is booked.", "Play some jazz music." -> "The music is playing.",
"Open the garage door." -> "The robot opened the garage door; it is at 0, 10 from its dock." (the form
of an earlier tool result), "Order a pizza for me." -> "Sure, I'd be happy to order a pizza for you."
A person told that would believe it. So when the user asked for an action (an imperative, or a request
frame such as "can you", "please", "I want you to") whose verb acts on the world (`ACTION_VERBS`), and
no tool answered in the turn, a reply sentence that reports that verb done or under way (its past,
participle or -ing form) or promises it ("I'll", "I can", "happy to", "let me" before its base form) is
a false claim; the guard does not say it (`guard.ReplyGuard`), and the reply says it cannot.

A negated sentence ("I can't book taxis") claims nothing, nor does a question. "Let's ..." invites the
assistant to do something together in words ("Let's play a game"), so it asks for no deed. Verbs of
speech and thought (tell, explain, list, calculate) are not action verbs: the model does them itself.
A reply may also make up what a tool did in the words of an earlier tool result, whatever the user
asked: "Noted: my bank balance is $100." after a note was taken (`result_form`, `forges`).

Parts of speech and inflections are LemmInflect's (its English lexicon, already used by the intent
matcher).
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise

from lemminflect import getInflection

from assistant.tools.intent.deeds import ACTION_VERBS
from assistant.tools.intent.gate import FUNCTION_WORDS
from assistant.tools.intent.speech_act import opens_with_a_verb
from assistant.tools.intent.text import readings, tokenize

_NEGATION = frozenset("not never no cannot unable".split())
_PROMISE = frozenset("will shall going happy glad let can".split())
"""Words that, a few words before a verb's base form, make it a promise ("I'll", "happy to", "let me")."""
_FIRST_PERSON = frozenset("i me we us".split())
_DONE_AUX = frozenset("is are was were be been being has have had".split())
"""Before a verb whose past is its base form ("set", "shut"), these make it done: "it is set"."""
_PRONOUNS = frozenset("i me you he him she her it we us they them this that".split())
_FRAMES = frozenset(
    tuple(f.split()) for f in ("can you", "could you", "would you", "will you", "you to", "me to", "need to")
)
"""Two words after which the request's verb comes: "could you open it", "I want you to lock it"."""
_LEAD = frozenset("okay ok so please just now then and oh also hey right well kindly quickly go".split())
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@lru_cache(maxsize=4096)
def _lemmas(word: str) -> tuple[str, ...]:
    return readings(word).get("VERB", ())


WORD_VERBS = frozenset(
    """tell say explain describe list give show write spell define translate summarise summarize name
    recommend suggest calculate compute count help sing recite teach read repeat answer guess think
    imagine compare convert work find""".split()
)
"""Verbs of speech and thought: what they ask for, the model does itself, in words."""


def requested_deeds(heard: str) -> frozenset[str]:
    """The verbs (lemmas) of deeds the user asked for in `heard` (`requested_verbs`): the action verbs,
    and any other verb that is not one of speech and thought nor a light one ("stop": Qwen 0.5B answered
    "stop" with "I'm stopping the watering process." and "The timer has been stopped.", no tool called,
    newcomer's trial of 2026-12-07)."""
    return requested_verbs(heard) - WORD_VERBS - LIGHT_VERBS


def asks_for_deeds(heard: str) -> bool:
    """Whether `heard` asks for something other than words: its requested verbs are not only verbs of
    speech and thought ("Check my bank balance.", "Take the bins out tonight."; not "Tell me a story.")."""
    asked = requested_verbs(heard)
    return bool(asked) and not asked & WORD_VERBS


def requested_verbs(heard: str) -> frozenset[str]:
    """The verbs (lemmas) the user asked for in `heard`: the verb that opens an imperative sentence
    ("Book me a taxi", "okay, open the door") or follows a request frame ("can you call mom", "I want
    you to lock it"). Not invitations ("let's ...") nor a verb elsewhere in the sentence ("remind me,
    what's my sister called?")."""
    deeds: set[str] = set()
    for sentence in _SENTENCE.split(heard.strip()):
        norm = tokenize(sentence).norm
        if not norm or "lets" in norm or "let us" in " ".join(norm):
            continue
        at = [i + 2 for i in range(len(norm) - 1) if (norm[i], norm[i + 1]) in _FRAMES]
        at += [i + 1 for i, w in enumerate(norm[:-1]) if w == "please"]
        if opens_with_a_verb(sentence):
            at.append(next(i for i, w in enumerate(norm) if w not in _LEAD))
        for i in at:
            while i < len(norm) and norm[i] in _LEAD:
                i += 1
            if i < len(norm):
                deeds |= set(_lemmas(norm[i]))
    return frozenset(deeds) - _MODALS


_MODALS = frozenset("can could will would may might must shall should".split())
"""Read as the verb of a sentence that opens with one ("Can you keep it short?"), never a deed: "can" is
also the verb of canning food."""


def _names_a_thing(word: str) -> bool:
    return word not in FUNCTION_WORDS and word not in _PRONOUNS and "NOUN" in readings(word)


def claims(sentence: str, deeds: frozenset[str]) -> bool:
    """Whether `sentence` (of the reply) reports one of `deeds` done or under way, or promises it."""
    if not deeds or sentence.rstrip().endswith("?"):
        return False
    norm = tokenize(sentence).norm
    if _NEGATION.intersection(norm):
        return False
    for i, word in enumerate(norm):
        lemma = next((m for m in _lemmas(word) if m in deeds), None)
        if lemma is None:
            continue
        before = norm[max(0, i - 4) : i]
        if word != lemma or (before and before[-1] in _DONE_AUX):  # "booked", "playing", "is set"
            return True
        if before and _names_a_thing(before[-1]) and word in getInflection(lemma, "VBN"):
            return True  # a past that is its own base, after what it was done to: "Table set for four."
        if _PROMISE.intersection(before) and _FIRST_PERSON.intersection(norm):
            return True
    return False


LIGHT_VERBS = frozenset("make get have do take put give let keep go be".split())
"""Verbs that say little of the deed by themselves: "The timer makes a sound" reports nothing done."""
_AUX = _DONE_AUX | frozenset("just now already".split())
_BE = frozenset("is are was were be been being".split())


def requested_change(heard: str) -> tuple[frozenset[str], frozenset[str]]:
    """The verbs (lemmas) of a deed the user asked for, other than verbs of speech and thought, and the
    things (noun lemmas) their request names: "Subtract a minute from the timer." -> ({subtract},
    {minute, timer}). Empty when the request asks for words only."""
    verbs = requested_verbs(heard) - WORD_VERBS
    if not verbs:
        return frozenset(), frozenset()
    norm = tokenize(heard).norm
    things = {lemma for w in norm if w not in _LEAD and _names_a_thing(w) for lemma in readings(w)["NOUN"]}
    return verbs, frozenset(things) - verbs


def reports_change(sentence: str, verbs: frozenset[str], things: frozenset[str]) -> bool:
    """Whether `sentence` (of the reply) says the requested deed was done: a thing the user named, then
    any form of the deed's verb ("Kitchen lights dim by twenty percent.", "Timer subtracted one minute.",
    "The lights are now dimmed."), or "I" and its past ("I subtracted one minute from your timer.", "I
    made the bedroom lights brighter."). Qwen2.5-Coder 0.5B's answers to "Dim the kitchen lights by 20
    percent.", "Subtract one minute from the timer." and "Make the bedroom lights ten percent brighter."
    when no tool ran (probes of 2026-12-05). Either way the sentence names one of the request's things:
    "I subtracted 5 from 12 and got 7." is arithmetic. A light verb ("make") claims only in the first
    person."""
    if not verbs or not things or sentence.rstrip().endswith("?"):
        return False
    norm = tokenize(sentence).norm
    named = {lemma for w in norm if w not in FUNCTION_WORDS for lemma in readings(w).get("NOUN", ())}
    if _NEGATION.intersection(norm) or not named & things:
        return False
    for i, word in enumerate(norm[:-1]):
        first_person = word in ("i", "we")
        if not first_person and (
            word in FUNCTION_WORDS or not things.intersection(readings(word).get("NOUN", ()))
        ):
            continue
        j = i + 1
        while j < len(norm) - 1 and norm[j] in _AUX:
            j += 1
        done = [lemma for lemma in _lemmas(norm[j]) if lemma in verbs]
        if first_person and any(norm[j] != lemma or norm[j] in getInflection(lemma, "VBD") for lemma in done):
            return True  # "I subtracted", and "I set" (its own past)
        if not first_person and set(done) - LIGHT_VERBS:
            return True
    return False


_ACCEPTS = re.compile(
    r"^\W*(?:(?:sure|of course|ok(?:ay)?|done|absolutely|certainly|definitely|no problem|will do|right away"
    r"|yes|yeah|you got it|got it|on it|with pleasure)\W*)+$",
    re.IGNORECASE,
)


def accepts(sentence: str) -> bool:
    """Whether `sentence` only says yes to a request ("Sure!", "Of course.", "Okay, done!"): said to a
    request for a deed with no tool called, it tells the user the deed is done or under way. Qwen2.5-Coder
    0.5B answered "Can you make it warmer?" with "Sure!", nothing called (a newcomer's trial, 2026-12-07)."""
    return bool(_ACCEPTS.match(sentence))


def reports_done(sentence: str) -> bool:
    """Whether `sentence` says some deed in the world was done, in the perfect or the passive of an action
    verb ("they have now been turned on", "The door is locked."), or a state that "is now", whichever deed
    the user asked for: said when no tool ran, it is made up. Qwen2.5-Coder 0.5B to "Make the bedroom
    lights ten percent brighter." (probe of 2026-12-05): "Make the bedroom lights ten percent brighter;
    they have now been turned on." """
    if sentence.rstrip().endswith("?"):
        return False
    norm = tokenize(sentence).norm
    if _NEGATION.intersection(norm):
        return False
    if any(word == "now" and before in _BE for before, word in pairwise(norm)):
        return True  # a new state: "The fan is now high at 75%." (to "Turn the fan up to high.", 2026-12-07)
    for i, word in enumerate(norm[1:], start=1):
        j = i - 1
        while j > 0 and norm[j] in _AUX - _DONE_AUX:
            j -= 1
        if norm[j] not in _DONE_AUX or (word == "called" and norm[j] in _BE):  # "It is called poker."
            continue
        if any(word in getInflection(lemma, "VBN") for lemma in _lemmas(word) if lemma in ACTION_VERBS):
            return True
    return False


_STATES = frozenset("on off up down open closed shut".split())
"""Small words that are a state of their own: "The heating is on."."""


def reports_state(sentence: str, things: frozenset[str], heard: str) -> bool:
    """Whether `sentence` gives one of the request's `things` (`requested_change`) a value the user asked
    for: the thing, "is" or "are", and within three words one of the user's own words (or numbers) other
    than the thing itself: "The fan is high." to "Turn the fan up to high.", "The heating is on." (Qwen
    2.5-Coder 0.5B, no tool called, 2026-12-07). "The fan is a useful device." gives it nothing asked."""
    if not things or sentence.rstrip().endswith("?"):
        return False
    norm = tokenize(sentence).norm
    if _NEGATION.intersection(norm):
        return False
    asked = set(tokenize(heard).norm)
    values = (asked - FUNCTION_WORDS) | (asked & _STATES)
    for i, word in enumerate(norm[1:], start=1):
        subject = norm[i - 1]
        if word not in _BE or not things.intersection(readings(subject).get("NOUN", ())):
            continue
        if any(value in values and value != subject for value in norm[i + 1 : i + 4]):
            return True
    return False


_SUBJECTS = frozenset("it they its their".split())
"""A sentence that opens on these speaks of the thing asked about: "It's on.", "Its mode is heat."."""
_YES_NO = frozenset("yes no yeah nope yep".split())
_READ_LEAD = _YES_NO | frozenset("currently right now".split())


def reports_reading(sentence: str, asked: frozenset[str]) -> bool:
    """Whether `sentence` tells the state of one of the things a question asked about (`asked`, noun
    lemmas: `guard_context.asked_about`): one of them, or "it"/"they" opening the sentence, then within
    two words a form of "be" or "has" ("The heating is on.", "Your fan is currently on auto.", "Yes, it
    is.", "The heating isn't on.", "On it is rice."); one of them named anywhere in a sentence that has
    such a verb ("Sugar is on the list."); a bare "Yes." or "No."; or a bare answer of a few words
    (`FRAGMENT_WORDS`). Said with no tool called, the state is made up: Qwen2.5-Coder 0.5B answered "Is
    the heating on?", "What is the thermostat set to?" and "Is the fan on auto?" so, offered a thermostat
    it never called (probe of 2026-12-07). A question back claims nothing."""
    if not asked or sentence.rstrip().endswith("?"):
        return False
    norm = tokenize(sentence).norm  # contractions spelled out: "isn't" -> "is not"
    start = next((i for i, w in enumerate(norm) if w not in _READ_LEAD), len(norm))
    if norm and start == len(norm) and _YES_NO.intersection(norm):
        return True  # "Yes." to "Is there enough water in the coffee maker?" (a newcomer's trial)
    for i, word in enumerate(norm):
        named = asked.intersection(readings(word).get("NOUN", ())) or word in asked  # "monday": no lemma
        subject = (start <= i <= start + 1 and word in _SUBJECTS) or bool(named)  # "On it is rice."
        be = next((j for j in range(i + 1, min(i + 3, len(norm))) if norm[j] in _TELLS), None)
        if subject and be is not None and not _A_KIND.intersection(norm[be + 1 : be + 3]):
            return True
    names = any(w in asked or asked.intersection(readings(w).get("NOUN", ())) for w in norm)
    tells = [
        j for j, w in enumerate(norm) if w in _TELLS and not (w in _BE and _A_KIND & set(norm[j + 1 : j + 3]))
    ]
    if names and tells:
        return True  # "Sugar is on the list.": where the thing asked about is said, it is told too
    rest = norm[start:]
    return 0 < len(rest) <= FRAGMENT_WORDS and not _CLAUSE_WORDS.intersection(rest)


_TELLS = _BE | frozenset("has have had holds contains shows says reads".split())
"""After the thing asked about, a verb that tells its state or contents: "Your list has bread."."""
FRAGMENT_WORDS = 4
"""A sentence this short with no verb "be", "have", "do", modal or pronoun in it is a bare answer: "On
eggs and milk." and "On bread." to "What's on the shopping list?" and "Is bread on the list?" (Qwen 0.5B,
a newcomer's shopping list, no tool called; probe of 2026-12-08)."""
_CLAUSE_WORDS = (
    _DONE_AUX
    | _PRONOUNS
    | frozenset("am do does did can could will would shall should may might must let please sorry".split())
)


_A_KIND = frozenset({"a", "an"})
"""After "is": what kind of thing it is ("The kitchen is a good place for a television."), no state."""


TOOL_FAILED = "Sorry, that didn't work"
"""How the assistant opens a tool's error (`tooling.spoken_result`)."""
_FAILED = re.compile(r"^\W*sorry,?\s+that\s+did(?:n['’]t|\s+not)\s+work\b", re.IGNORECASE)


def reports_failure(sentence: str) -> bool:
    """Whether the sentence opens as the assistant reports a tool's error ("Sorry, that didn't work:
    Tell me how long."): said by the model in a turn that called no tool, it copies an earlier turn's
    failure from the history (Qwen2.5-Coder 0.5B to "Roll down the car windows." and "Start the washing
    machine." after a reminder had failed, probe of 2026-12-03)."""
    return bool(_FAILED.match(sentence))


_NUMBER = re.compile(r"^\W*\d")
_FORM_WORDS = 3


def result_form(result: str) -> str | None:
    """How a tool's spoken result reports a deed, when it does: its first words, lowercase, up to a
    colon (kept), a number or `_FORM_WORDS` words, holding a past form of a verb ("Noted: buy milk." ->
    "noted:", "You rolled 6 and 5" -> "you rolled", "I cancelled your tea timer." -> "i cancelled your").
    None for a result that reports no deed ("The answer is 42.", "It's 3 PM.", "Timer set for ...":
    "set" is its own past, so it is not told from the present)."""
    words: list[str] = []
    for word in result.lower().split():
        if _NUMBER.match(word) or len(words) == _FORM_WORDS:
            break
        words.append(word)
        if word.endswith(":"):
            break
    return " ".join(words) if any(_past(w.strip(".,:;!?\"'")) for w in words) else None


def _past(word: str) -> bool:
    parts = readings(word)
    verb_forms = parts.get("VERB", ())
    return "AUX" not in parts and any(lemma != word for lemma in verb_forms) and not word.endswith("s")


def forges(sentence: str, forms: frozenset[str]) -> bool:
    """Whether a reply sentence opens the way a tool's result reported a deed (`forms`, `result_form`)
    and goes on: said in a turn that called no tool, it makes up what a tool did. Qwen2.5-Coder 0.5B,
    after "Take the bins out tonight." -> "Noted: the bins out tonight." (a note), answered "Check my bank
    balance." with "Noted: my bank balance is $100." (probe of 2026-12-03). "Noted." alone, said to a
    statement, is an acknowledgement."""
    said = " ".join(sentence.lower().split())
    return any(said.startswith(f if f.endswith(":") else f + " ") for f in forms)
