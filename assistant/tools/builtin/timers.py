"""Timers and reminders: announcements the conversation's scheduler makes later, by voice.

These tools are async on purpose: the scheduler's asyncio timers must be created on the event loop, and a
sync tool would run in a worker thread.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from functools import partial
from typing import Annotated

from assistant.tools.builtin.clock import local_zone
from assistant.tools.builtin.speech import clean_text, join_words, plural, spoken_clock, spoken_duration
from assistant.tools.context import ToolContext
from assistant.tools.declare import tool
from assistant.tools.intent.spans import find_durations
from assistant.tools.intent.text import tokenize
from assistant.tools.scheduler import Scheduled

MAX_DELAY = timedelta(days=7)
MAX_PENDING = 50
REMINDER = "Reminder: "


def _check_delay(delay: timedelta) -> float:
    seconds = delay.total_seconds()
    if seconds <= 0:
        raise ValueError("The time has to be more than zero.")
    if delay > MAX_DELAY:
        raise ValueError("I can only set timers and reminders for up to 7 days.")
    return seconds


def _check_room(ctx: ToolContext) -> None:
    if len(ctx.scheduler.pending()) >= MAX_PENDING:
        raise ValueError(f"You already have {MAX_PENDING} timers and reminders; cancel some first.")


def _is_reminder(item: Scheduled) -> bool:
    return item.text.startswith(REMINDER)


def _name(label: str | None) -> str:
    """ "the pasta timer" -> "pasta": what the person calls the timer, without the filler; nothing for a
    label that only says how long ("25 minutes timer", "a ten-minute timer": a model's habit)."""
    words = clean_text(label or "").lower()
    words = re.sub(r"^(?:the|my|a|an)\s+", "", words)
    name = re.sub(r"\s*\btimers?$", "", words).strip()
    tokens = tokenize(name).norm
    taken = sum(span.end - span.start for span in find_durations(tokens))  # the fast path's own parser
    return "" if tokens and taken == len(tokens) else name


def _pick(ctx: ToolContext, label: str | None) -> Scheduled | str:
    """The pending timer or reminder this label names ("pasta", "reminder"), else the one due soonest;
    or what to say when there is none."""
    pending = ctx.scheduler.pending()
    if not pending:
        return "You have no timers."
    name = _name(label)
    if name and name not in ("reminder", "reminders"):
        pending = [item for item in pending if name in item.label.lower()]
        if not pending:
            return f"You have no {name} timer."
    elif name:
        pending = [item for item in pending if _is_reminder(item)]
        if not pending:
            return "You have no reminders."
    return pending[0]


async def _take_back(ctx: ToolContext, item: Scheduled) -> str:
    """Undo of a timer or reminder just set ("cancel that")."""
    if ctx.scheduler.cancel(item.id) is None:
        raise ValueError(f"Your {'reminder' if _is_reminder(item) else item.label} has already gone off.")
    if _is_reminder(item):
        return f"I cancelled that reminder: {item.label}."
    return f"I cancelled that {item.label}."


async def _change_back(ctx: ToolContext, item: Scheduled, shift_s: float) -> str:
    """Undo of a change to a timer or reminder that moved it `shift_s` seconds later (or earlier)."""
    what = "reminder" if _is_reminder(item) else item.label
    if all(pending.id != item.id for pending in ctx.scheduler.pending()):
        raise ValueError(f"Your {what} has already gone off.")
    left = item.remaining_s() - shift_s
    if left <= 0:
        raise ValueError(f"Without that change your {what} would have gone off already.")
    ctx.scheduler.reschedule(item.id, left)
    return f"I changed your {what} back; it has {spoken_duration(left, parts=2)} left."


def next_occurrence(at: time, now: datetime) -> datetime:
    """The next time the wall clock in `now`'s zone shows `at` (today if still ahead, else tomorrow)."""
    wall = at.replace(tzinfo=None)
    target = datetime.combine(now.date(), wall, tzinfo=now.tzinfo)
    if target <= now:
        target = datetime.combine(now.date() + timedelta(days=1), wall, tzinfo=now.tzinfo)
    return target


@tool(
    timeout_s=5.0,
    cancel_on_interrupt=False,
    examples=[
        "set a timer for 5 minutes",
        "start a 10 minute timer",
        "timer for 30 seconds",
        "set a pasta timer for 8 minutes",
        "set a timer for an hour and a half",
        "wake me in 20 minutes",
        "count down 2 minutes",
    ],
)
async def set_timer(
    ctx: ToolContext, duration: Annotated[timedelta, "how long"], label: str | None = None
) -> str:
    """Start a countdown that announces when it is done, so the person can stop watching the clock."""
    seconds = _check_delay(duration)
    _check_room(ctx)
    name = _name(label)
    spoken = spoken_duration(seconds)
    title = f"{name} timer" if name else f"{spoken_duration(seconds, adjective=True)} timer"
    item = ctx.scheduler.add(seconds, f"Your {title} is done.", title)
    ctx.undoable(partial(_take_back, ctx, item))
    return f"{name.capitalize()} timer set for {spoken}." if name else f"Timer set for {spoken}."


@tool(
    timeout_s=5.0,
    cancel_on_interrupt=False,
    examples=[
        "remind me to call mom in 10 minutes",
        "remind me in an hour to check the oven",
        "remind me at 5 pm to go to the gym",
        "set a reminder for 7:30 to take my pills",
        "in 20 minutes remind me to move the laundry",
        "remind me tomorrow at 9 to email Sam",
    ],
)
async def set_reminder(
    ctx: ToolContext,
    text: Annotated[str, "what to remind about"],
    after: Annotated[timedelta | None, "in how long"] = None,
    at: Annotated[time | None, "at what time of day"] = None,
) -> str:
    """Say something back to the person later, after a while or at a time of day."""
    what = re.sub(r"^(?:me\s+)?(?:to\s+)?", "", clean_text(text), flags=re.IGNORECASE)
    if not what:
        raise ValueError("What should I remind you about?")
    if (after is None) == (at is None):
        raise ValueError("Tell me when: in how long, or at what time.")
    if after is not None:
        seconds = _check_delay(after)
        when = f"in {spoken_duration(seconds)}"
    else:
        assert at is not None
        now = datetime.now(local_zone(ctx))
        due = next_occurrence(at, now)
        seconds = (due.astimezone(UTC) - now.astimezone(UTC)).total_seconds()
        when = f"at {spoken_clock(due)}" + (" tomorrow" if due.date() != now.date() else "")
    _check_room(ctx)
    item = ctx.scheduler.add(seconds, f"{REMINDER}{what}.", what)
    ctx.undoable(partial(_take_back, ctx, item))
    return f"Okay, I'll remind you {when}: {what}."


@tool(
    timeout_s=5.0,
    cancel_on_interrupt=False,
    examples=[
        "cancel the timer",
        "stop the timer",
        "cancel my pasta timer",
        "never mind the timer",
        "cancel the reminder",
        "turn off the 10 minute timer",
    ],
)
async def cancel_timer(ctx: ToolContext, label: str | None = None) -> str:
    """Cancel a timer or reminder: the one with this name, or else the one due soonest."""
    item = _pick(ctx, label)
    if isinstance(item, str):
        return item
    ctx.scheduler.cancel(item.id)
    if _is_reminder(item):
        return f"I cancelled your reminder: {item.label}."
    return f"I cancelled your {item.label}."


@tool(
    timeout_s=5.0,
    cancel_on_interrupt=False,
    examples=[
        "add 5 minutes to the timer",
        "take 2 minutes off the timer",
        "give the timer 3 more minutes",
        "remove a minute from the pasta timer",
        "knock 30 seconds off the pasta timer",
        "extend the timer by 10 minutes",
    ],
)
async def change_timer(
    ctx: ToolContext,
    by: Annotated[timedelta, "how much time to add, or to take off"],
    shorter: Annotated[bool, "true to take it off: knock off, subtract, remove, shorten"] = False,
    label: str | None = None,
) -> str:
    """Add time to a running timer or reminder, or take time off it: the one with this name, or else the
    one due soonest."""
    amount = _check_delay(by)
    item = _pick(ctx, label)
    if isinstance(item, str):
        return item
    left = item.remaining_s()
    what = "reminder" if _is_reminder(item) else item.label
    if shorter and amount >= left:
        raise ValueError(
            f"Your {what} has only {spoken_duration(left, parts=2)} left; say cancel to stop it."
        )
    delay = left - amount if shorter else left + amount
    _check_delay(timedelta(seconds=delay))
    ctx.scheduler.reschedule(item.id, delay)
    ctx.undoable(partial(_change_back, ctx, item, delay - left))
    done = "took" if shorter else "added"
    way = "off" if shorter else "to"
    # Said as a deed ("I took ..."), so that a reply made up in these words later is caught as one.
    left = spoken_duration(delay, parts=2)
    return f"I {done} {spoken_duration(amount)} {way} your {what}; it has {left} left."


@tool(
    timeout_s=5.0,
    cancel_on_interrupt=False,
    examples=[
        "what timers do I have",
        "how much time is left on my timer",
        "how long is left on the pasta timer",
        "list my timers",
        "do I have any reminders",
        "check my timers",
    ],
)
async def list_timers(ctx: ToolContext) -> str:
    """Say the running timers and reminders with the time left on each, soonest first."""
    pending = ctx.scheduler.pending()
    if not pending:
        return "You have no timers."
    timers = sum(not _is_reminder(item) for item in pending)
    reminders = len(pending) - timers
    counts = [plural(n, word) for n, word in ((timers, "timer"), (reminders, "reminder")) if n]
    now = datetime.now(local_zone(ctx))
    items = []
    for item in pending:
        left = item.remaining_s()
        if _is_reminder(item) and left >= 3600:
            due = now + timedelta(seconds=left)
            day = " tomorrow" if due.date() != now.date() else ""
            items.append(f"{item.label}, at {spoken_clock(due)}{day}")
        else:
            items.append(f"{item.label}, {spoken_duration(left, parts=2)} left")
    return f"You have {join_words(counts)}: {'; '.join(items)}."
