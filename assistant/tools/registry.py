"""The tools one assistant offers, by name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from assistant.tools.declare import Tool, ToolOptions, make_tool
from assistant.tools.loading import ToolLoadError


class ToolRegistry:
    def __init__(self, tools: list[Tool] | None = None) -> None:
        self._tools: dict[str, Tool] = {}
        for t in tools or []:
            self.add(t)

    def add(self, item: Tool | Callable[..., Any], options: ToolOptions | None = None) -> Tool:
        """Register a Tool or a plain function (registration instead of the decorator)."""
        t = item if isinstance(item, Tool) else make_tool(item, options)
        if t.name in self._tools and self._tools[t.name].fn is not t.fn:
            raise ToolLoadError(f"two tools are named {t.name!r}; rename one with @tool(name=...)")
        self._tools[t.name] = t
        return t

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def openai_schemas(self) -> list[dict[str, Any]]:
        return [t.openai_schema() for t in self]
