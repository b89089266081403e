"""Moved to ``extractor.learning.training`` (the ``nianbao train`` command needs it installed); kept as the
name the training scripts and benchmarks import."""

from extractor.learning.training import UNMATCHED, match_labels, match_truth, read_truth_blocks

__all__ = ["UNMATCHED", "match_labels", "match_truth", "read_truth_blocks"]
