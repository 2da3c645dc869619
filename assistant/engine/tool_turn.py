"""The tool side of a reply: the speech-to-intent fast path, follow-ups, confirmations, and the calls
the LLM asks for.

Mixed into `Reply` (assistant.engine.reply), which owns the text, the audio and the model; this part
decides which calls run and what of them is said, through the reply's `_say`. Calls with side effects wait
until the endpoint releases the reply, so a speculative reply never acts.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from assistant.engine.claims import asks_for_deeds, requested_verbs
from assistant.engine.guard_context import tool_words
from assistant.engine.live import cannot_check
from assistant.engine.referent import REFERRING, unresolved
from assistant.engine.tooling import (
    PendingConfirmation,
    ToolHost,
    confirmation_question,
    is_no,
    is_yes,
    spoken_result,
    spoken_undo,
)
from assistant.engine.unsaid import (
    Said,
    made_up_text,
    said_choices,
    says_the_opposite,
    takes_what_was_said,
    unsaid_options,
)
from assistant.llm import ToolRequest
from assistant.tools import Tool, ToolCall
from assistant.tools.intent.deeds import (
    asks_how_things_are,
    reads_things,
    refused_for_deed,
    refused_for_question,
)
from assistant.tools.intent.gate import is_destructive
from assistant.tools.intent.speech_act import is_question, opens_with_a_verb
from assistant.tools.intent.text import tokenize, word_forms

FILLER = "One moment."
DECLINED = "Okay, I won't."


def _the_reader(host: ToolHost, allowed: set[str], asked: frozenset[str] = frozenset()) -> str | None:
    """The one tool of `allowed` that only reads (`deeds.reads_things`: `get_thermostat`, `oven_status`,
    "Check what the robot vacuum cleaner is doing.") and does not ask first, or else the one tool of all
    that reads and names a thing `asked` about (noun lemmas) in its name, parameters, choices or
    description ("Is the heater on now?" and a pool's `check_pool_water`, "Read the pool's water
    temperature, chlorine level, heater setting ...", beside `get_pool_pump`: a newcomer's trial of
    2026-12-08 had "Sorry, I couldn't check that."), or None: a question about a thermostat may make the
    model call `get_thermostat`, never the tool that sets it."""
    tools = [t for t in host.registry if reads_things(t) and not t.options.confirm]
    readers = [t.name for t in tools if t.name in allowed]
    if len(readers) == 1:
        return readers[0]
    words = {t.name: [*tool_words(t), *tokenize(t.description).norm] for t in tools}
    named = [name for name, said in words.items() if asked & {f for w in said for f in word_forms(w)}]
    return named[0] if len(named) == 1 else None


def cannot_change(parameter: str) -> str:
    """What is said to an amount asked as a change of a tool's `parameter` that it can only set ("dim the
    kitchen lights by 20 percent" to a `set_lights(brightness)`): Qwen 0.5B, asked, had called nothing and
    said it had ("Kitchen lights dim by twenty percent.")."""
    what = parameter.replace("_", " ")
    return f"I can set the {what}, but not change it by an amount. Tell me the {what} you want."


class ToolTurn:
    """What a reply needs for tools; `Reply` provides these attributes and `_say`."""

    _tools: ToolHost | None
    _alternatives: tuple[str, ...]
    _rehear: Callable[[], Awaitable[tuple[str, ...]]] | None
    _released: asyncio.Event
    tool_calls: list[ToolCall]
    _spoke: bool
    aside: bool
    required: str | None
    """The tool the model must call this turn: the fast path knows which, not with what (`_fast_path`)."""
    _asked: frozenset[str]
    """The things (noun lemmas) a question asks about that a tool may read (`guard_context.asked_about`)."""

    if TYPE_CHECKING:

        @property
        def user_text(self) -> str: ...

        @property
        def meant(self) -> str: ...

        def _say(self, text: str) -> None: ...

        @property
        def cut(self) -> str | None: ...

    async def _fast_path(self) -> bool:
        """Answer a pending confirmation, "cancel that" after a deed that can be taken back
        (assistant.engine.take_back), a clear tool request (its words, then with "it" read as the thing
        named before: `Reply.meant`, then ASR's other hypotheses), or else a request for live information
        no tool gives (`live.cannot_check`; "Remind me to check my email." is a reminder), without the
        LLM. A command the tool cannot read ("Convert 70 degrees Fahrenheit to solstice.": no such unit,
        in any of ASR's hypotheses) is answered with the tool's own words ("Sorry, that didn't work: I
        don't know the unit solstice."): the model, offered the tools, had made the figure up ("... is
        46.2 degrees Celsius.", spoken pass of 2026-12-04). A question that looks like one goes to the
        model ("How many kilometres is a marathon?")."""
        host = self._tools
        pending = host.pending if host is not None else None
        if host is not None and pending is not None:
            await self._released.wait()  # only the turn that really ends may answer the question
            host.pending = None
            if is_yes(self.user_text, pending.tool) and host.refusal(pending.tool, pending.request) is None:
                pending.call.extra["confirmed"] = True
                await self._call(pending.tool, pending.call)
                self._say(spoken_result(pending.tool, pending.call))
                return True
            if is_no(self.user_text):
                self._say(DECLINED)
                return True
        if host is not None and host.can_take_back(self.user_text):
            await self._released.wait()  # a speculative reply never acts
            if (undone := await host.take_back()) is not None:
                self.tool_calls.append(undone)
                self._say(spoken_undo(undone))
                return True
        meant = (self.meant,) if self.meant != self.user_text else ()  # "Turn them off." after "the lights"
        found = host.match(self.user_text, (*meant, *self._alternatives)) if host is not None else None
        if found is not None and meant and found[1] == self.meant and is_destructive(found[0].tool):
            found = None  # "Delete them.": a destructive tool needs its object in the user's own words
        if found is None:
            cannot = cannot_check(self.user_text, host.registry if host is not None else ())
            if cannot is None and host is not None and (change := host.refused_change(self.user_text)):
                cannot = cannot_change(change[1])
            if cannot is not None:
                self.aside = True
                self._say(cannot)
                return True
            if host is None or await self._follow_up():
                return host is not None
            self.required = host.for_the_model(self.user_text)  # the model writes the call
            return False
        match, heard = found
        call = ToolCall(match.tool.name, match.arguments, via="intent")
        call.extra["confidence"] = round(match.confidence, 3)
        if heard != self.user_text:
            call.extra["heard_as"] = heard
        if match.recalled:
            call.extra["recalled"] = list(match.recalled)
        if match.tool.options.confirm:
            self._ask_confirmation(match.tool, call)
            return True
        await self._call(match.tool, call)
        if call.misread and await self._heard_otherwise(match.tool, call, heard):
            return True
        if call.misread:
            self.required = host.for_the_model(heard, misread=match.tool)
            if self.required is None and opens_with_a_verb(heard) and not is_question(heard):
                self._say(spoken_result(match.tool, call))  # a command it cannot read: say so
                return True
            return False  # "how many kilometres is a marathon": no unit "marathon"; the model answers
        if match.recalled and call.error is not None:
            return False
        self._say(spoken_result(match.tool, call))
        return True

    async def _heard_otherwise(self, tool: Tool, misread: ToolCall, heard: str) -> bool:
        """A call the tool could not read may be a mishearing: "Convert 70 degrees Fahrenheit to soles."
        (no such unit) was "... to Celsius." in the beam. The tool is called again from the first of ASR's
        other hypotheses that asks for it with other arguments and that it reads, and that call is
        said; the misread one stays in the record. The hypotheses are the turn's second look, or else
        the beam searched now from the kept encoding (`Transcript.rehear`: one beam search, only on
        this path). A destructive tool or one that asks first is never called from a guess. False when
        no hypothesis serves: the model answers, as for "How many meters is a football pitch?"."""
        host = self._tools
        if host is None or host.matcher is None or tool.options.confirm or is_destructive(tool):
            return False
        hypotheses = self._alternatives
        if not hypotheses and self._rehear is not None:
            hypotheses = await self._rehear()
        for text in hypotheses:
            match = host.matcher.match(text) if text != heard else None
            if match is None or match.tool.name != tool.name or match.arguments == misread.arguments:
                continue
            call = ToolCall(tool.name, match.arguments, via="intent")
            call.extra.update(confidence=round(match.confidence, 3), heard_as=text)
            await self._call(tool, call)
            if not call.misread:
                self._say(spoken_result(tool, call))
                return True
        return False

    async def _follow_up(self) -> bool:
        """A turn that continues the last call ("and how about Los Angeles?"): that call again with what
        changed. If it fails, the guess was wrong and the model answers instead (the error is not said)."""
        assert self._tools is not None
        match = self._tools.follow_up(self.user_text)
        if match is None:
            return False
        call = ToolCall(match.tool.name, match.arguments, via="intent")
        call.extra["follow_up"] = True
        await self._call(match.tool, call)
        if call.error is not None:
            return False
        self._say(spoken_result(match.tool, call))
        return True

    def _ask_confirmation(self, tool: Tool, call: ToolCall) -> None:
        assert self._tools is not None
        call.error = "awaiting the user's spoken confirmation"
        self.tool_calls.append(call)
        self._tools.pending = PendingConfirmation(
            tool, ToolCall(call.name, call.arguments, call.via), self.user_text
        )
        self._say(confirmation_question(tool, call))

    async def _call(self, tool: Tool, call: ToolCall) -> None:
        """Run one call, saying a filler if it is slow; side effects wait for the endpoint."""
        assert self._tools is not None
        self.tool_calls.append(call)
        if not tool.options.cancel_on_interrupt or tool.options.confirm:
            await self._released.wait()
        running = asyncio.ensure_future(self._tools.run(tool, call))
        try:
            done, _ = await asyncio.wait({running}, timeout=self._tools.cfg.filler_after_s)
            if not done:
                self._say(FILLER)
            await running
        finally:
            running.cancel()

    def _instead_of_claim(self, host: ToolHost | None, allowed: set[str] | None) -> str | None:
        """The tool the model is made to call when, asked for a deed, it only wrote that the deed was
        done or read the request back (the guard's "claim" or "echo", nothing said yet, no call made;
        "Turn the volume down to 20." had got itself back): the one tool the request may call
        (`ToolHost.callable`), unless it asks first or destroys. Qwen2.5-Coder 0.5B, offered a user's
        `set_thermostat`, answered "Turn the fan up to high." with "The fan is turned up" and "Turn the
        heating on." with "Turning the heating on." (newcomer's trial, 2026-12-07): both had been said as
        "Sorry, I can't do that.". The one tool is the only one of those it may call that acts on every
        thing the request names and does not just read ("Put it on high." after "Is the fan on auto?":
        `set_thermostat`, not `get_thermostat`; "Turn the oven on to 180.": `set_oven`, not `oven_off`, whose
        name says the opposite, `unsaid.says_the_opposite`). A request that says "it" is judged as it is meant
        (`Reply.meant`):
        "Okay, turn it off then." after "Is the heating on?" is the thermostat's, not the timer's. None when
        the tool is not that clear: the claim stays unsaid. A state told with no tool called (the guard's
        "unread"), or a question about how things are said back (the guard's "echo"), makes the model
        call the one tool it may call that reads (`_the_reader`). A request for a
        deed that the model answered with a wrong tool, refused (one that only reads,
        `deeds.refused_for_deed`, or one whose name says the opposite), makes it call the one tool as for
        a claim, whatever it wrote after: "Turn the oven on to 180." had read the oven, and then been said
        as "Sorry, I can't do that."; "Turn the sauna on to 80." had switched it off. The user's own words
        must give that tool something it takes (`unsaid.takes_what_was_said`)."""
        wrong = bool(self.tool_calls) and all(c.extra.get("wrong_tool") for c in self.tool_calls)
        if host is None or self._spoke or (self.tool_calls and not wrong) or not allowed:
            return None
        if self.cut == "unread" or (self.cut == "echo" and asks_how_things_are(self.meant)):
            return _the_reader(host, allowed, self._asked)  # "What's playing?" said back: `now_playing`
        if self.cut not in ("claim", "echo") and not wrong:
            return None
        if not asks_for_deeds(self.meant) or host.matcher is None or unresolved(self.meant):
            return None  # "Turn it off." with nothing named before: "it" may be anything
        tools = [t for n in sorted(allowed) if (t := host.registry.get(n)) is not None]
        about = [
            t.name
            for t in tools
            if host.about_it(t.name, self.meant)
            and not reads_things(t)
            and not says_the_opposite(t.name, Said([self.meant]))
            and takes_what_was_said(t, self._own_words())
        ]
        if len(about) != 1:
            return None  # "Water the plants in the kitchen.": the kitchen is all it shares with the lights
        tool = host.registry.get(about[0])
        if (
            tool is None
            or tool.options.confirm
            or is_destructive(tool)
            or host.refusal(tool, self.user_text, self.meant)
        ):
            return None
        return tool.name

    def _own_words(self) -> str:
        """What the user said this turn, with an elided command said again ("And the heater too." after
        "Switch off the pump.": "Switch off the heater.", `referent.elided`), but not with "it" read as
        a thing named before (the user gave that thing no value now)."""
        return self.user_text if REFERRING & set(tokenize(self.user_text).norm) else self.meant

    def _not_run(self, call: ToolCall) -> ToolCall:
        """A call the model asked for that was not run: its error goes back to the model, never to the
        user's ears (it is written for the model: "the user did not ask for 'calculate'")."""
        call.extra["not_run"] = True
        self.tool_calls.append(call)
        return call

    async def _llm_call(self, host: ToolHost, request: ToolRequest, said: Said) -> ToolCall | None:
        """Run a call the model asked for, unless it must not run (the reason goes back to the model);
        `said`: what the user and the tools said in this conversation, so far. Optional numbers and
        choices nobody said are left out of the call (`unsaid.unsaid_options`; kept in `extra`), and a
        choice the user said this turn replaces the model's other one (`unsaid.said_choices`). A call
        the model was made to write (`required`) may carry only what this turn said: it had carried the
        last request's `minutes=15` into "turn on the sprinkler for the vegetable bed", and was refused."""
        tool = host.registry.get(request.name)
        try:
            arguments = json.loads(request.arguments or "{}")
            if not isinstance(arguments, dict):
                raise ValueError("arguments must be a JSON object")
        except ValueError as exc:
            call = ToolCall(request.name, {"raw": request.arguments}, via="llm", id=request.id)
            call.error = f"invalid arguments: {exc}"
            return self._not_run(call)
        now = Said([self._own_words()])
        if request.name == self.required:
            said = now  # made to call: what it carries must be said now, not in an earlier request
        corrected = said_choices(tool, arguments, now) if tool is not None else {}
        arguments = {**arguments, **corrected}
        invented = unsaid_options(tool, arguments, said) if tool is not None else {}
        kept = {k: v for k, v in arguments.items() if k not in invented}
        call = ToolCall(request.name, kept, via="llm", id=request.id)
        if invented:
            call.extra["left_out"] = invented
        if corrected:
            call.extra["as_said"] = corrected
        if tool is None:
            call.error = f"there is no tool named {request.name!r}"
            return self._not_run(call)
        if request.name != self.required and not host.may_call(request.name, self.meant):
            call.error = f"the user did not ask for {request.name!r}; it was not run"
            return self._not_run(call)  # a server's model called a tool the request does not mention
        if request.name != self.required and host.about_other_things(request.name, self.meant):
            call.error = f"not called: the user's words name things {request.name!r} does not act on"
            return self._not_run(call)  # "Close the bedroom curtains.": the lights share only the room
        if (reason := refused_for_question(tool, self.meant)) is not None:
            call.error = reason
            return self._not_run(call)  # "Is the washing machine running?" had started it
        if (reason := refused_for_deed(tool, requested_verbs(self.meant))) is not None:
            call.error, call.extra["wrong_tool"] = reason, True
            return self._not_run(call)  # "Turn the oven on to 180." had read the oven
        if says_the_opposite(tool.name, Said([self.meant])):
            call.error, call.extra["wrong_tool"] = (
                f"not called: {tool.name!r} does the opposite of what the user said",
                True,
            )
            return self._not_run(call)  # "Turn the sauna on to 80." had switched it off
        if (reason := host.refusal(tool, self.user_text, self.meant)) is not None:
            call.error = reason  # "stop" asks for nothing; "delete it" does not say what
            return self._not_run(call)
        if (invented := made_up_text(tool, kept, said)) is not None:
            call.error, call.extra["ask_for"] = (
                f"not called: the user never said the {invented}; ask them",
                invented,
            )
            return self._not_run(call)  # "Send a message to my mum." had sent her "Hello, how are you?"
        if request.name == self.required and not host.said_numbers(kept, self.user_text):
            call.error = "the user did not say these numbers; ask them"
            return self._not_run(call)  # a call the model was made to write must not make one up
        if tool.options.confirm:
            self._ask_confirmation(tool, call)  # the model cannot approve: only the user's yes runs it
            return None
        await self._call(tool, call)
        return call
