"""What one report may cost: the limits a user sees and sets, the same in extract, batch and serve.

Each limit is an option and an environment variable of every command that reads reports (see the
README's limits table); a report beyond one is refused with ``LimitExceeded``, whose message names
the limit and its option.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    timeout: float | None = 120.0     # seconds one report may take (the worker is then killed); None: no limit
    max_pages: int | None = None      # pages a report may have, counted before it is read


def flag(option: str) -> str:
    """How a message names a limit: its option and its environment variable."""
    return f"{option}, NIANBAO_{option.removeprefix('--').replace('-', '_').upper()}"
