"""Across reports: one issuer's years compared, and a superior office's list of the units it expects.

Not a stage of the one-PDF pipeline: these functions read the records the pipeline wrote (the
``nianbao/2`` dicts) and return plain dataclasses and ``Check``s; the front ends (``nianbao compare``,
``batch``) write what a person reads.

- ``issuers``: the body an issuer name designates (``issuer_key``), its level from its name, the
  pairing of each report with the same body's report of the year before, the expected units;
- ``figures``: key figures of two years side by side, with the change, its ratio and the rule that
  flags a large change; ``series.carry_over`` and ``series.in_force``;
- ``copying``: the share of a section's own sentences found (nearly) verbatim in last year's report,
  the sentences every report uses learned from the records at hand;
- ``compare``: all of it for one pair, as a ``Comparison``.
"""
