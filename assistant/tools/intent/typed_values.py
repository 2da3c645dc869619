"""Typed values in an utterance: durations and times (spans found once), a parameter's choices, on/off
switches, and numbers, each given to the parameter that its neighbouring words name ("20 sided" -> sides).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rapidfuzz import fuzz

from assistant.tools.intent.filling import Filler
from assistant.tools.intent.numbers import fmt, is_number
from assistant.tools.intent.params import Param
from assistant.tools.intent.spans import Span
from assistant.tools.intent.text import STOPWORDS, related, tokenize

ENUM_MIN_SCORE = 80.0
"""rapidfuzz ratio (0-100) for a spoken phrase to count as one of a parameter's choices."""
_ON = frozenset("on enable enabled activate start up".split())
_OFF = frozenset("off disable disabled deactivate stop out".split())
_NEGATION = frozenset("not no without never".split())
_SWITCH_NAMES = frozenset("on enabled enable active power state switch is_on turn_on".split())


_ENDINGS = ("s", "es", "ward", "wards")
"""A choice said with one of these after it is that choice: "backwards" is "back", "lefts" "left"."""


def _inflected(said: str, choice: str) -> bool:
    return said.startswith(choice) and said[len(choice) :] in _ENDINGS


class TypedValues(Filler):
    """Durations, times, choices, switches and numbers, taken before any free text."""

    def spans(self, spans: list[Span], label: str) -> Any:
        """The first span not taken yet: a reminder's `after` and a timer's `duration` alike."""
        for span in spans:
            if self.span_free(span):
                self.take(span.start, span.end, label)
                return span.value
        return None

    def choice(self, param: Param) -> Any:
        best: tuple[float, int, int, Any] | None = None
        n = len(self.norm)
        for value in param.choices:
            target = " ".join(tokenize(str(value)).norm)
            size = len(target.split())
            for width in {max(1, size - 1), size, size + 1}:
                for start in range(0, n - width + 1):
                    if not all(self.free(i) for i in range(start, start + width)):
                        continue
                    window = self.norm[start : start + width]
                    score = max(fuzz.ratio(" ".join(window), target), fuzz.ratio("".join(window), target))
                    if width == size and _inflected(" ".join(window), target):
                        score = max(score, ENUM_MIN_SCORE)
                    if score >= ENUM_MIN_SCORE and (
                        best is None or (score, width) > (best[0], best[2] - best[1])
                    ):
                        best = (score, start, start + width, value)
        if best is None:
            return None
        self.take(best[1], best[2], "<enum>")
        return best[3]

    def switch(self, param: Param) -> bool | None:
        if param.name.lower() in _SWITCH_NAMES or {"on", "off"} <= param.keywords:
            for i in reversed(range(len(self.norm))):
                if self.free(i) and (self.norm[i] in _ON or self.norm[i] in _OFF):
                    self.take(i, i + 1, "<bool>")
                    return self.norm[i] in _ON
            return None
        for i in range(len(self.norm)):
            if self.free(i) and self.u.keys[i] in param.keywords:
                negated = any(self.norm[k] in _NEGATION for k in range(max(0, i - 2), i))
                self.take(i, i + 1, "<bool>")
                return not negated
        return None

    def numbers(self, params: list[Param]) -> dict[str, Any]:
        """Numbers go to the parameter their neighbours name ("20 sided" -> sides), the rest in order."""
        candidates = [i for i, tok in enumerate(self.norm) if self.free(i) and is_number(tok)]
        scores: list[tuple[float, int, int]] = []
        for p_index, param in enumerate(params):
            for i in candidates:
                score = 0.0
                for offset, weight in ((1, 1.0), (2, 0.6), (-1, 0.5), (-2, 0.3)):
                    k = i + offset
                    if 0 <= k < len(self.norm) and self.free(k) and not is_number(self.norm[k]):
                        word = self.u.keys[k]
                        if word not in STOPWORDS and any(related(word, kw) for kw in param.keywords):
                            score += weight
                scores.append((score, p_index, i))
        pairs = [
            (p_index, i) for score, p_index, i in sorted(scores, key=lambda s: (-s[0], s[2])) if score > 0
        ]
        pairs += [(p_index, i) for p_index in range(len(params)) for i in candidates]  # then in order
        found: dict[str, Any] = {}
        for p_index, i in pairs:
            param = params[p_index]
            if param.name not in found and self.free(i) and _fits(param, self.norm[i]):
                found[param.name] = as_number(param, self.norm[i])
                self.take(i, i + 1, "<num>")
        return found


def _fits(param: Param, token: str) -> bool:
    return param.kind == "float" or float(token).is_integer()


def as_number(param: Param, token: str) -> int | float:
    value = float(token)
    return int(value) if param.kind == "int" else value


def iso_duration(value: timedelta) -> str:
    """ISO 8601, the JSON schema's spelling of a duration: 5400 s -> "PT1H30M"."""
    seconds = value.total_seconds()
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    out = "PT"
    if hours:
        out += f"{int(hours)}H"
    if minutes:
        out += f"{int(minutes)}M"
    if secs or out == "PT":
        out += f"{fmt(round(secs, 3))}S"
    return out
