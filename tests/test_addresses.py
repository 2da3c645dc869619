"""A web address the user asked for is said only when someone gave it: the user, a tool, an earlier turn."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lone_reply import lone_reply
from scripted import ScriptedLLM

from assistant.engine.addresses import asks_for_address, web_hosts
from assistant.engine.guard import ReplyGuard
from assistant.engine.notices import NO_ADDRESS, model_words
from assistant.llm import Message

SUFFIXES = ["com", "org", "fr", "co.uk", "scot", "com.au", "io", "de"]


def test_hosts_are_read_under_public_suffixes_only() -> None:
    text = "See https://www.bbc.co.uk/news, write to help@hp.com or visit louvre.fr/en."
    assert web_hosts(text) == {"bbc.co.uk", "hp.com", "louvre.fr"}
    assert web_hosts("Node.js and e.g. version 3.5, i.e. Mr.Smith's config.yaml") == set()


def test_questions_that_ask_for_an_address() -> None:
    for asked in (
        "What's the web address for booking a table?",
        "Give me the URL.",
        "What's the homepage of the BBC?",
        "Is there a web page where I can download the driver?",
        "What's the email address for customer support?",
        "What is the BBC's website?",
        "Where's their home page?",
    ):
        assert asks_for_address(asked), asked
    for other in (
        "How far is Lyon from Paris?",
        "How do I fetch a web page with curl?",
        "What is a URL?",
        "Link the two ideas.",
    ):
        assert not asks_for_address(other), other


@settings(max_examples=200, deadline=None)
@given(
    name=st.from_regex(r"[a-z][a-z0-9-]{0,12}[a-z0-9]", fullmatch=True),
    suffix=st.sampled_from(SUFFIXES),
    scheme=st.sampled_from(["", "http://", "https://www.", "www."]),
    path=st.sampled_from(["", "/", "/book_table", "/en/tickets.html?x=1"]),
    cut=st.integers(min_value=1, max_value=12),
)
def test_a_made_up_address_is_never_said_however_the_reply_is_cut(
    name: str, suffix: str, scheme: str, path: str, cut: int
) -> None:
    """Asked for an address, the model gives one nobody gave it, in clauses cut anywhere: none of the
    sentence that holds it is said, and the model is stopped."""
    sentence = f"The booking page for that restaurant is {scheme}{name}.{suffix}{path}."
    words = sentence.split()
    clauses = [" ".join(words[:cut]), " ".join(words[cut:])] if cut < len(words) else [sentence]
    guard = ReplyGuard(heard="What's the web address for booking a table at a restaurant there?")
    said = [guard.admit(c, last=i == len(clauses) - 1).text for i, c in enumerate([c for c in clauses if c])]
    said.append(guard.release())
    assert guard.stopped == "made_up" and not "".join(said), said


def test_an_address_the_user_or_a_tool_gave_may_be_said() -> None:
    guard = ReplyGuard(heard="Is the website louvre.fr or louvre.com?")
    assert guard.admit("The website is louvre.fr.").text == "The website is louvre.fr."
    guard = ReplyGuard(heard="What's the link to the train booking page?")
    guard.tool_answered('{"result": "Trains: https://www.sncf-connect.com/en"}')
    assert guard.admit("You can book at sncf-connect.com.").text == "You can book at sncf-connect.com."
    guard = ReplyGuard(heard="And its web address?", sources=["I found it: the hotel is at hotel-lyon.fr."])
    assert guard.admit("It is hotel-lyon.fr.").text == "It is hotel-lyon.fr."


def test_an_address_nobody_asked_for_is_left_to_the_voice() -> None:
    """Outside an address question the guard does not judge addresses (the voice says their host)."""
    guard = ReplyGuard(heard="How do I fetch a web page with curl?")
    assert guard.stopped is None
    text = "Run curl followed by the address, for instance curl https://example.com."
    assert guard.admit(text).text == text


async def test_a_made_up_address_becomes_the_assistant_not_knowing_it(cfg) -> None:
    """Said whole, the reply is the engine's sentence, which stays out of the history (model_words);
    a sentence said before the address is kept."""
    asked = "What's the website of the Louvre museum?"
    messages = [Message("system", "You are a helpful assistant."), Message("user", asked)]
    reply, heard = await lone_reply(
        cfg, messages, ScriptedLLM("The Louvre Museum's website is https://www.louvre.com.", delay_s=0.001)
    )
    assert reply.cut == "made_up" and heard == NO_ADDRESS and model_words(heard) == ""
    reply, heard = await lone_reply(
        cfg,
        messages,
        ScriptedLLM("It is in Paris. Its website is louvre.com, and it opens at nine.", delay_s=0.001),
    )
    assert heard == f"It is in Paris. {NO_ADDRESS}", heard


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=200)
    | st.builds(
        lambda a, b: f"{a} {b}",
        st.text(max_size=60),
        st.sampled_from(["louvre.com", "https://www.bbc.co.uk/x", "help@hp.com", "e.g.", "Node.js"]),
    ),
    asked=st.text(max_size=80) | st.sampled_from(["What's the website of the Louvre?", "Give me the URL."]),
)
def test_no_made_up_address_is_said_whatever_the_text(text: str, asked: str) -> None:
    """Hostile text, as the user's words or the model's: judged without error, hosts are dotted lower-case
    names, and where an address was asked for, none that the user did not give is said."""
    assert all("." in h and h == h.lower() for h in web_hosts(text))
    guard = ReplyGuard(heard=asked)
    said = guard.admit(text, last=True).text + " " + guard.release()
    if asks_for_address(asked):
        assert not web_hosts(said) - web_hosts(asked), (asked, said)
    else:
        assert guard.stopped != "made_up"
