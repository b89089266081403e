"""The thresholds that more than one place relies on, each stated once.

Frozen dataclasses, so a caller may pass its own (``dataclasses.replace(REVIEW, confident=0.8)``)
but nothing changes one behind another's back.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Review:
    """When a person is asked to look."""
    # a cell read less surely than this is named by cells.confident; a block's layout label less
    # sure than this is framed in red on `nianbao label`'s images; a doubtful digit the sums confirm
    # is raised to it
    confident: float = 0.9


@dataclass(frozen=True, slots=True)
class Doubt:
    """What each doubt costs a cell's confidence (the reconstructor multiplies them). Anything
    below ``Review.confident`` is named by cells.confident."""
    sure: float = 1.0
    fuzzy_label: float = 0.95       # a label matched fuzzily, with a clear lead over the next candidate
    weak_label: float = 0.7         # a label matched fuzzily without a clear lead
    aligned: float = 0.95           # placed by alignment, no rulings
    blank_aligned: float = 0.9      # a blank cell of a table without rulings: a column with no text in the row
    blank_unseen: float = 0.8       # … on a scan, where faint ink outside ruled cells may have read as nothing
    not_table_cell: float = 0.85    # the classifier did not call the block a table cell
    extra_text: float = 0.95        # 22（其中修订16件）: the number is clear, the rest is left out
    ambiguous_column: float = 0.7   # the cell overlaps two columns
    unparseable: float = 0.3
    duplicate: float = 0.5          # two rows or columns of the document claim the same template cell


REVIEW = Review()
DOUBT = Doubt()
