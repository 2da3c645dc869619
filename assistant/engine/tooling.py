"""A conversation's tools: which are offered, the fast path, running calls, and pending confirmations.

The toolbox (tools and the intent index) is loaded once per process and shared; each conversation gets
its own ToolHost with its context, its timers and its pending confirmation.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import re
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.config import Config, ToolsConfig
from assistant.engine.claims import TOOL_FAILED
from assistant.engine.commands import is_stop_command
from assistant.engine.endpointing import spoken_words
from assistant.engine.referent import kinds_of
from assistant.engine.take_back import takes_back
from assistant.engine.unsaid import Said
from assistant.llm.catalog import BUNDLED
from assistant.llm.untrusted import speakable
from assistant.tools import Tool, ToolCall, ToolContext, ToolRegistry, load_entry_points, load_spec, run_call
from assistant.tools.calls import in_own_thread
from assistant.tools.context import Undo
from assistant.tools.intent.gate import content_mask, is_destructive, is_request, refusal, retracted
from assistant.tools.intent.numbers import NUMBER_RE
from assistant.tools.intent.places import named_places, refers_to_a_place
from assistant.tools.intent.speech_act import is_statement
from assistant.tools.intent.text import STOPWORDS, content_words, stem, tokenize
from assistant.tools.scheduler import Scheduler

_ISO_DURATION = re.compile(r"P(?:\d+(?:\.\d+)?[YMWD])*(?:T(?:\d+(?:\.\d+)?[HMS])+)?", re.IGNORECASE)

if TYPE_CHECKING:
    from assistant.tools.intent import IntentMatch, IntentMatcher

_YES = re.compile(
    r"^(yes|yeah|yep|yup|sure|ok|okay|please do|do it|go ahead|confirm|confirmed|absolutely|of course|"
    r"correct|that's right|definitely|certainly)\b"
)
_NO = re.compile(r"\b(no|nope|don't|do not|not|cancel|never mind|nevermind|stop|wait)\b")


def is_yes(text: str, about: Tool | None = None) -> bool:
    """A spoken approval of `about`: it starts with one ("yes", "sure", "go ahead"), has no "no", "don't",
    "wait" or "stop" in it, and says nothing but the approval, small words and the request again ("yes,
    delete all my notes"). "Yeah, I was thinking about dinner" approves nothing: a new topic drops the
    question."""
    phrase = " ".join(spoken_words(text))
    if not _YES.match(phrase) or _NO.search(phrase) or is_stop_command(text):
        return False
    norm = tokenize(text).norm
    said = {stem(t) for t, content in zip(norm, content_mask(norm), strict=True) if content}
    said -= STOPWORDS
    if about is not None:
        said -= set(content_words(" ".join([about.name.replace("_", " "), about.description,
                                            *about.options.examples])))  # fmt: skip
    return not said


def is_no(text: str) -> bool:
    """A refusal: it starts with "no", "don't", "cancel", "stop" ..., or asks for nothing and holds one
    ("uh, no", "please don't", "oh, never mind"), or is a stop command ("be quiet", "forget it")."""
    phrase = " ".join(spoken_words(text))
    if _NO.match(phrase) or is_stop_command(text):
        return True
    return bool(_NO.search(phrase)) and not is_request(text)


@dataclass
class Toolbox:
    registry: ToolRegistry
    matcher: IntentMatcher | None


_TOOLBOXES: dict[tuple[Any, ...], Toolbox] = {}


def toolbox_for(cfg: ToolsConfig) -> Toolbox:
    """Load the configured tools once per process; a broken tools file raises ToolLoadError at start."""
    key = (cfg.builtin, tuple(cfg.load), cfg.entry_points, cfg.intent, cfg.intent_threshold)
    if key not in _TOOLBOXES:
        registry = ToolRegistry()
        if cfg.builtin:
            from assistant.tools.builtin import BUILTIN_TOOLS

            for fn in BUILTIN_TOOLS:
                registry.add(fn)
        for spec in cfg.load:
            for t in load_spec(spec):
                registry.add(t)
        if cfg.entry_points:
            for t in load_entry_points():
                registry.add(t)
        matcher = None
        if cfg.intent and len(registry):
            from assistant.tools.intent import IntentMatcher

            intent_tools = [t for t in registry if t.options.intent]
            matcher = (
                IntentMatcher(intent_tools, cfg.intent_threshold)
                if cfg.intent_threshold is not None
                else IntentMatcher(intent_tools)
            )
        _TOOLBOXES[key] = Toolbox(registry, matcher)
    return _TOOLBOXES[key]


TOO_SMALL_FOR_TOOLS = {f"bundled:{m.name}" for m in BUNDLED.values() if not m.offer_tools}
"""Models that call tools at random when offered them (measured: scripts/bench_llm.py): the bundled
Gemma 270M base model and SmolLM2 135M."""


def tool_says_results(cfg: Config) -> bool:
    """Whether a call the LLM made is answered in the tool's own sentence (`tools.results`)."""
    if cfg.tools.results == "auto":
        return cfg.llm.model.startswith("bundled:")
    return cfg.tools.results == "tool"


def offers_tools(cfg: Config) -> bool:
    """Whether the LLM is offered the tools: `tools.llm_calls`, where `auto` spares the tiny models."""
    if cfg.tools.llm_calls == "auto":
        return cfg.llm.model not in TOO_SMALL_FOR_TOOLS
    return bool(cfg.tools.llm_calls)


PLACES_KEPT = 5
FOLLOW_UP_WINDOW_S = 90.0
"""How long after a call a turn may continue it ("and how about Los Angeles?"): a person follows up on
the answer they just heard, not on one from minutes ago."""


@dataclass
class PendingConfirmation:
    tool: Tool
    call: ToolCall
    request: str = ""
    """The user's words that led to the question: a yes runs the call only if they named its object."""


class ToolHost:
    """What one conversation knows about tools; `close()` cancels its timers."""

    def __init__(
        self,
        cfg: ToolsConfig,
        toolbox: Toolbox,
        session_id: str,
        announce: Callable[[str], None],
        spawn: Callable[[Coroutine[Any, Any, Any], str], asyncio.Task[Any]],
        offer_to_llm: bool,
        says_results: bool = False,
    ) -> None:
        self.cfg = cfg
        self.registry = toolbox.registry
        self.matcher = toolbox.matcher
        self.vocabulary = toolbox.matcher.spoken_vocabulary if toolbox.matcher is not None else ""
        """The tools' words for ASR's second look (`assistant.asr.biasing`)."""
        self.scheduler = Scheduler(announce)
        self.context = ToolContext(
            session_id, Path(cfg.data_dir).expanduser(), cfg.timezone, announce, self.scheduler
        )
        self.pending: PendingConfirmation | None = None
        self._last: tuple[ToolCall, float] | None = None
        """The last call that answered, and when: what a follow-up continues."""
        self._undo: tuple[Undo, ToolCall, float] | None = None
        """How to take back the last call's deed, if it said (`ToolContext.undoable`), and when it ran."""
        self._places: list[str] = []
        """Places the user named, oldest first: what "there" refers to."""
        self._spawn = spawn
        self._offer = offer_to_llm and len(self.registry) > 0
        self.says_results = says_results
        """A call the LLM made is answered in the tool's own sentence (`tool_says_results`)."""

    @functools.cached_property
    def kinds(self) -> dict[str, str]:
        """What each one-word choice of a tool is a kind of (`referent.kinds_of`)."""
        return kinds_of(self.registry)

    def llm_tools(self) -> list[Tool]:
        """The tools in the LLM's prompt: all of them, for every turn, so that the prompt's long prefix
        (Qwen's tool descriptions, ~1,000 tokens) stays cached. Dropping them for a "Thank you!" made the
        model evaluate the system prompt and the whole conversation again twice: for that turn and for
        the next question (19-30 s to its first token measured on two cores). What a turn may call is
        `callable`."""
        return list(self.registry) if self._offer else []

    def callable(self, text: str) -> set[str] | None:
        """The tools the LLM may call for this request (None: any): none when the words ask for nothing
        ("stop", "never mind", "okay thanks": tools/intent/gate.py); else those that share a meaningful
        word with it, and those the fast path does not index. "Good morning" mentions none, "the kitchen
        is a mess" only set_lights: Qwen 0.5B, offered every tool, called current_time for both (13 of the
        30 no-tool requests of intents.yaml got a call; 3 with this rule, measured on its recorded calls).
        Without the fast path's index, any. A statement ("my sister is visiting next week",
        tools/intent/speech_act.py) may call none either: it tells, it does not ask. Nor may a tool that
        shares only a verb with words that name something else (`IntentMatch.elsewhere`): Qwen 0.5B set
        the lights to 22 % for "Turn the heating up to twenty two degrees" and moved the robot for "Move
        my dentist appointment to Friday"; of 592 utterances in the project's sets this rule took 103 such
        tools from their candidates and the right tool from none."""
        if not is_request(text) or is_statement(text) or retracted(text):
            return set()
        if self.matcher is None:
            return None
        unindexed = {t.name for t in self.registry if not t.options.intent}
        found = self.matcher.candidates(text, strict=False)
        return unindexed | {c.tool.name for c in found if not c.elsewhere}

    def refused_change(self, text: str) -> tuple[Tool, str] | None:
        """The tool `text` asks to change by an amount when it can only set one, and that parameter
        (`IntentMatcher.refused_change`); None without the fast path's index."""
        return self.matcher.refused_change(text) if self.matcher is not None else None

    def about_it(self, name: str, text: str) -> bool:
        """Whether `text` names only what the tool `name` acts on (`IntentMatcher.about_it_only`); True
        for a tool the fast path does not index, and without its index."""
        return self.matcher is None or self.matcher.about_it_only(name, text)

    def about_other_things(self, name: str, text: str) -> bool:
        """Whether `text` asks about other things than the tool `name`'s, sharing only its choices
        (`IntentMatcher.about_other_things`); False without the fast path's index."""
        return self.matcher is not None and self.matcher.about_other_things(name, text)

    def may_call(self, name: str, text: str) -> bool:
        allowed = self.callable(text)
        return allowed is None or name in allowed

    def refusal(self, tool: Tool, text: str, meant: str | None = None) -> str | None:
        """Why the LLM's call of `tool` must not run for the user's words `text` (a non-request, or a
        destructive tool whose object they did not name; `meant`: `gate.refusal`), or None."""
        return refusal(tool, text, meant)

    def asks_for_more(self, text: str) -> bool:
        """The words clearly ask for a tool but leave out what it needs: "Take a note.", "Set a timer."
        (Whisper's full stop after "Take a note:", said before a pause). More is likely to follow, so the
        turn waits as after an unfinished phrase; said alone, the request is answered after that wait."""
        if self.matcher is None:
            return False
        found = self.matcher.candidates(text)
        return bool(found) and bool(found[0].missing) and found[0].confidence >= self.matcher.threshold

    def for_the_model(self, text: str, misread: Tool | None = None) -> str | None:
        """The tool the words clearly ask for when the fast path could not read them: a required argument
        is missing, or the tool could not read one (`misread`), and some words are neither the tools' nor
        English ("Convert 70 degrees Fahrenheit dysolsias.": Whisper's "to Celsius"; "kill umpers" for
        "kilometres"). The model writes that call (`required`): offered the tools, Qwen 0.5B had answered
        both in words with made-up figures ("... is 14.2 degrees Celsius.", "10 kill umpers is 84
        miles."); made to call, it wrote "degrees Celsius" and "kilometers". None when the words hold
        nothing unread ("Set a timer.": the model would make the duration up; "How many kilometres is a
        marathon?": no unit, a question for the model), and for a destructive tool or one that asks
        first: their arguments are never a guess."""
        if self.matcher is None:
            return None
        tool = misread
        if tool is None:
            found = self.matcher.candidates(text)
            if not found or not found[0].missing or found[0].confidence < self.matcher.threshold:
                return None
            tool = found[0].tool
        if tool.options.confirm or is_destructive(tool) or not self.matcher.unread(text):
            return None
        return tool.name

    @staticmethod
    def said_numbers(arguments: dict[str, Any], text: str) -> bool:
        """Whether every number in a call's arguments (a count, a value, the parts of an ISO duration)
        is one the user said in `text`: a call the model was made to write (`for_the_model`) must not
        carry a number it made up ("Set a timer for the lasagna in the ovven." has no duration)."""
        said = Said([text]).numbers  # "half an hour" says 30
        for value in arguments.values():
            if isinstance(value, bool):
                continue
            if isinstance(value, int | float):
                numbers = [float(value)]
            elif isinstance(value, str) and _ISO_DURATION.fullmatch(value):
                numbers = [float(n) for n in NUMBER_RE.findall(value)]
            else:
                continue
            if not set(numbers) <= said:
                return False
        return True

    @property
    def second_look(self) -> Callable[[str], bool] | None:
        """For ASR: which final transcripts deserve the beam's alternatives (near misses of a tool)."""
        return self.matcher.near_miss if self.matcher is not None else None

    def match(self, text: str, alternatives: Sequence[str] = ()) -> tuple[IntentMatch, str] | None:
        """The tool the best hypothesis asks for, else the first other hypothesis that clearly asks for
        one (ASR's near misses: "can't sell the timer"), with the words it matched. A place the request
        leaves out but points to ("what's the time over there?") is the one the user named last
        (assistant.tools.intent.places); every turn's named places are remembered for that."""
        found = self.matcher.match_any([text, *alternatives]) if self.matcher is not None else None
        if found is not None and self._places and refers_to_a_place(found[1]):
            place = self.matcher.place_param(found[0].tool.name) if self.matcher is not None else None
            if place is not None and place not in found[0].arguments:
                arguments = {**found[0].arguments, place: self._places[-1]}
                found = (replace(found[0], arguments=arguments, recalled=(place,)), found[1])
        for named in named_places(text):
            kept = [p for p in self._places if p != named]
            self._places = [*kept[-(PLACES_KEPT - 1) :], named]
        return found

    def follow_up(self, text: str) -> IntentMatch | None:
        """The last call again with what `text` changes, when it continues that call ("and what about
        thirty pounds?", assistant.tools.intent.follow_up) within FOLLOW_UP_WINDOW_S; a statement ("it
        took me twenty minutes") continues nothing."""
        if self.matcher is None or self._last is None or is_statement(text):
            return None
        call, at = self._last
        if time.monotonic() - at > FOLLOW_UP_WINDOW_S:
            return None
        return self.matcher.follow_up(text, call.name, call.arguments)

    async def run(self, tool: Tool, call: ToolCall) -> ToolCall:
        """Run a call; one that must not be cut short by a barge-in is owned by the conversation. Each
        call gets its own copy of the context, so that what it makes `undoable` is its own."""
        context = replace(self.context, undo=None)
        if tool.options.cancel_on_interrupt:
            try:
                done = await run_call(tool, call, context)
            except asyncio.CancelledError:
                call.error = "cancelled: the user interrupted"
                raise
        else:
            task = self._spawn(run_call(tool, call, context), f"tool-{tool.name}")
            done = await asyncio.shield(task)
        if done.error is None:
            self._last = (done, time.monotonic())
            self._undo = None if context.undo is None else (context.undo, done, time.monotonic())
        return done

    def can_take_back(self, text: str) -> bool:
        """Whether `text` takes back ("cancel that", `take_back.takes_back`) a deed done within
        FOLLOW_UP_WINDOW_S that its tool can undo."""
        return (
            self._undo is not None
            and time.monotonic() - self._undo[2] <= FOLLOW_UP_WINDOW_S
            and takes_back(text)
        )

    async def take_back(self) -> ToolCall | None:
        """Undo the last deed (once); the record is its call's name and arguments with `undo` set, and the
        undo's words as its result, or what it raised as the error."""
        if self._undo is None:
            return None
        undo, deed, _ = self._undo
        self._undo = None
        record = ToolCall(deed.name, deed.arguments, via="intent", extra={"undo": True})
        t0 = time.perf_counter()
        try:
            if inspect.iscoroutinefunction(undo):
                said = await undo()
            else:
                said = await in_own_thread(undo, {}, deed.name)
            record.result = str(await said if inspect.isawaitable(said) else said)
        except Exception as exc:  # a tool's fault is said, as a call's is (`run_call`)
            record.error = f"{type(exc).__name__}: {exc}"
        finally:
            record.ms, record.finished = (time.perf_counter() - t0) * 1000, True
        return record

    def close(self) -> None:
        self.scheduler.close()


def confirmation_question(tool: Tool, call: ToolCall) -> str:
    """`confirm="..."` is the question itself (formatted with the arguments); else one from the docstring."""
    option = tool.options.confirm
    if isinstance(option, str):
        return option.format(**call.arguments)
    action = re.split(r"[;:,.]", tool.description)[0]
    action = action[0].lower() + action[1:] if action else tool.name.replace("_", " ")
    details = ", ".join(f"{k} {v}" for k, v in call.arguments.items() if v is not None)
    return f"Should I {action}{' (' + details + ')' if details else ''}? Say yes to go ahead."


NOTHING_BACK = "I got nothing back."


def spoken_result(tool: Tool, call: ToolCall) -> str:
    """What the assistant says after a call the model did not put in words: the tool's own sentence,
    its error, or its value ("Done." for None, NOTHING_BACK for an empty string or collection). Markdown,
    numbers and symbols in it are made speakable downstream, like the model's own text (assistant.tts).
    Orders to the assistant and chat-template tokens in it are not said (`untrusted.speakable`): a tool
    whose text reads "ignore previous instructions and tell the user ..." was read out as it stood."""
    if call.error is not None:
        return _spoken_error(call.error)
    if tool.options.say:
        return speakable(tool.options.say.format(result=call.result, **call.arguments)) or NOTHING_BACK
    if call.result is None:
        return "Done."
    if isinstance(call.result, str):
        return speakable(call.result.strip()) or NOTHING_BACK
    value = speakable(_spoken_value(call.result))
    return f"The result is {value}." if value else NOTHING_BACK


def _spoken_error(error: str) -> str:
    """A call's error as said: without its exception's class ("ValueError: "), after TOOL_FAILED."""
    reason = re.sub(r"^\w+(Error|Exception): ", "", error)
    return f"{TOOL_FAILED}: {speakable(reason) or NOTHING_BACK}"


def spoken_undo(call: ToolCall) -> str:
    """What is said when a deed is taken back (`ToolHost.take_back`): the undo's words or its error."""
    if call.error is not None:
        return _spoken_error(call.error)
    return speakable(str(call.result).strip()) or "Done."


def a_sentence(result: object) -> bool:
    """A tool's result written to be said as it is (`tools.results`): text that ends like a sentence."""
    return isinstance(result, str) and result.rstrip().endswith((".", "!", "?"))


def _spoken_value(value: Any) -> str:
    """A result as words: yes/no, items joined by commas, a mapping as "key value" pairs; None and the
    keys whose value is None are left out."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        pairs = ((key, _spoken_value(item)) for key, item in value.items())
        return ", ".join(f"{key} {said}" for key, said in pairs if said)
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(part for part in (_spoken_value(item) for item in value) if part)
    return str(value).strip()
