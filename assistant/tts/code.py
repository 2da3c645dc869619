"""Code a model wrote without a fence: a clause that is a line of a program is not read aloud.

Asked to "show me the code", the default model sometimes writes the program as bare lines with no fence
around them (``def hello_world():``, ``print("Hello, world!")``, ``if name == "main":``), which the markdown
parser takes for prose; Piper then read "def hello world", quotes and all. A clause is code when it is one
whole statement (a call, a keyword line such as ``def``/``import``/``return``, a C-like line ending in
``);`` or opening ``{``) or when it shows at least two different marks of code (a call, an identifier with
an underscore or a dot between words, an assignment statement or a comparison, triple quotes, brackets, an
arrow). One mark alone is prose, and so is maths: "if x = 5, then", "f(x) = 3x + 2", "the print function",
"e.g.", "8:00", "(except holidays);", a web or e-mail address, a file name.

Misses are left to be read: a clause that is code in words only ("while True:", "SELECT name FROM users")
is read aloud; the markdown pass still skips every fenced block.
"""

from __future__ import annotations

import re

_CALL = r"[A-Za-z_][\w.]*[A-Za-z_0-9]\((?!\s)"
"""A call: a name of two characters or more, then "(" ("f(x)" and "P(A)" are maths)."""

_STATEMENT = re.compile(
    r"""^(?:
        <CALL>.*\)\s*[;:]?                                     # a call on its own: print(x), hello_world()
      | \w+!\(.*\)\s*;?|@[\w.]+(?:\(.*\))?                        # a macro, a decorator
      | (?:async\s+)?def\s+\w+\s*\(.*                           # Python
      | class\s+[A-Z]\w*(?:\(.*\))?\s*:|except\s+[A-Z]\w*(?:\s+as\s+\w+)?\s*:
      | from\s+[\w.]+\s+import\s+[\w, ]+|import\s+\w+[._]\w[\w.]*;?|import\s+[\w.]+\s+as\s+\w+
      | import\s+.+\s+from\s+["'].*|export\s+(?:default|const|function|class|interface|type)\b.*
      | use\s+\w+::.*;|\#(?:include|define)\s.*|using\s+namespace\s.*|using\s+[A-Z][\w.]*;
      | return;?|return\s+\S*[_().\[\]"'0-9]\S*;?|return\s+\w+\s*[-+*/%]\s*\w+;?
      | return\s+(?:None|null|nil|true|false|True|False|self|this)\b.*
      | (?:const|let|var)\s+\w+\s*=.*(?:;|[(\["'{`].*)           # JavaScript
      | function\s*\w*\s*\(.*|//.*|/\*.*
      | (?:public|private|static)\s.*\w\(.*[){]                 # Java, C#
      | (?:SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(?:TABLE|INDEX))\b.*
      | <[!/]?[A-Za-z][^>]*>(?:.*</\w+>)?                         # HTML: a tag, or an element
      | "[\w -]+"\s*:\s*\S.*|\[.*,.*\]|.*\{.*\}.*                  # JSON, literals
      | .*\s:=\s.*|.*\w\(.*\)\s*;|(?:[\w<>\[\]*]+\s+)?[\w.\[\]*]+\s=\s*[^\s;]+;|.*\{|\}.*  # Go, a C-like line
    )$""".replace("<CALL>", _CALL),
    re.VERBOSE,
)

_NOT_CODE = re.compile(
    r"https?://\S+|www\.\S+|\S+@\S+\.\w+|\]\([^)]*\)|\[\d+\]"
    r"|\b[\w-]+(?:\(\d+\))?\.(?:txt|pdf|docx?|xlsx?|csv|jpe?g|png|gif|mp[34]|zip|pptx?)\b",
    re.IGNORECASE,
)
"""Addresses, link targets, citations ("[2]") and file names: their underscores and brackets are not
marks of code."""

_MARKS = {
    "call": re.compile(rf"\b{_CALL}"),
    "identifier": re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b|\b[a-z_]\w*\.[a-z_]\w*\("),
    "operator": re.compile(r"\s(?:==|!=|<=|>=|\+=|-=|\*=|&&|\|\|)\s|^[\w.\[\]'\"]+\s*=\s*\S"),
    "quotes": re.compile(r"\"\"\"|'''"),
    "brackets": re.compile(r"[\[{]\s*['\"\w]|['\"\w]\s*[\]}]"),
    "arrow": re.compile(r"\)\s*(?:->|=>)"),
    "pair": re.compile(r"\"[\w -]+\"\s*:\s*[\"\[{\d]"),  # a JSON key and its value: "duration": "1h"
    "scope": re.compile(r"\w::\w|\s<<\s"),
    "ends_block": re.compile(rf"{_CALL}.*\)\s*:\s*$"),
    "keyword": re.compile(
        r"^(?:if|elif|else|for|while|try|except|with|return|yield|raise|import)\b.*[^.!?,]$"
    ),
}
"""Marks of code on a line; an assignment counts only as a statement ("x = [1, 2]"), not inside words
("if x = 5 then", "Your user_id = 48213")."""

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
    marked = _NOT_CODE.sub(" ", line)
    return sum(bool(mark.search(marked)) for mark in _MARKS.values()) >= 2
