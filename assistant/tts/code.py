"""Code a model wrote without a fence: a clause that is a line of a program is not read aloud.

Asked to "show me the code", the default model sometimes writes the program as bare lines with no fence
around them (``def hello_world():``, ``print("Hello, world!")``, ``if name == "main":``), which the markdown
parser takes for prose; Piper then read "def hello world", quotes and all. A clause is code when it is one
whole statement (a call, a keyword line such as ``def``/``import``/``return``, a line ending in ``{`` or
``;``) or when it shows at least two different marks of code (a call, an identifier with an underscore or
a dot between words, an assignment or comparison operator, triple quotes, brackets, an arrow). One mark
alone is prose: "if x = 5, then", "the print function", "e.g." and "8:00" stay words.
"""

from __future__ import annotations

import re

_STATEMENT = re.compile(
    r"""^(?:
        [A-Za-z_][\w.]*\(.*\)\s*[;:]?                       # a call on its own: print(x), hello_world()
      | (?:async\s+)?def\s+\w+\s*\(.*                        # Python
      | class\s+[A-Z]\w*.*:
      | (?:import\s+[\w.]+|from\s+[\w.]+\s+import\s+[\w, ]+)(?:\s+as\s+\w+)?
      | return(?:\s+[^\s]+)?;?
      | (?:const|let|var)\s+\w+\s*=.*                          # JavaScript
      | function\s*\w*\s*\(.*
      | (?:public|private|static)\s.*[({].*                    # Java, C#
      | \#include\s*<.*>|using\s+namespace\s.*              # C++
      | .*\)\s*;|.*\{|\}.*                                     # a C-like line
    )$""",
    re.VERBOSE,
)
_MARKS = {
    "call": re.compile(r"\b[A-Za-z_][\w]*\((?!\s)"),
    "identifier": re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b|\b[a-z_]\w*\.[a-z_]\w*\("),
    "operator": re.compile(r"\s(?:==|!=|<=|>=|\+=|-=|\*=|=)\s|\b=\s*['\"\d\[{(]"),
    "quotes": re.compile(r"\"\"\"|'''"),
    "brackets": re.compile(r"[\[{]\s*['\"\w]|['\"\w]\s*[\]}]"),
    "arrow": re.compile(r"\s(?:->|=>)\s"),
    "ends_block": re.compile(r"\)\s*:\s*$"),
    "keyword": re.compile(
        r"^(?:if|elif|else|for|while|try|except|with|return|yield|raise|import)\b.*[^.!?,]$"
    ),
}
_PROSE_WORDS = 12
"""A clause longer than this many words is prose with code in it: it is left to the markdown pass."""
_LONGEST = 160
"""Nor is a line longer than this many characters judged (the patterns would take time that grows with
the square of its length: 5 s for 50,000 characters of crafted input)."""


def looks_like_code(text: str) -> bool:
    """True when the clause `text` (one cut of the ClauseChunker, perhaps several lines) is lines of a
    program, not words: its first line looks like code (or opens a block, "for name in names:", whose
    indented body does), and so does every other line that is not blank or indented under it."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return False
    first, rest = lines[0].strip(), lines[1:]
    opens_a_block = first.endswith(":") and bool(_MARKS["keyword"].search(first))
    body = bool(rest) and rest[0][:1].isspace() and _code_line(rest[0].strip())
    return (_code_line(first) or (opens_a_block and body)) and all(
        line[:1].isspace() or _code_line(line.strip()) for line in rest
    )


def _code_line(line: str) -> bool:
    if len(line) > _LONGEST or len(line.split()) > _PROSE_WORDS:
        return False
    if _STATEMENT.match(line) and not line.endswith((".", "!", "?", ",")):
        return True
    return sum(bool(mark.search(line)) for mark in _MARKS.values()) >= 2
