"""Pure one-dimensional geometry of ruling lines: positions clustered into lines, collinear
pieces joined, and the groups that touching pieces form.

A segment here is ``(position, start, end)``: a horizontal line's y and x-extent, or a vertical
line's x and y-extent, in whatever unit the caller uses (PDF points for a text layer, pixels for
a scan). Nothing here knows PyMuPDF, images or models.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")
Segment = tuple[float, float, float]


def cluster(items: Iterable[T], tol: float, key: Callable[[T], float]) -> list[list[T]]:
    """Items sorted by ``key``, cut wherever two neighbours lie more than ``tol`` apart: a run of
    positions each within ``tol`` of the last is one line, however far its ends drift."""
    runs: list[list[T]] = []
    last = 0.0
    for item in sorted(items, key=key):
        at = key(item)
        if runs and at - last <= tol:
            runs[-1].append(item)
        else:
            runs.append([item])
        last = at
    return runs


def positions_to_lines(positions: Iterable[float], tol: float) -> list[float]:
    """Positions within ``tol`` of a neighbour are one line; the line is their mean."""
    return [math.fsum(run) / len(run) for run in cluster(positions, tol, float)]


def join_spans(spans: Iterable[tuple[float, float]], gap: float) -> list[tuple[float, float]]:
    """``(start, end)`` spans on one line, those overlapping or at most ``gap`` apart joined."""
    joined: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if joined and a <= joined[-1][1] + gap:
            joined[-1] = (joined[-1][0], max(joined[-1][1], b))
        else:
            joined.append((a, b))
    return joined


def segments_to_lines(segments: Iterable[Segment], tol: float) -> list[Segment]:
    """Segments whose positions chain within ``tol`` (a text layer's collinear pieces, drawn at
    one position up to rounding) joined where they overlap or lie at most ``tol`` apart; each line
    at its pieces' mean position."""
    joined: list[Segment] = []
    for track in cluster(segments, tol, key=lambda s: s[0]):
        pos = math.fsum(s[0] for s in track) / len(track)
        joined += [(pos, a, b) for a, b in join_spans(((s[1], s[2]) for s in track), tol)]
    return joined


def pieces_to_lines(pieces: Iterable[Segment], tol: float) -> list[Segment]:
    """Pieces of lines found in a scan's pixels, joined across gaps up to ``tol``. A scanned line
    is slightly tilted and its pieces drift, so a piece joins the line whose running position, its
    pieces' mean weighted by length, lies within ``tol / 2`` (chaining would let neighbouring
    lines of a dense table run together)."""
    joined: list[list[float]] = []
    for pos, a, b in sorted(pieces, key=lambda s: (s[1], s[0])):
        for j in joined:
            if abs(j[0] - pos) <= tol / 2 and a <= j[2] + tol and b >= j[1] - tol:
                j[0] = (j[0] * (j[2] - j[1]) + pos * (b - a)) / max(j[2] - j[1] + b - a, 1)
                j[1], j[2] = min(j[1], a), max(j[2], b)
                break
        else:
            joined.append([pos, a, b])
    return [(j[0], j[1], j[2]) for j in joined]


class UnionFind:
    """Disjoint sets over ``0 … n-1``, with path halving."""

    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(self, child: int, root: int) -> None:
        """Put ``child``'s set under ``root``'s."""
        self.parent[self.find(child)] = self.find(root)
