"""Shared settings and bookkeeping of the property-based (hypothesis) tests.

Every fuzz test runs `CASES` generated cases with a derandomised, database-free seed (the same cases on
every machine, nothing remembered between runs), records how many ran and how long they took, and
conftest prints the table at the end of the test run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from hypothesis import HealthCheck, settings

CASES = 1000

FUZZ = settings(
    max_examples=CASES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)


@dataclass
class Tally:
    """What one fuzz test saw: cases run, by outcome, and the wall time."""

    surface: str
    cases: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0

    def count(self, outcome: str) -> None:
        self.cases += 1
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        self.seconds = time.monotonic() - self.started

    def line(self) -> str:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items(), key=lambda kv: -kv[1]))
        return f"{self.surface}: {self.cases} cases in {self.seconds:.1f} s ({kinds})"


TALLIES: list[Tally] = []


def tally(surface: str) -> Tally:
    result = Tally(surface)
    TALLIES.append(result)
    return result
