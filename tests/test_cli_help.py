"""Every option of every `assistant` subcommand says what it does in `--help` (`-h` aside), and the
README's command listing names the flags of `assistant mic`."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.bench.command import add_arguments
from assistant.cli import build_parser

README = Path(__file__).resolve().parent.parent / "README.md"


def parsers(parser: argparse.ArgumentParser, name: str) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """`parser` and, depth first, every subcommand's parser, each with its command line."""
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from parsers(sub, f"{name} {sub_name}")


def undocumented(parser: argparse.ArgumentParser) -> list[str]:
    """The options and positionals of `parser` (not -h, not the subcommand list) without help text."""
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if isinstance(action, argparse._SubParsersAction):
            missing += [f"command {c.dest}" for c in action._choices_actions if not (c.help or "").strip()]
            continue
        if action.help == argparse.SUPPRESS or not (action.help or "").strip():
            missing.append("/".join(action.option_strings) or action.dest)
    return missing


def bench_module_parser() -> argparse.ArgumentParser:
    """What `python -m assistant.bench` adds its options to."""
    parser = argparse.ArgumentParser(prog="python -m assistant.bench")
    add_arguments(parser)
    return parser


ALL = [*parsers(build_parser(), "assistant"), ("python -m assistant.bench", bench_module_parser())]


@pytest.mark.parametrize(("command", "parser"), ALL, ids=[c for c, _ in ALL])
def test_every_option_has_help(command, parser):
    assert undocumented(parser) == [], f"`{command}` has options without help"
    text = parser.format_help()
    for action in parser._actions:
        if action.option_strings and not isinstance(action, argparse._HelpAction):
            shown = " ".join(action.help.split()[:3])
            assert shown in " ".join(text.split()), (command, action.option_strings)


def test_the_walk_sees_every_subcommand_and_would_catch_a_bare_option():
    assert {c for c, _ in ALL} >= {f"assistant {c}" for c in ("mic", "simulate", "serve", "bench", "devices")}
    bare = argparse.ArgumentParser()
    bare.add_argument("--quiet", action="store_true")
    bare.add_argument("--shown", help="said")
    assert undocumented(bare) == ["--quiet"]


def test_the_readme_lists_every_flag_of_mic():
    listing = re.search(r"- `assistant mic (\[.*?)` ", README.read_text(encoding="utf-8"), re.S)
    assert listing, "the README's command listing lost `assistant mic`"
    said = set(re.findall(r"--[a-z-]+", listing.group(1)))
    mic = dict(parsers(build_parser(), "assistant"))["assistant mic"]
    own = {
        option
        for action in mic._actions
        for option in action.option_strings
        if option.startswith("--")
        and option not in ("--help", "--config", "--set", "--llm-url", "--tools")
        and option != "--verbose"
    }
    assert own - said == set()
