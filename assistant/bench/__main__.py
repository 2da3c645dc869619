"""`python -m assistant.bench ...`: the same as `assistant bench ...` (see command.py)."""

from __future__ import annotations

import argparse
import logging
import sys

from assistant.bench import command
from assistant.bench.suite import BenchError


def main(argv: list[str] | None = None) -> int:
    from assistant.audio import AudioFileError
    from assistant.cli import _common, _config
    from assistant.config import ConfigError
    from assistant.models import ModelError
    from assistant.tools import ToolLoadError

    parser = argparse.ArgumentParser(prog="python -m assistant.bench", description=__doc__)
    _common(parser)
    command.add_arguments(parser)
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    try:
        return command.compare(args) if args.compare else command.run(args, ["bench", *argv], _config)
    except (ConfigError, AudioFileError, ModelError, BenchError, ToolLoadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
