"""Reading a config file, and saying what is wrong with it in words that point at the place.

A YAML error names the file, line and column (PyYAML says "<unicode string>" for text it was handed); a
key that appears twice in one mapping is refused with both lines (PyYAML keeps the last one without a
word); an unknown section or key lists the valid ones, with the closest as a suggestion.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, ScalarNode

MERGE_TAG = "tag:yaml.org,2002:merge"


class ConfigError(ValueError):
    """A config that cannot be used, with a message that names the offending key."""


class DuplicateKeyError(ConstructorError):
    """A mapping that holds the same key twice: `key`, and the marks of its first and second place."""

    def __init__(self, key: Any, first: yaml.Mark, again: yaml.Mark) -> None:
        super().__init__("while constructing a mapping", first, f"found duplicate key {key!r}", again)
        self.key, self.first, self.again = key, first, again


class StrictLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key repeated within one mapping (merge keys `<<` may be overridden,
    as YAML allows)."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=False)
            try:
                first = seen.setdefault(key, key_node.start_mark)
            except TypeError:  # unhashable: the constructor below says so
                continue
            if first is not key_node.start_mark:
                raise DuplicateKeyError(key, first, key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def _at(mark: yaml.Mark | None) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark else "an unknown place"


def _yaml_problem(source: Path, text: str, exc: yaml.YAMLError) -> str:
    """`exc` in one sentence that names the file and the place."""
    if isinstance(exc, DuplicateKeyError):
        return (
            f"{source}: duplicate key {exc.key!r} at line {exc.again.line + 1} (first at line "
            f"{exc.first.line + 1}): a key may appear once in a mapping"
        )
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        return f"{source}: not valid YAML at line {line}: character #x{exc.character:04x}: {exc.reason}"
    if isinstance(exc, yaml.MarkedYAMLError):
        where = exc.problem_mark or exc.context_mark
        said = exc.problem or exc.context or "cannot be parsed"
        if exc.context and exc.problem:
            start = f" that starts at {_at(exc.context_mark)}" if exc.context_mark else ""
            said += f" ({exc.context}{start})"
        return f"{source}: not valid YAML at {_at(where)}: {said}"
    return f"{source}: not valid YAML: {exc}"


def read_yaml(source: Path) -> Any:
    """The YAML document in `source` (None when empty); ConfigError says what stops it being read."""
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {source}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {source}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: not UTF-8 text") from None
    try:
        loader = StrictLoader(text)
    except yaml.YAMLError as exc:  # the reader checks the characters before anything is parsed
        raise ConfigError(_yaml_problem(source, text, exc)) from None
    loader.name = str(source)  # what PyYAML's own messages call it
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise ConfigError(_yaml_problem(source, text, exc)) from None
    finally:
        loader.dispose()


def flag_value(model: type[BaseModel], key: str, text: str) -> Any:
    """A flag's or environment variable's `text` for `key` of `model`: "" is None, else YAML (a SafeLoader:
    no arbitrary objects; a key given twice is refused with ConfigError); but for a key that takes text
    (`wants_text`) the text as typed unless YAML reads a null ("null", "~"), and text as typed where YAML
    reads none (`Say: "hi`)."""
    if text == "":
        return None
    try:
        parsed = yaml.load(text, Loader=StrictLoader)
    except DuplicateKeyError as exc:
        raise ConfigError(f"{key}={text}: duplicate key {exc.key!r}: a key may appear once") from None
    except yaml.YAMLError:
        return text
    return text if parsed is not None and wants_text(model, key) else parsed


def wants_text(model: type[BaseModel], dotted: str) -> bool:
    """Whether the key `dotted` ("llm.system_prompt") of `model` takes text (str, or str or None): a flag's
    value for it is then the text as typed, whatever YAML would read in it ("Say: hi" is a mapping to
    YAML, "yes" a boolean, "0.5" a number)."""
    *parents, leaf = dotted.split(".")
    section = _section(model, parents)
    field = section.model_fields.get(leaf) if section else None
    return field is not None and field.annotation in (str, str | None)


def _section(model: type[BaseModel], path: list[int | str] | list[str]) -> type[BaseModel] | None:
    """The model of the section `path` leads to through `model`'s fields (None: it leads elsewhere)."""
    for part in path:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        inner = field.annotation if field else None
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            return None
        model = inner
    return model


def _unknown(model: type[BaseModel], loc: tuple[int | str, ...]) -> str | None:
    """A key at `loc` that `model` does not have, said with the valid ones and the closest of them; None
    when `loc` does not lead through `model`'s sections."""
    *parents, leaf = loc
    section = _section(model, parents)
    if section is None:
        return None
    valid = list(section.model_fields)
    prefix = "".join(f"{p}." for p in parents)
    close = difflib.get_close_matches(str(leaf), valid, n=1)
    guess = f" (did you mean {prefix + close[0]!r}?)" if close else ""
    what = "section" if not parents else "key"
    where = f" in {'.'.join(map(str, parents))}" if parents else ""
    return f"unknown {what} {prefix + str(leaf)!r}{guess}; valid{where}: {', '.join(valid)}"


def describe(exc: ValidationError, model: type[BaseModel]) -> list[str]:
    """Each problem in `exc` as "dotted.key: what is wrong" (an unknown key: the valid ones instead)."""
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        said = _unknown(model, loc) if err["type"] == "extra_forbidden" and loc else None
        where = ".".join(str(p) for p in loc) or "(top level)"
        problems.append(said or f"{where}: {err['msg']}")
    return problems
