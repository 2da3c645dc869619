"""What a reply says instead of the model's words: after the guard cut all of them, or when there were none.

The guard (`guard.py`) says why it cut the model ("claim", "unread", "echo", ...); the user's words say what
kind of turn it was (a question, a request for a deed, a statement, a fragment). From both, one of the
engine's own sentences (`notices.py`) ends the turn, so that it never ends in silence or on a half
sentence.
"""

from __future__ import annotations

from assistant.engine.claims import asks_for_deeds
from assistant.engine.notices import (
    ACKNOWLEDGED,
    CLARIFY,
    FALLBACK_EMPTY,
    NO_ADDRESS,
    UNABLE,
    UNCHECKED,
)
from assistant.engine.safety import CAUTION, risky_question
from assistant.tools.intent.gate import is_request
from assistant.tools.intent.speech_act import is_fragment, is_question, is_statement

SAID_NOTHING_RIGHT = ("echo", "claim", "made_up", "leak", "tool_talk", "number", "foreign", "live", "unread")
"""The guard's cuts after which the model's words, if they were all, get `after_cut`."""


def after_cut(user_text: str, cut: str | None, asks_about_tools: bool) -> str:
    """What to say when the guard cut what the model wrote (`cut`: its reason) to `user_text`; a
    question about what a tool acts on (`asks_about_tools`, `guard_context.asked_about`) could not be
    checked. A question is not answered, a statement or words that name nothing ("Thanks.") are
    acknowledged, a fragment is asked about, a request was not done; nor was a deed the model claimed while
    no tool did it, where one was asked for (to "7 of clubs", after "Go forward 10 meters." had moved the
    robot, Qwen wrote "The robot went forward 10 meters;" again: no deed was asked, so the fragment is
    asked about, not refused, README's `simulate` with examples/home_tools.py, 2026-12-07); an address
    the model made up is not known."""
    if cut == "claim" and asks_for_deeds(user_text):
        return UNABLE
    if cut == "made_up":
        return NO_ADDRESS
    if cut == "unread" or (asks_about_tools and cut in ("tool_talk", "echo")):
        return UNCHECKED
    if risky_question(user_text):
        return CAUTION
    if is_question(user_text):
        return FALLBACK_EMPTY
    if is_statement(user_text) or not is_request(user_text):
        return ACKNOWLEDGED
    return CLARIFY if is_fragment(user_text) else UNABLE


def after_nothing(user_text: str, deeds_pending: bool, asks_about_tools: bool) -> str:
    """What to say when the model wrote nothing speakable to `user_text`: a request for a deed that no
    tool did (`deeds_pending`, `claims.requested_deeds`: "Pay the electricity bill.", "Could you start
    the dishwasher?"; Qwen, offered no tool it may call for them, wrote nothing), or any other command
    ("Check my bank balance.", "Take the bins out tonight.", probe of 2026-12-03), was not done; to a
    question or anything else the model had no answer, but a question that asks leave for something
    dangerous (`safety.risky_question`) gets the cautious sentence: "Can I drive home?" after four beers
    had got "Sorry, I don't have an answer to that." in the spoken pass of 2026-12-04. A question about
    what a tool acts on (`asks_about_tools`) could not be checked."""
    if risky_question(user_text):
        return CAUTION
    command = asks_for_deeds(user_text) and not is_question(user_text)
    if deeds_pending or command:
        return UNABLE
    return UNCHECKED if asks_about_tools else FALLBACK_EMPTY
