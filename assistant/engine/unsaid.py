"""Values a model put into a tool call that nobody said: optional arguments it filled in on its own.

Offered a tool whose parameters are all optional, a small model fills every one of them. Qwen2.5-Coder
0.5B, asked "Switch the air conditioning to cool at 19 degrees." with a user's `set_thermostat(mode,
temperature, fan)`, called it with `fan="medium"`; asked "Set the thermostat to dry mode." it had
written `mode="off", temperature=0, fan="medium"` (newcomer's trial and probe of 2026-12-07). An optional
argument is optional because leaving it out keeps what is: the tool's default, the device's state. So an
optional number or choice that neither the user nor a tool's result ever said in this conversation is
left out of the call, and the call runs with the rest; a choice the model wrote in place of the one the
user said is the user's (`said_choices`). Required arguments stay the model's (the call
needs them; `ToolHost.said_numbers` checks a call the model was made to write). Free text (a note, a
place) is the model's wording of the user's: it is left out only when none of its words was ever said
(made to call a newcomer's `play_music(artist, genre)` for "Turn it down a little.", Qwen 0.5B wrote
`artist="The Beatles"`, probe of 2026-12-08).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from assistant.tools import Tool
from assistant.tools.intent.numbers import NUMBER_RE
from assistant.tools.intent.params import describe_params
from assistant.tools.intent.spans import find_durations
from assistant.tools.intent.text import STOPWORDS, tokenize, word_forms

_FRACTIONS = {"half": 0.5, "halfway": 0.5, "quarter": 0.25}
"""Words that say a fraction, as a share and as a percentage."""


class Said:
    """The numbers and word forms of some texts (what the user and the tools said)."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.numbers: set[float] = set()
        self.words: set[str] = set()
        for text in texts:
            norm = tokenize(text).norm
            for token in norm:
                if NUMBER_RE.fullmatch(token):
                    self.numbers.add(float(token))
                else:
                    self.words |= word_forms(token)
                if token in _FRACTIONS:  # "Open them halfway.": 50 (percent), 0.5
                    self.numbers |= {_FRACTIONS[token], _FRACTIONS[token] * 100}
            for span in find_durations(norm):  # "half an hour" says 30 (minutes), 0.5 (hours), 1800 (s)
                seconds = span.value.total_seconds()  # type: ignore[attr-defined]
                self.numbers |= {seconds, seconds / 60, seconds / 3600, seconds / 86400}

    def holds_choice(self, choice: str) -> bool:
        """Whether every word of `choice` ("living room", "heat") was said in some form ("heating" holds
        "heat": LemmInflect's verb lemma)."""
        words = [w for w in tokenize(choice).norm if not NUMBER_RE.fullmatch(w)]
        return bool(words) and all(word_forms(w) & self.words for w in words)


def unsaid_options(tool: Tool, arguments: dict[str, Any], said: Said) -> dict[str, Any]:
    """The optional arguments of a call of `tool` whose value is a number or a choice (an enum value)
    that `said` does not hold, or free text none of whose words (`STOPWORDS` aside) it holds in any form,
    by name: to be left out. Booleans and required arguments are never in it."""
    out: dict[str, Any] = {}
    for param in describe_params(tool.arguments):
        value = arguments.get(param.name)
        if param.required or value is None or isinstance(value, bool):
            continue
        if param.kind in ("int", "float") and isinstance(value, int | float):
            if float(value) not in said.numbers:
                out[param.name] = value
        elif param.kind == "enum" and isinstance(value, str) and value in param.choices:
            if not said.holds_choice(value):
                out[param.name] = value
        elif param.kind == "str" and isinstance(value, str):
            words = [w for w in tokenize(value).norm if w not in STOPWORDS and not NUMBER_RE.fullmatch(w)]
            if words and not any(word_forms(w) & said.words for w in words):
                out[param.name] = value
    return out


def made_up_text(tool: Tool, arguments: dict[str, Any], said: Said) -> str | None:
    """The first required free-text argument of a call of `tool` none of whose words (`STOPWORDS` aside)
    `said` holds in any form, by name, or None: what a message says, a note, an event's title must be
    the user's. Asked "Send a message to my mum.", Qwen 0.5B sent her "Hello, how are you?" (a
    newcomer's `send_text(contact, message)`, probe of 2026-12-08)."""
    for param in describe_params(tool.arguments):
        value = arguments.get(param.name)
        if param.required and param.kind == "str" and param.role == "text" and isinstance(value, str):
            words = [w for w in tokenize(value).norm if w not in STOPWORDS and not NUMBER_RE.fullmatch(w)]
            if words and not any(word_forms(w) & said.words for w in words):
                return param.name
    return None


def said_choices(tool: Tool, arguments: dict[str, Any], said: Said) -> dict[str, Any]:
    """The choices the user said in place of the model's, by parameter: where the model's choice is not
    in `said` (this turn's words) and exactly one other choice of that parameter is; and a `bool` named
    after a state that the words say the opposite of (`said_state`). Qwen 0.5B wrote
    `size="medium"` for "I'd like a large americano with an extra shot please" (newcomer's trial,
    2026-12-07); and a percentage named after a state (`percent_open`) when the words say the state or
    its opposite and no number: all of it or none ("Close the bedroom blinds." had been called with
    `percent_open=100`, probe of 2026-12-08)."""
    out: dict[str, Any] = {}
    for param in describe_params(tool.arguments):
        value = arguments.get(param.name)
        if param.kind == "bool" and isinstance(value, bool):
            meant = said_state(param.name, said)
            if meant is not None and meant != value:
                out[param.name] = meant
            continue
        if param.kind in ("int", "float") and isinstance(value, int | float) and "percent" in param.keywords:
            whole = said_state(param.name, said) if not said.numbers else None
            if whole is not None and float(value) != (100.0 if whole else 0.0):
                out[param.name] = 100 if whole else 0  # "Close the blinds.": not `percent_open=100`
            continue
        if param.kind != "enum" or not isinstance(value, str) or said.holds_choice(value):
            continue
        heard = [c for c in param.choices if isinstance(c, str) and said.holds_choice(c)]
        if len(heard) == 1:
            out[param.name] = heard[0]
    return out


OPPOSITES = {
    "open": ("close", "shut"),
    "on": ("off",),
    "lock": ("unlock",),
    "enable": ("disable",),
    "start": ("stop",),
    "play": ("pause", "stop"),
    "up": ("down",),
    "active": ("inactive",),
}
"""A state word and the words that say its opposite: a `bool` parameter named so (`open`, `is_on`,
`locked`) is true for the one and false for the others."""


def said_state(name: str, said: Said) -> bool | None:
    """What this turn's words (`said`) say of a `bool` parameter named after a state (`OPPOSITES`): True
    when they say the state and not its opposite, False for the opposite, None when they say neither or
    both, or the name is no state. Qwen 0.5B wrote `open=True` for "Close the garage door." and "Shut the
    garage." (a newcomer's `set_garage_door(open: bool)`, trial of 2026-12-08), and the door opened."""
    for part in name.lower().split("_"):
        forms = word_forms(part)
        state = next((s for s in OPPOSITES if s in forms), None)
        if state is None:
            continue
        yes = bool(word_forms(state) & said.words)
        no = any(word_forms(o) & said.words for o in OPPOSITES[state])
        return yes if yes != no else None
    return None


def says_the_opposite(name: str, said: Said) -> bool:
    """Whether a tool named `name` does the opposite of what the words (`said`) ask: its name says a
    state or its opposite (`OPPOSITES`: `oven_off`, `open_garage`) and the words say only the other one
    ("Turn the oven on to 180." is not `oven_off`'s)."""
    for part in name.lower().split("_"):
        forms = word_forms(part)
        for state, opposites in OPPOSITES.items():
            names_state = state in forms
            if not names_state and not forms & set(opposites):
                continue
            asked = said_state(state, said)
            return asked is not None and asked != names_state
    return False


_GENERIC_VERBS = frozenset("set get do make run use".split())
"""Verbs that open many tools' names and say no deed of their own (`set_reminder` reminds)."""


def takes_what_was_said(tool: Tool, text: str) -> bool:
    """Whether the user's own words `text` give `tool` something it takes: its verb (the first word of its
    description or of its name, `log_pool_maintenance`, but not a generic one: `set_reminder` reminds),
    one of its choices, a number for a number, a duration for a duration, or the state a `bool` is named
    after. "Turn it down a little." after "Play some jazz." gives `play_music` nothing (the jazz was named
    before): Qwen 0.5B, made to call it for its claim, had played other music."""
    said = Said([text])
    named = [w for w in tokenize(tool.name.replace("_", " ")).norm[:1] if w not in _GENERIC_VERBS]
    head = [*tokenize(tool.description).norm[:1], *named]
    if any(word_forms(w) & said.words for w in head):
        return True
    durations = bool(find_durations(tokenize(text).norm))
    for param in describe_params(tool.arguments):
        if param.kind == "enum" and any(isinstance(c, str) and said.holds_choice(c) for c in param.choices):
            return True
        if (param.kind in ("int", "float") and said.numbers) or (param.kind == "duration" and durations):
            return True
        if param.kind == "bool" and said_state(param.name, said) is not None:
            return True
    return False
