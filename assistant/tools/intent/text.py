"""One spelling for everything the matcher compares: lower case, digits, expanded contractions.

Whisper writes "What's 12 × 7?", "5 p.m.", "30%"; people write "twelve times seven". Both must reach the
slot parsers and the similarity index as the same tokens, while free text keeps its original words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from assistant.tools.intent.numbers import NUMBER_RE, words_to_digits

STOPWORDS = frozenset(
    """a an the and or but if of to in on off at by for from with about into as is are was were be been am
    do does did done have has had it its this that these those there here what whats which who whom whose
    when where why how i me my mine we us our you your yours he him his she her they them their
    can could would will shall should may might must please just so now then ok okay hey hi well oh
    some any all very really quite also too not no yes up down out over again more most much many
    let lets tell give get got make go going want wanna need like know think say said""".split()
)
"""Words that say nothing about which tool is meant (they still count in similarity, with low weight)."""

FUNCTION_WORDS = frozenset(
    """what how when where who why which whose is are was do does did can could would will please hey ok
    okay so the a an i in at for to on of my me you it""".split()
)
"""Words that never start a request by themselves (unlike "take", "make", "set")."""

_SYNONYMS = {
    **dict.fromkeys(["delete", "remove", "erase", "clear", "wipe", "abort", "kill", "stop"], "cancel"),
    **dict.fromkeys(["show", "display"], "list"),
    **dict.fromkeys(["jot"], "write"),
    **dict.fromkeys(["begin"], "start"),
    **dict.fromkeys(["compute", "work", "figure"], "calculate"),
    "countdown": "timer",
    "which": "what",
}
"""Command verbs people use interchangeably, one key each: "remove my notes" finds "delete my notes".
What is cancelled or deleted (a timer, the notes) is in the other words. And one noun: a countdown is a
timer ("start a three minute countdown" names no timer "countdown"). And one question word: "which
timers" asks what "what timers" asks."""

_IRREGULAR = {"dice": "die", "feet": "foot", "people": "person", "children": "child", "men": "man",
              "women": "woman", "teeth": "tooth", "mice": "mouse"}  # fmt: skip
_POLITE_START = re.compile(
    r"^(?:(?:hey|ok|okay|so|um|uh|well|assistant|please|and|then|now|also)\s+)*"
    r"(?:(?:can|could|would|will) you (?:please )?|do you know |i (?:want|need|would like) (?:(?:you )?to )?"
    r"|please )?"
)
_POLITE_ANYWHERE = re.compile(
    r"\b(?:please|thanks|thank you|for me|right now|at the moment|currently|so far)\b"
)

_CONTRACTIONS = [
    (r"\b(what|that|it|there|who|how|where|here|he|she)'s\b", r"\1 is"),
    (r"\blet's\b", "let us"),
    (r"\bcan't\b", "can not"),
    (r"\bwon't\b", "will not"),
    (r"n't\b", " not"),
    (r"'re\b", " are"),
    (r"\bi'm\b", "i am"),
    (r"'ll\b", " will"),
    (r"'ve\b", " have"),
    (r"'d\b", " would"),
    (r"\bcount down\b", "countdown"),  # Whisper writes the noun as two words too
]
_SYMBOLS = [
    (r"\b([ap])\.\s?m\b\.?", r"\1m"),  # "p.m." / "p. m."
    (r"(\d)\s*([ap]m)\b", r"\1 \2"),  # "5pm"
    (r"\bo'?\s?clock\b", " oclock"),
    (r"(?<=\d),(?=\d{3}\b)", ""),  # 1,000,000
    (r"[$]\s?(\d+(?:\.\d+)?)", r"\1 dollars"),
    (r"[€]\s?(\d+(?:\.\d+)?)", r"\1 euros"),
    (r"[£]\s?(\d+(?:\.\d+)?)", r"\1 pounds"),
    (r"%", " percent "),
    (r"°\s?([cf])\b", lambda m: " degrees " + ("celsius" if m.group(1) == "c" else "fahrenheit")),
    (r"°", " degrees "),
    (r"\+", " plus "),
    (r"\^", " to the power of "),
    (r"−", " minus "),  # U+2212, the minus sign: "9−14" is not "9 14"
    (r"[×*]", " times "),
    (r"÷", " divided by "),
    (r"(\d)\s*/\s*(\d)", r"\1 divided by \2"),
    (r"(?<=\d)\s*-\s*(?=[a-z])", " "),  # "20-sided"
    (r"(?<=[a-z])-(?=[a-z0-9])", " "),  # "living-room", "twenty-five"
    (r"(?<=\d)\s+-\s+(?=\d)", " minus "),
    (  # "What is 9-14?": Whisper's way of writing "nine minus fourteen", asked as a sum
        r"\b((?:what|how much) is|calculate|compute|work out)\s+"
        r"(\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)+)(?=\s*(?:[?.!,]|$))",
        lambda m: f"{m.group(1)} {m.group(2).replace('-', ' minus ')}",
    ),
    (r"(?<=\d)x(?=\d)", " times "),
    (r"(?<![\d])\.|\.(?!\d)", " "),
    (r"(?<!\d):|:(?!\d)", " "),
    (r"[^\w\s'.:-]", " "),
    (r"(?<!\w)'|'(?!\w)", " "),
    (r"(?<![\s\d])-|-(?!\d)", " "),
]
_JOINED = {
    "workout": "work out", "setup": "set up", "lookup": "look up", "checkout": "check out",
    "shutdown": "shut down", "backup": "back up", "pickup": "pick up", "cleanup": "clean up",
    "warmup": "warm up", "signup": "sign up", "login": "log in", "logout": "log out", "readout": "read out",
}  # fmt: skip
_JOINED_VERB = re.compile(
    r"(^|\b(?:you|please|and|then|to|now|just)\s+)(" + "|".join(_JOINED) + r")"
    r"(?=\s+(?:(?:a|an|the|my|your|our|all|this|that|these|those|some|every|half|"
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety|hundred|thousand)\b|\d))",
    re.IGNORECASE,
)
"""A phrasal verb Whisper writes as its noun where a command opens ("Workout 17% of 300.", "Setup a timer
for five minutes."): the verb again, before a determiner or a number ("Workout plans are fun." stays)."""

_CONTRACTIONS_RE = [(re.compile(p, re.IGNORECASE), r) for p, r in _CONTRACTIONS]
_SYMBOLS_RE = [(re.compile(p, re.IGNORECASE), r) for p, r in _SYMBOLS]


@dataclass(frozen=True)
class Tokens:
    """The normalised tokens of one utterance and, for each, the words it was said with (original case)."""

    norm: tuple[str, ...]
    surface: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.norm)

    def text(self, indices: list[int] | range) -> str:
        return " ".join(self.surface[i] for i in indices)


def spelled_out(text: str) -> str:
    """`text` with its contractions spelled out ("What's" -> "What is", "isn't" -> "is not") and a
    phrasal verb written as its noun where a command opens made a verb again (`_JOINED_VERB`)."""
    text = _JOINED_VERB.sub(lambda m: m.group(1) + _JOINED[m.group(2).lower()], text.replace("’", "'"))
    for pattern, repl in _CONTRACTIONS_RE:
        text = pattern.sub(repl, text)
    return text


def tokenize(text: str) -> Tokens:
    text = spelled_out(text)
    for pattern, repl in _SYMBOLS_RE:
        text = pattern.sub(repl, text)
    words = text.split()
    lower = [w.lower() for w in words]
    norm: list[str] = []
    surface: list[str] = []
    for tok, i, j in words_to_digits(lower):
        norm.append(tok)
        surface.append(tok if NUMBER_RE.fullmatch(tok) else " ".join(words[i:j]))
    return Tokens(tuple(norm), tuple(surface))


def stem(word: str) -> str:
    """Plural and possessive endings ("timers"/"timer"), a verb's inflected forms that are nothing but a
    verb ("written", "turned": `verb_lemma`), which never merges unrelated words, and one key for
    interchangeable command verbs."""
    if word.endswith("'s"):
        word = word[:-2]
    if word in _IRREGULAR:
        word = _IRREGULAR[word]
    elif (lemma := verb_lemma(word)) != word:
        word = lemma
    elif len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return _SYNONYMS.get(word, word)


def word_forms(word: str) -> set[str]:
    """The word, its stem and its lemmas as any part of speech: "heating" -> {"heating", "heat"}."""
    word = word.lower().strip(".,;:!?\"'")
    return {word, stem(word), *(lemma for lemmas in readings(word).values() for lemma in lemmas)}


@lru_cache(maxsize=4096)
def readings(word: str) -> dict[str, tuple[str, ...]]:
    """The word's lemmas by part of speech ("VERB", "NOUN", "ADJ", ...), from LemmInflect's English
    lexicon (`getAllLemmas`); empty for a word it does not know."""
    from lemminflect import getAllLemmas

    return dict(getAllLemmas(word))


def verb_lemma(word: str) -> str:
    """The base form of a word that can only be an inflected verb ("written" -> "write", "got" -> "get",
    "dimmed" -> "dim"); any other word unchanged. A word with another reading keeps its form: "left" (a
    direction, not "leave"), "noted", "timing"."""
    parts = readings(word)
    verb = parts.get("VERB", ())
    return verb[0] if set(parts) == {"VERB"} and len(verb) == 1 else word


def polite(norm: tuple[str, ...]) -> list[bool]:
    """Which tokens are politeness and framing ("can you", "please", "do you know", "I need", "at the
    moment"): they say nothing about the tool. "I need a ten minute timer" asks as "set a timer" does: a
    want or need said to an assistant is a request (an indirect directive)."""
    text = " ".join(norm)
    flags = [False] * len(norm)
    spans = [m.span() for m in (_POLITE_START.match(text), *_POLITE_ANYWHERE.finditer(text)) if m]
    offset = 0
    for i, tok in enumerate(norm):
        flags[i] = any(a <= offset and offset + len(tok) <= b for a, b in spans if b > a)
        offset += len(tok) + 1
    return flags


def related(a: str, b: str) -> bool:
    """Same stem or a shared beginning of 4+ letters ("sided"/"sides", "percentage"/"percent")."""
    if a == b:
        return True
    n = min(len(a), len(b))
    return n >= 4 and a[:4] == b[:4] and (a.startswith(b[:-1]) or b.startswith(a[:-1]) or a[:n] == b[:n])


def content_words(text: str) -> list[str]:
    """Stems of the words that carry meaning (no stopwords, no numbers)."""
    return [stem(t) for t in tokenize(text).norm if t not in STOPWORDS and not NUMBER_RE.fullmatch(t)]


_PHONETIC = [
    (r"^kn|^gn|^pn", "n"), (r"^wr", "r"), (r"^wh", "w"), (r"^x", "s"), (r"ph", "f"), (r"ck", "k"),
    (r"c(?=[eiy])", "s"), (r"[cq]", "k"), (r"x", "ks"), (r"dg(?=[eiy])", "j"), (r"(?<=.)gh", ""),
    (r"b", "p"), (r"d", "t"), (r"g", "k"), (r"v", "f"), (r"z", "s"), (r"(?<=.)[aeiouyhw]+", ""),
    (r"(.)\1+", r"\1"),
]  # fmt: skip
_PHONETIC_RE = [(re.compile(p), r) for p, r in _PHONETIC]


def sound(word: str) -> str:
    """A rough sound key (consonants, voicing ignored): "gansel" and "cancel" are both "kansl" -> "knsl".

    Whisper mishears a word as another that sounds alike; comparing keys finds the word that was meant."""
    key = word.lower()
    for pattern, repl in _PHONETIC_RE:
        key = pattern.sub(repl, key)
    return key


def sound_index(names: Iterable[str]) -> dict[str, list[str]]:
    """Each name's sound key (`sound`, spaces left out) to the names that have it, for `sounds_like`."""
    index: dict[str, list[str]] = {}
    for name in sorted(set(names)):
        index.setdefault(sound(name.replace(" ", "")), []).append(name)
    return index


def sounds_like(heard: str, index: dict[str, list[str]], min_ratio: float = 0) -> str | None:
    """The one name of `index` (`sound_index`) that `heard`, a name nothing knows, sounds like: Whisper's
    "leaders" for liters, "pairs" for Paris. None for a key of fewer than three consonants ("here"), a
    key several names share ("pants": pints and pounds), or a name spelled less like it than `min_ratio`
    (rapidfuzz's ratio, 0-100)."""
    from rapidfuzz import fuzz

    key = sound(heard.replace(" ", ""))
    names = index.get(key, []) if len(key) >= 3 else []
    if len(names) != 1 or fuzz.ratio(heard, names[0]) < min_ratio:
        return None
    return names[0]
