"""Whether a transcript asks for anything at all: the gate in front of every tool call.

A request names an action and what it acts on ("cancel the timer", "delete my notes"), or gives an
argument ("in ten minutes", "buy milk"). Interjections, answers, thanks, hesitations and short commands
to the assistant itself ("stop", "wait", "never mind", "cancel that", "no thanks", "hmm, let me think")
are made only of closed-class words: function words, interjections, response particles, social formulas,
the verbs that stop or undo ("stop", "cancel", "delete"), and a few fixed phrases whose other words name
nothing ("hold on", "let me think", "wait a minute"). Such an utterance is no request: no tool runs, by
the fast path or by the LLM, which is not even offered the tools. Neither is a negative command ("don't
delete my notes").

A destructive tool (`@tool(destructive=True)`; by default every tool that asks for `confirm`) also needs
the request to name what it destroys: one of its object words ("notes" for `delete_notes`) in the user's
own words. "delete", "clear it" and "stop" never delete anything.

The word classes are those of English grammars (closed classes: pronouns, determiners, prepositions,
conjunctions, auxiliaries; interjections and response particles as in dialogue-act tagging, e.g. the
Switchboard DAMSL "backchannel", "acknowledge", "yes/no answer" and "thanking" acts).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from assistant.tools.intent.numbers import is_number
from assistant.tools.intent.text import stem, tokenize

if TYPE_CHECKING:
    from assistant.tools.declare import Tool

FUNCTION_WORDS = frozenset(
    """i me my mine myself you your yours yourself he him his she her hers it its itself we us our ours
    they them their theirs this that these those something anything everything nothing someone anyone
    everyone nobody somebody anybody everybody all none both each every some any other another one ones
    a an the about above across after against along among around at before behind below beside between
    by down during for from in inside into near of off on onto out over past since through to toward
    towards under until up upon with within without and but or nor so because if unless while whether
    than as am is are was were be been being do does did done doing have has had having will would shall
    should can could may might must not no never what which who whom whose when where why how here there
    now then just only even still yet too also very really quite much many more most less lot lots bit
    little again already else instead either neither ever gonna wanna gotta""".split()
)
"""Pronouns, determiners, prepositions, conjunctions, auxiliaries, negation, question words and degree or
time adverbs: they point at things, they never name one."""

INTERJECTIONS = frozenset(
    """ah aha ahem ahh aw aww argh bah boo eh er erm gee gosh ha hah haha hehe hey hm hmm hmmm huh mhm mm
    mmm oh ohh ooh oops ouch phew psst sh shh shush hush uh uhh um umm whoa wow yay yikes yo ugh oy meh
    hooray jeez lol wait""".split()
)
RESPONSES = frozenset(
    """yes yeah yep yup ya yea yah aye no nope nah naw okay ok okey kay alright right sure fine cool nice
    good great perfect awesome excellent wonderful lovely brilliant fantastic amazing super neat sweet
    exactly absolutely definitely indeed certainly totally true false correct wrong agreed understood
    noted gotcha maybe perhaps possibly probably whatever well so anyway anyways actually basically
    honestly seriously literally like interesting funny weird bad terrible awful""".split()
)
"""Yes/no answers, acknowledgements, evaluations and discourse markers ("well", "so", "actually")."""
SOCIAL = frozenset(
    """please thanks thank thankyou thx cheers sorry pardon bye goodbye byebye goodnight welcome congrats
    congratulations hello hi howdy greetings""".split()
)
STOPPING = frozenset(
    """stop wait cancel pause halt hold hang quiet silence enough forget skip scratch mute nevermind quit
    abort undo delete remove clear erase wipe drop kill end finish finished""".split()
)
"""Verbs that stop, drop or undo something: alone ("cancel that") they do not say what."""

ACKNOWLEDGEMENTS = (
    r"no matter|(?:it |that )?(?:does|do) not matter|let (?:me|us) (?:think|see)"
    r"|i (?:do not )?(?:know|think so|guess so|guess)|i mean|you know(?: what)?|i see|(?:got|get) it"
    r"|makes? sense|sounds? (?:good|great|fine|right|like a plan)|fair enough|of course|sure thing"
    r"|no (?:problem|problems|worries)|my bad|excuse me|(?:well|good|nice|great) (?:done|job|one|work)"
    r"|see you(?: later| soon| tomorrow)?|talk (?:to you )?later|good (?:night|morning|evening|afternoon)"
    r"|nice to meet you|go (?:on|ahead)|carry on|keep going|all set|(?:that|this) (?:will|would) do"
    r"|(?:talking|speaking) to (?:you|someone else|somebody else|myself)"
)
"""Answers, thanks, hesitations and farewells whose lexical words ("think", "sense", "problem") name
nothing."""
HOLDS = (
    r"never mind|shut up|be quiet|keep quiet|cut it out|knock it off"
    r"|(?:wait|hold on|hang on|just|give me|gimme|for) (?:a|1|one) (?:sec|second|moment|minute|bit|tick)"
    r"|(?:1|one) (?:sec|second|moment)"
    r"|(?:stop|quit|enough|no more|not) (?:talking|speaking|chatting|rambling|listening)"
)
"""Phrases that stop, hold or silence the assistant ("never mind", "just a second", "stop talking")."""
IDIOMS = re.compile(rf"\b(?:{ACKNOWLEDGEMENTS}|{HOLDS})\b")
"""Fixed phrases whose lexical words ("mind", "think", "minute") name nothing; on normalised tokens
(tokenize: "don't" is "do not", "one" is "1")."""

_SOUND = re.compile(r"(?:a+h+|o+h+|u+h+|u+m+|e+r+m*|h+m+|m+|m+h+m+|h+u+h+|s+h+)")
"""Drawn-out interjections as Whisper spells them: "mmm", "hmmm", "uhh", "shhh"."""
_NEGATIVE_START = ("do not", "dont", "never")
_DISCOURSE = INTERJECTIONS | RESPONSES | SOCIAL
CLOSED = FUNCTION_WORDS | _DISCOURSE | STOPPING
ACTION_KEYS = frozenset(stem(w) for w in STOPPING) | frozenset(
    stem(w)
    for w in """set start add make take write read list tell give turn switch put create check remind
    convert calculate open close save remember roll throw dim show do get""".split()
)
"""Verbs that ask for something but never say what (after `stem`: "remove" is "cancel")."""


def idiom_mask(norm: tuple[str, ...]) -> list[bool]:
    """Which tokens belong to a fixed discourse phrase ("never mind", "hold on a sec")."""
    text = " ".join(norm)
    spans = [m.span() for m in IDIOMS.finditer(text)]
    flags, offset = [], 0
    for tok in norm:
        flags.append(any(a <= offset and offset + len(tok) <= b for a, b in spans))
        offset += len(tok) + 1
    return flags


def discourse_mask(norm: tuple[str, ...]) -> list[bool]:
    """Tokens that are interjections, answers, thanks or parts of a discourse idiom: never a value."""
    idioms = idiom_mask(norm)
    return [idioms[i] or t in _DISCOURSE or bool(_SOUND.fullmatch(t)) for i, t in enumerate(norm)]


_TAGS = INTERJECTIONS | SOCIAL | frozenset("okay ok alright yes yeah yep no nope".split())


def tag_mask(norm: tuple[str, ...]) -> list[bool]:
    """Discourse tokens that may also close a sentence ("buy milk, okay?", "... thanks"); evaluations
    ("the pasta was good") end sentences with meaning, so they are not among them."""
    idioms = idiom_mask(norm)
    return [idioms[i] or t in _TAGS or bool(_SOUND.fullmatch(t)) for i, t in enumerate(norm)]


def content_mask(norm: tuple[str, ...]) -> list[bool]:
    """Tokens that can name a thing or give a value: not closed-class, not in an idiom (numbers are)."""
    idioms = idiom_mask(norm)
    return [
        not idioms[i] and (is_number(t) or (t not in CLOSED and not _SOUND.fullmatch(t)))
        for i, t in enumerate(norm)
    ]


def negative_command(norm: tuple[str, ...]) -> bool:
    """ "don't delete my notes", "no, never set timers": a request not to act (but "don't forget to ...")."""
    content, idioms = content_mask(norm), idiom_mask(norm)
    start = 0
    while start < len(norm) and norm[start] in _DISCOURSE:
        start += 1
    rest = " ".join(norm[start:])
    for neg in _NEGATIVE_START:
        end = start + len(neg.split())
        if rest.startswith(neg + " ") and not idioms[end - 1]:  # "never mind" negates nothing
            return norm[end] != "forget" and any(content[end:])
    return False


def thanks_for(norm: tuple[str, ...]) -> bool:
    """ "Thanks for the note.", "thank you for setting that timer": gratitude for what was done, which
    asks for nothing, whatever tool's words it holds (a request after it is a clause of its own)."""
    start = 0
    while (
        start < len(norm) and norm[start] in _DISCOURSE and norm[start] not in ("thanks", "thank", "cheers")
    ):
        start += 1
    said = norm[start : start + 3]
    return said[:2] in (("thanks", "for"), ("cheers", "for")) or said == ("thank", "you", "for")


def asks(norm: tuple[str, ...]) -> bool:
    """`is_request` on normalised tokens (`tokenize(text).norm`)."""
    return any(content_mask(norm)) and not negative_command(norm) and not thanks_for(norm)


_SENTENCES = re.compile(r"(?<=[.!?])\s+")


_CLAUSES = re.compile(r"(?<=[.!?,;])\s+")
"""A comma or semicolon with a space after it (not the one inside "1,500"), or a sentence end."""


def sentences(text: str) -> list[str]:
    """The transcript's sentences, as Whisper punctuated them (empty ones dropped)."""
    return [s for s in _SENTENCES.split(text.strip()) if s.strip()]


def clauses(text: str) -> list[str]:
    """The transcript's clauses: its sentences cut again at commas and semicolons (Whisper writes "Let's
    play a game, roll three dice" as often as two sentences)."""
    return [s for s in _CLAUSES.split(text.strip()) if s.strip(" ,;")]


_REPAIR = STOPPING | frozenset("no actually sorry oops never".split())
"""Words that open a repair of what was just said (Levelt 1983, "Monitoring and self-repair in speech",
Cognition 14): what follows one, when it asks for nothing and stops or drops, cancels what came before."""
_MARKER = re.compile(r"\b(?:no|actually|scratch|sorry|never ?mind)\b", re.IGNORECASE)
"""Words that open a repair without a pause before them ("ten minutes no wait cancel that"); "wait",
"cancel" and "forget" can be the request's own verbs ("then wait for me")."""


def retracted(text: str) -> bool:
    """Whether the request takes itself back at its end: from a clause on (after a comma or a full
    stop), or from a word of `_MARKER` on, the words open with a word of repair, ask for nothing, and
    stop or drop ("Set a timer for ten minutes. Actually, never mind.", "..., no wait, cancel that.",
    "... Hold on.", "call mom no wait cancel that"), so no tool runs. Not "Set a timer, then wait for
    me.", "..., no wait, the kitchen lights." (a repair that says something else), a closing "Thanks.",
    nor one clause alone ("Never mind.": a stop command, not a request taken back)."""
    starts = {m.end() for m in _CLAUSES.finditer(text)} | {m.start() for m in _MARKER.finditer(text)}
    for at in sorted(starts):
        head, tail = tokenize(text[:at]).norm, tokenize(text[at:]).norm
        if not head or not tail or tail[0] not in _REPAIR or asks(tail):
            continue
        if any(w in STOPPING for w in tail) or re.search(r"\bnever mind\b", " ".join(tail)):
            return True
    return False


def is_request(text: str) -> bool:
    """Whether a transcript could ask for a tool: some word names a thing or gives a value, and it is not
    a negative command. False for "stop", "never mind", "okay thanks", "cancel that", "hmm let me think",
    "don't delete my notes"; True for "stop the timer", "what time is it", "five minutes"."""
    return asks(tokenize(text).norm)


def object_words(tool: Tool) -> frozenset[str]:
    """Stems of the words that name what a tool acts on: `objects=`, else its name without the verb
    (`delete_notes` -> {"note"}, `order_pizza` -> {"pizza"})."""
    if tool.options.objects:
        return frozenset(stem(t) for w in tool.options.objects for t in tokenize(w).norm)
    words = tool.name.lower().split("_")
    if len(words) == 1:  # a bare verb ("wipe") names nothing; a bare noun ("paint") names itself
        key = stem(words[0])
        return frozenset() if key in ACTION_KEYS or words[0] in CLOSED else frozenset({key})
    return frozenset(stem(w) for w in words[1:] if w not in CLOSED)


def is_destructive(tool: Tool) -> bool:
    """`destructive=` as declared, else whether the tool asks for a spoken confirmation."""
    declared = tool.options.destructive
    return bool(tool.options.confirm) if declared is None else declared


def names_object(tool: Tool, text: str) -> bool:
    """Whether the user's own words name what the tool acts on ("delete my notes": yes; "delete", "clear
    it", "stop": no). Words as said, only plural and possessive endings dropped: no mishearing is guessed."""
    said = {stem(t) for t in tokenize(text).norm}
    return bool(object_words(tool) & said)


def refusal(tool: Tool, text: str, meant: str | None = None) -> str | None:
    """Why a call of `tool` for the user's words `text` must not run, or None when it may. `meant`: the
    words with "it" read as the thing named before ("What is the vacuum doing now?" for "What is it doing
    now?"), which may ask for a tool; a destructive tool's object must still be in `text`.

    For the LLM path: the reason goes back to the model as the call's error, so it can ask instead."""
    if not is_request(meant or text):
        return "not called: the user's words name nothing to act on (an interjection or a short command)"
    if is_destructive(tool) and not names_object(tool, text):
        what = " or ".join(sorted(object_words(tool)))
        return f"not called: it cannot be undone and the user did not name what it acts on ({what}); ask them"
    return None
