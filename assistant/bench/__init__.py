"""`assistant bench`: the engine's figures on a suite of recordings, said into it in real time.

suite.py loads and checks the recordings, dialogues.py scripts the passes, runner.py drives them through
`simulate`, stats.py summarises, report.py and plots.py write the results, compare.py sets two runs side
by side.
"""

from assistant.bench.suite import BenchError, Suite, SuiteFile, builtin_suite, load_suite, references

__all__ = ["BenchError", "Suite", "SuiteFile", "builtin_suite", "load_suite", "references"]
