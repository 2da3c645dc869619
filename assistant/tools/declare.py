"""Plain Python functions become tools: the signature, type hints and docstring are the whole declaration.

pydantic turns the parameters into a JSON schema (what the LLM sees) and a model that validates the
arguments before every call. Parameters typed `ToolContext` are filled in by the assistant and never
appear in the schema.
"""

from __future__ import annotations

import functools
import inspect
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, get_args, get_origin, overload

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PydanticSchemaGenerationError,
    ValidationError,
    create_model,
)

from assistant.tools.context import ToolContext

MARK = "__assistant_tool__"


class ToolDefinitionError(ValueError):
    """A function that cannot become a tool; the message names the function and the reason."""


class NotUnderstood(ValueError):
    """Raised by a tool whose arguments name nothing it knows (a unit, a time zone, words that are no
    calculation): the request was probably read wrong. From the speech-to-intent fast path the turn then
    goes to the LLM instead of the error being said ("How many kilometres is a marathon?" had become
    convert_units(1, "marathon", "kilometres")); to the LLM, and from it to the user, it is an error like
    any other, its message said."""


@dataclass(frozen=True)
class ToolOptions:
    name: str | None = None
    description: str | None = None
    timeout_s: float = 10.0
    """A call that takes longer is abandoned and reported to the LLM as timed out."""
    cancel_on_interrupt: bool = True
    """A barge-in cancels the call (a lookup); False lets it finish (a purchase half made)."""
    confirm: bool | str = False
    """Side effects: the assistant asks first (this text, if one is given), and only the person's spoken
    yes runs it."""
    destructive: bool | None = None
    """It destroys or spends what cannot be undone: only a request that names its object (`objects`)
    calls it, by the fast path or the LLM. None: destructive when it asks to `confirm`."""
    objects: tuple[str, ...] = ()
    """Words that name what the tool acts on; default: its name without the verb (delete_notes: notes)."""
    examples: tuple[str, ...] = ()
    """Phrasings that should call this tool; they teach the speech-to-intent fast path."""
    intent: bool = True
    """Whether the fast path may call this tool straight from the transcript."""
    say: str | None = None
    """Template for speaking the result without the LLM, e.g. "It is {result}."; default: the result."""


@overload
def tool(fn: Callable[..., Any]) -> Callable[..., Any]: ...
@overload
def tool(
    fn: None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout_s: float = 10.0,
    cancel_on_interrupt: bool = True,
    confirm: bool | str = False,
    destructive: bool | None = None,
    objects: list[str] | tuple[str, ...] = (),
    examples: list[str] | tuple[str, ...] = (),
    intent: bool = True,
    say: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]: ...


def tool(fn: Callable[..., Any] | None = None, **options: Any) -> Any:
    """Mark a function as a tool: `@tool` or `@tool(timeout_s=3, confirm=True, examples=[...])`.

    The function is returned unchanged, so it stays an ordinary function that tests can call.
    """
    for key in ("examples", "objects"):
        if key in options:
            options[key] = tuple(options[key])
    opts = ToolOptions(**options)

    def mark(f: Callable[..., Any]) -> Callable[..., Any]:
        setattr(f, MARK, opts)
        return f

    return mark(fn) if fn is not None else mark


@dataclass
class Tool:
    """A function with its schema, argument model and options, ready to be offered and called."""

    name: str
    description: str
    fn: Callable[..., Any]
    options: ToolOptions
    arguments: type[BaseModel]
    context_params: tuple[str, ...] = ()
    param_docs: dict[str, str] = field(default_factory=dict)

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.fn)

    @functools.cached_property
    def choices(self) -> tuple[str, ...]:
        """Every string choice its parameters offer (the enums of its schema: "kitchen", "living room"),
        made once: the reply guard asks on every reply (`guard_context.unasked_choices`), and the schema
        takes pydantic ~0.3 ms a tool."""
        return tuple(_enums(self.parameters_schema()))

    def parameters_schema(self) -> dict[str, Any]:
        schema = self.arguments.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        return schema

    def openai_schema(self) -> dict[str, Any]:
        """The entry of the OpenAI `tools` list."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters_schema(),
            },
        }

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Checked and converted arguments; raises pydantic's ValidationError with what is wrong."""
        model = self.arguments.model_validate(arguments)
        return {name: getattr(model, name) for name in type(model).model_fields}

    def signature_text(self) -> str:
        """A one-line description for prompts: name(param: type, ...) — what it does."""
        schema = self.parameters_schema()
        required = set(schema.get("required", []))

        def kind(prop: dict[str, Any]) -> str:
            if "enum" in prop:
                return "|".join(map(str, prop["enum"]))
            options = [kind(p) for p in prop.get("anyOf", []) if p.get("type") != "null"]
            return " or ".join(options) or prop.get("format") or prop.get("type", "object")

        params = ", ".join(
            f"{k}: {kind(v)}{'' if k in required else ' (optional)'}"
            for k, v in schema.get("properties", {}).items()
        )
        return f"{self.name}({params}) — {self.description}"


def _docstring(fn: Callable[..., Any]) -> tuple[str, dict[str, str]]:
    """The summary paragraph, and per-parameter lines of a Google-style `Args:` section."""
    doc = inspect.getdoc(fn) or ""
    parts = re.split(r"\n\s*(?:Args|Arguments|Parameters):\s*\n", doc, maxsplit=1)
    summary = " ".join(parts[0].split("\n\n")[0].split())
    params: dict[str, str] = {}
    if len(parts) == 2:
        for match in re.finditer(r"^\s*(\w+)(?:\s*\([^)]*\))?:\s*(.+)$", parts[1], re.MULTILINE):
            params[match.group(1)] = match.group(2).strip()
    return summary, params


def _is_context(annotation: Any) -> bool:
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return isinstance(annotation, type) and issubclass(annotation, ToolContext)


def _field(annotation: Any, default: Any, doc: str | None) -> tuple[Any, Any]:
    """`Annotated[int, "minutes"]` is accepted as shorthand for a description."""
    description = doc
    if get_origin(annotation) is Annotated:
        base, *meta = get_args(annotation)
        texts = [m for m in meta if isinstance(m, str)]
        if texts:
            description = texts[0]
            kept = [m for m in meta if not isinstance(m, str)]
            annotation = Annotated[(base, *kept)] if kept else base
    extra = {"description": description} if description else {}
    return annotation, Field(default=... if default is inspect.Parameter.empty else default, **extra)


FILE_MODULE = "assistant_tools_"
"""How the loader names a tools file's module; an error in one names the function alone, after the path."""


def make_tool(fn: Callable[..., Any], options: ToolOptions | None = None) -> Tool:
    """Build a Tool from a function; raises ToolDefinitionError saying which parameter and why."""
    opts = options or getattr(fn, MARK, None) or ToolOptions()
    name = opts.name or fn.__name__
    module = getattr(fn, "__module__", None) or "?"
    where = fn.__qualname__ if module.startswith(FILE_MODULE) else f"{module}.{fn.__qualname__}"
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", name):
        raise ToolDefinitionError(f"{where}: tool name {name!r} must be letters, digits and underscores")
    summary, param_docs = _docstring(fn)
    description = opts.description or summary
    if not description:
        raise ToolDefinitionError(f"{where}: needs a docstring saying what it does (the LLM reads it)")
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception as exc:
        raise ToolDefinitionError(f"{where}: its type hints cannot be resolved ({exc})") from None
    fields: dict[str, Any] = {}
    context: list[str] = []
    for param in inspect.signature(fn).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise ToolDefinitionError(f"{where}: *args and **kwargs cannot be described to the LLM")
        if param.name not in hints:
            raise ToolDefinitionError(f"{where}: parameter {param.name!r} needs a type hint")
        annotation = hints[param.name]
        if _is_context(annotation):
            context.append(param.name)
            continue
        fields[param.name] = _field(annotation, param.default, param_docs.get(param.name))
    try:
        model = create_model(  # type: ignore[call-overload]
            f"{name}_arguments", __config__=ConfigDict(extra="forbid"), **fields
        )
        model.model_json_schema()
    except (PydanticSchemaGenerationError, TypeError, ValueError) as exc:
        reason = re.sub(rf"\b{FILE_MODULE}\w+\.", "", str(exc).splitlines()[0])  # "<class 'Opaque'>"
        raise ToolDefinitionError(f"{where}: its parameters cannot become a JSON schema ({reason})") from None
    made = Tool(name, description, fn, opts, model, tuple(context), param_docs)
    from assistant.tools.intent.gate import is_destructive, object_words

    if is_destructive(made) and not object_words(made):
        raise ToolDefinitionError(
            f"{where}: a destructive tool must say what it acts on: name it verb_object (delete_notes) "
            "or pass objects=[...]"
        )
    return made


__all__ = ["MARK", "Tool", "ToolDefinitionError", "ToolOptions", "ValidationError", "make_tool", "tool"]


def _enums(schema: Any) -> list[str]:
    """Every string of every "enum" in a JSON schema."""
    if isinstance(schema, list):
        return [e for item in schema for e in _enums(item)]
    if not isinstance(schema, dict):
        return []
    own = [v for v in schema.get("enum", ()) if isinstance(v, str)]
    return own + [e for k, v in schema.items() if k != "enum" for e in _enums(v)]
