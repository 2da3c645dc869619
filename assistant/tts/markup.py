"""The written form of a clause: what a model wrote, without the markup that nobody should hear.

A clause (one cut of the ClauseChunker, itself a fragment of markdown) is parsed with markdown-it-py
(CommonMark, plus GFM strikethrough) and only its words are kept: headings, emphasis, list markers, quotes,
links (their text stays, the address goes), images (their alt text), inline code (its text) and inline HTML.
A fenced code block is not read at all: it becomes CODE_SKIPPED, and so does a clause that is a line of a
program written without a fence (`assistant.tts.code`). LaTeX is said as maths (`assistant.tts.maths`).
Table rows become their cells, separated by commas. Emoji are removed (the `emoji` package knows every
sequence of Unicode's emoji data).

This written form is what the page shows and the history keeps; `assistant.tts.normalise` turns it into
the spoken form (numbers, symbols, abbreviations, addresses) that Piper reads.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import emoji
from markdown_it import MarkdownIt
from markdown_it.token import Token

from assistant.tts.code import looks_like_code
from assistant.tts.maths import has_latex, spoken_maths

CODE_SKIPPED = "I'll skip the code."
"""Said instead of a fenced code block: code read aloud helps no one."""

FENCE = re.compile(r"^[ \t]*(```|~~~)")
_BARE_NUMBER = re.compile(r"\s*\d{1,9}[.)]\s*")
_TABLE_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_TABLE_RULE = re.compile(r"^[\s|:\-]+$")
_MD = MarkdownIt("commonmark").enable(["strikethrough"])
_BLOCK_END = {"heading_close", "list_item_close", "paragraph_close", "blockquote_close"}
_END_PUNCTUATION = tuple(".!?…:;,")


def foreign_script(text: str) -> bool:
    """Whether most letters of `text` are not Latin ones, which an English voice cannot say: Qwen2.5-Coder
    0.5B, offered a tool for "I love jazz.", answered in Chinese ("抱歉，我无法回答这个请求。"), and the
    spoken form of that is empty, so the turn was answered in silence (probe of 2026-12-07)."""
    letters = [c for c in text if c.isalpha()]
    latin = sum(unicodedata.name(c, "").startswith("LATIN") for c in letters)
    return 2 * latin < len(letters)


@lru_cache(maxsize=2048)
def written(fragment: str) -> str:
    """Markdown fragment (one clause, perhaps several lines) -> plain text on one line, emoji removed.

    Never raises; text that was never markdown comes back with only its whitespace tidied. A heading, a
    list item or a table row that ends without punctuation gets a full stop (it was a line of its own).
    """
    if _BARE_NUMBER.fullmatch(fragment):
        return fragment.strip()  # "2025." is a year that ends a sentence, not an empty list item
    if has_latex(fragment):
        fragment = spoken_maths(fragment)
    if not FENCE.match(fragment) and looks_like_code(fragment):
        return CODE_SKIPPED
    lines = [_table_row(line) for line in fragment.splitlines()]
    blocks: list[str] = []
    current: list[str] = []
    items = 0  # depth of list items: their paragraphs end with the item
    for token in _MD.parse("\n".join(lines)):
        if token.type == "inline":
            current.append(_inline_text(token.children or []))
        elif token.type in ("fence", "code_block"):
            blocks.append(CODE_SKIPPED)
        elif token.type == "list_item_open":
            items += 1
        elif token.type in _BLOCK_END and current and not (token.type == "paragraph_close" and items):
            text = " ".join(current).strip()
            current = []
            if text and token.type != "paragraph_close" and not text.endswith(_END_PUNCTUATION):
                text += "."
            blocks.append(text)
        if token.type == "list_item_close":
            items -= 1
    blocks.append(" ".join(current))
    return tidy(emoji.replace_emoji(" ".join(blocks), ""))


def tidy(text: str) -> str:
    """Drop control and invisible format characters, collapse whitespace, no space before punctuation."""
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\t\n")
    text = re.sub(r"[\u200d\ufe0f]", "", text)
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r" ([.,!?;:])(?=\s|$)", r"\1", text)


def _table_row(line: str) -> str:
    """'| a | b |' -> 'a, b.'; the '|---|' rule under a header -> ''."""
    row = _TABLE_ROW.match(line)
    if row is None:
        return line
    if _TABLE_RULE.match(line):
        return ""
    cells = [cell.strip() for cell in row.group(1).split("|") if cell.strip()]
    return ", ".join(cells) + ("." if cells and not cells[-1].endswith(_END_PUNCTUATION) else "")


def _inline_text(children: list[Token]) -> str:
    out = []
    for child in children:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "image":
            out.append(_inline_text(child.children or []))
    return "".join(out)


def open_markup(text: str) -> int | None:
    """Where the inline markup still open at the end of `text` begins (bold, inline code, a link or a
    LaTeX formula), or None. Used by the chunker so that "**Pre" "heat the oven**", "[the docs](https://…)"
    or "\\( 5 \\times 0.45 = 2.27 \\)" stay whole."""
    starts = []
    if (text.count("`") - 3 * text.count("```")) % 2:
        starts.append(text.rfind("`"))
    for marker in ("**", "__"):
        if text.count(marker) % 2:
            starts.append(text.rfind(marker))
    if text.rfind("[") > text.rfind("]"):
        starts.append(text.rfind("["))
    if text.rfind("](") > text.rfind(")"):
        starts.append(text.rfind("]("))
    for opening, closing in ((r"\(", r"\)"), (r"\[", r"\]")):
        if text.rfind(opening) > text.rfind(closing):
            starts.append(text.rfind(opening))
    if text.count("$$") % 2:
        starts.append(text.rfind("$$"))
    return min(starts) if starts else None
