"""Web addresses a reply makes up: asked for an address, the model gives one that nobody gave it.

A model without a web search knows addresses only from its training, and a small one mostly invents
them. Asked "What's the web address for booking a table at a restaurant there?", Qwen2.5-Coder 0.5B
said "... is https://www.example.com/restaurant." (or www.example.com, RFC 2606's placeholder) in 8 of
11 spoken passes of the dialogue set (2026-12-02 to 04). In a held-out text probe of nine other address
questions, asked twice, it named 11 distinct sites and 1 of them was right (bbc.com): louvre.com for the
Louvre (louvre.fr), edinburghcastle.com for Edinburgh Castle (edinburghcastle.scot), banana-bread.com,
parisexpress.com, hotelstation.co.uk. So where the user asks for an address (`asks_for_address`), an
address in the reply must have come from somewhere: the user's words, a tool's result, or an earlier
turn's (`given`). A sentence giving any other is not said (`guard.ReplyGuard`), and the reply says that
the assistant does not know the address. Addresses said outside such a question are left alone (the
voice says only their host, `tts/normalise.py`).

An address is a host under a public suffix (the Public Suffix List, through `tldextract`'s bundled
snapshot, never fetched): "louvre.com", "https://www.bbc.co.uk/news", "help@hp.com"; "Node.js" and
"e.g." are not.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tldextract

_ADDRESS = r"(?:web\s*(?:address|site|page)|website|url|link|home\s*page|e-?mail\s+address|domain\s+name)s?"
_ASKS = re.compile(
    rf"\b(?:what|which|where)\b[^.?!]*\b(?:the|its|their|his|her|your|[a-z]+'s)\s+(?:[\w-]+\s+){{0,3}}?{_ADDRESS}\b"
    rf"|\b{_ADDRESS}\s+(?:of|for|to)\b"
    rf"|\b(?:give|send|tell|show)\s+me\s+(?:the\s+|a\s+|an\s+|its\s+|their\s+)?{_ADDRESS}\b"
    rf"|\bis\s+there\s+an?\s+{_ADDRESS}\b",
    re.IGNORECASE,
)
"""A question or request for an address: "What's the website of ...", "a link to ...", "Give me the URL",
"Is there a web page where ..."; not "How do I fetch a web page with curl?" or "What is a URL?"."""
_HOST = re.compile(r"(?<![\w-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*(?![\w-])", re.IGNORECASE)
"""A dotted name, bare, in a URL or after an e-mail address's @ ("www.louvre.fr")."""


@functools.cache
def _extract() -> tldextract.TLDExtract:
    """The Public Suffix List from the package's own snapshot: no network, no cache directory. Imported
    when first needed (it brings `requests` along), not at the engine's start."""
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def asks_for_address(text: str) -> bool:
    """Whether `text` (what the user said) asks for a web address, site, page, link or e-mail address."""
    return _ASKS.search(text) is not None


def web_hosts(text: str) -> set[str]:
    """The registered domains of the web and e-mail addresses in `text`, lower case: "See
    https://www.bbc.co.uk/news or write to help@hp.com." -> {"bbc.co.uk", "hp.com"}."""
    hosts = set()
    for name in _HOST.findall(text):
        parts = _extract()(name.lower())
        if parts.domain and parts.suffix:
            hosts.add(f"{parts.domain}.{parts.suffix}")
    return hosts


def given(texts: Iterable[str]) -> set[str]:
    """`web_hosts` of all of `texts` (the user's words, tools' results): the addresses a reply may say."""
    return set().union(*(web_hosts(t) for t in texts))
