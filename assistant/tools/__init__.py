"""Tools: plain Python functions the assistant can call by voice (see README "Writing tools")."""

from assistant.tools.calls import ToolCall, run_call
from assistant.tools.context import ToolContext
from assistant.tools.declare import NotUnderstood, Tool, ToolDefinitionError, ToolOptions, make_tool, tool
from assistant.tools.loading import ToolLoadError, load_entry_points, load_spec
from assistant.tools.registry import ToolRegistry

__all__ = [
    "NotUnderstood",
    "Tool",
    "ToolCall",
    "ToolContext",
    "ToolDefinitionError",
    "ToolLoadError",
    "ToolOptions",
    "ToolRegistry",
    "load_entry_points",
    "load_spec",
    "make_tool",
    "run_call",
    "tool",
]
