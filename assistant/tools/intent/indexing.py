"""A tool indexed for the fast path: the words that ask for it, its parameters, and its example phrasings
parsed by its own slot filler and masked ("remind me to <text> <dur>"), ready for `IntentMatcher` to
compare transcripts with. Built once per tool, when the matcher is made.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from assistant.tools.declare import Tool
from assistant.tools.intent import relative, topic
from assistant.tools.intent.gate import is_destructive, object_words
from assistant.tools.intent.numbers import is_number
from assistant.tools.intent.slots import Fill, Param, ToolWords, Utterance, fill_slots
from assistant.tools.intent.text import FUNCTION_WORDS, STOPWORDS, content_words, stem, tokenize

QUESTION_WORDS = frozenset("what how much many is are was do does did can could when where which who".split())
"""Words that open a question: a request opening with one is matched on the tool's questions."""
WEAK_EVIDENCE = {"<text>", "<dur>", "<time>", "<num>"}
"""Slots whose words ("minutes", "pm", anything in free text) do not show which tool is meant."""
STOPWORD_WEIGHT = 0.3
BIGRAM_WEIGHT = 0.5


@dataclass
class IndexedTool:
    """One tool as the matcher compares transcripts with it (`index_tool`; `examples` and the sets after
    it are filled in by `IntentMatcher`, which sees all the tools)."""

    tool: Tool
    params: list[Param]
    words: ToolWords
    anchors: frozenset[str]
    examples: list[tuple[str, dict[str, float]]] = field(default_factory=list)
    described: frozenset[str] = frozenset()
    """Words of the name and description that no example has: said, they are not held against the tool."""
    carriers: set[str] = field(default_factory=set)
    """The meaningful words (and slot kinds such as <unit>) that the examples say outside free text."""
    one_of: frozenset[str] = frozenset()
    """Optional parameters of which every example gives at least one (a reminder's `after` or `at`)."""
    openings: set[str] = field(default_factory=set)
    """How the examples start (a verb, a question, a slot): "the notes were long" starts like none."""
    grams: set[str] = field(default_factory=set)
    """Every feature of every example: how much of a request the tool's phrasings account for."""
    value_anchors: frozenset[str] = frozenset()
    """Words inside an expression-like value ("times", "divided") that show the tool is meant."""
    objects: frozenset[str] = frozenset()
    """A destructive tool's object words ("note"): one must be said, as heard (gate.names_object)."""
    actions: frozenset[str] = frozenset()
    """The words its examples start with ("cancel", "remind", "roll") and its name's first word: a
    request for it says one of them, or asks a question as its examples do."""
    amounts: relative.AmountHabits = field(default_factory=relative.AmountHabits)
    """Whether its examples say amounts as changes ("by", "more") or as values to set ("to", "for")."""
    foreign: frozenset[str] = frozenset()
    """Other tools' nouns that its own words never use ("timer" for `add_note`)."""
    verbs: frozenset[str] = frozenset()
    """Its actions that are verbs ("move", "turn"; not "timer"), less the words of its name after the
    first ("light", "note"): sharing only these, a request may be about something else."""


def masked_words(utterance: Utterance, fill: Fill, ignore: frozenset[str] = frozenset()) -> list[str]:
    """Carrier words as stems, each slot as one placeholder: "remind me to <text> <dur>". Politeness,
    interjections, thanks and idioms ("okay", "wait", "never mind") and the `ignore`d words are left out
    (not the evaluations and discourse markers: "how long is it like here" is no timer question)."""
    out: list[str] = []
    for tok, key, label, polite, tag in zip(
        utterance.tokens.norm, utterance.keys, fill.labels, utterance.polite, utterance.tags, strict=True
    ):
        word = label or ("<num>" if is_number(tok) else key)
        if ((polite or tag) and not label) or word in ignore:
            continue
        if not (label and out and out[-1] == word):
            out.append(word)
    return out


def opening(words: list[str]) -> str:
    """The first word, with every question word counted as one ("are any timers running" asks too)."""
    first = words[0] if words else ""
    return "?" if first in QUESTION_WORDS else first


def features(words: list[str]) -> Counter[str]:
    """Unigrams (small words count less) and bigrams, for word order: "time is it" is not "it is time"; the
    first word is paired with "^", since a request starts with its verb ("remind me to ..."), not its text."""
    grams: Counter[str] = Counter()
    for w in words:
        grams[w] += STOPWORD_WEIGHT if w in STOPWORDS else 1.0
    for a, b in zip(["^", *words], words, strict=False):
        grams[f"{a} {b}"] += BIGRAM_WEIGHT
    return grams


def index_tool(tool: Tool, params: list[Param]) -> tuple[IndexedTool, list[tuple[str, list[str]]]]:
    """The tool's words and its examples parsed by its own slot filler (masked, ready to index).

    The words that ask for the tool are learnt in two passes: first its name, description and the opening
    words of each example ("take a note ...", "how much is ..."); then also the words that two or more
    examples keep outside their slots. Values recurring in examples ("buy" in two notes) stay values."""
    name_words = frozenset(stem(w) for w in tool.name.lower().split("_"))
    openers = set()
    for example in tool.options.examples:
        words = [t for t in tokenize(example).norm if not is_number(t)]
        if words and words[0] not in FUNCTION_WORDS:
            openers.add(stem(words[0]))
        for word in words:
            if word not in QUESTION_WORDS:
                break
            openers.add(word)
    words = ToolWords(frozenset(name_words | set(content_words(tool.description)) | openers), name_words)
    phrasings = list(tool.options.examples) or [tool.name.replace("_", " ")]
    utterances = [(text, Utterance.parse(text)) for text in phrasings]
    kept: Counter[str] = Counter()
    for _, u in utterances:
        fill = fill_slots(u, params, words)
        kept.update({k for k, label in zip(u.keys, fill.labels, strict=True) if label is None})
    words = ToolWords(words.triggers | {w for w, c in kept.items() if c >= 2}, name_words)
    fills = [fill_slots(u, params, words) for _, u in utterances]
    words = _learn_shapes(words, params, fills)
    fills = [fill_slots(u, params, words) for _, u in utterances]
    masked = [(text, masked_words(u, fill)) for (text, u), fill in zip(utterances, fills, strict=True)]
    in_examples = {w for _, ws in masked for w in ws}
    # A destructive tool forgives no word: its description's "so the assistant asks first" must not make
    # "stop asking me about notes" a request to delete them.
    said_about = content_words(f"{tool.name.replace('_', ' ')} {tool.description}")
    described = frozenset() if is_destructive(tool) else frozenset(set(said_about) - in_examples)
    optional = {p.name for p in params if not p.required}
    given = [optional.intersection(f.arguments) for f in fills]
    one_of = frozenset(set().union(*given)) if len(given) >= 2 and all(given) else frozenset()
    entry = IndexedTool(
        tool, params, words, _anchors(tool, params), described=described,
        value_anchors=_value_anchors(words, params, fills), one_of=one_of,
        objects=object_words(tool) if is_destructive(tool) else frozenset(),
        actions=frozenset(openers - QUESTION_WORDS) | {stem(tool.name.lower().split("_")[0])},
    )  # fmt: skip
    entry.verbs = topic.verbs(tool, entry.actions)
    parsed = [(u, f) for (_, u), f in zip(utterances, fills, strict=True)]
    entry.amounts = relative.habits(parsed, relative.nouns(tool.name))
    return entry, masked


def _anchors(tool: Tool, params: list[Param]) -> frozenset[str]:
    """Meaningful words of the tool's name, description, examples and choices: a text sharing none of
    them is not compared at all (most tools, for most turns)."""
    texts = [tool.name.replace("_", " "), tool.description, *tool.options.examples]
    texts += [str(c) for p in params for c in p.choices]
    return frozenset(w for text in texts for w in content_words(text))


def _value_anchors(words: ToolWords, params: list[Param], fills: list[Fill]) -> frozenset[str]:
    """The words of expression-like example values and of their parameter's description."""
    out: set[str] = set()
    for p in params:
        if p.name in words.needs_digit:
            out |= {w for f in fills if p.name in f.text_values for w in content_words(f.text_values[p.name])}
            out |= p.keywords
    return frozenset(out)


def _learn_shapes(words: ToolWords, params: list[Param], fills: list[Fill]) -> ToolWords:
    """What the examples' values look like: a str parameter whose example values all hold a number (an
    arithmetic expression) must hold one; an optional one (a label) is a few words, not a sentence."""
    needs = set()
    longest: dict[str, int] = {}
    for p in params:
        if p.kind != "str" or p.role != "text":
            continue
        values = [f.text_values[p.name] for f in fills if p.name in f.text_values]
        if len(values) >= 2 and all(any(is_number(t) for t in tokenize(v).norm) for v in values):
            needs.add(p.name)
        if not p.required:
            longest[p.name] = max([3, *(2 * len(v.split()) for v in values)])
    return ToolWords(words.triggers, words.name_words, frozenset(needs), longest)
