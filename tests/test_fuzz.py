"""The fuzz suite's committed set: one damaged or hostile PDF of every kind (benchmarks/fuzz/hostile.py,
made at test time from seed 0), read as ``extract``, ``batch`` and ``serve`` read them: in the worker
pool, within the default limits and a 10 s time limit. ``benchmarks/bench_fuzz.py`` runs a thousand.
"""

from __future__ import annotations

import json
import pickle
from concurrent.futures import ThreadPoolExecutor

import pytest

from benchmarks.fuzz import hostile
from extractor.apps.workers import Job, Pool
from extractor.limits import Limits
from extractor.stages.classify import load_model

# nested_forms runs for minutes and must end by the limit; the slowest of the others (cid_garbage,
# its page read by OCR) takes 0.7 s of CPU: at 3 s it timed out on a machine loaded 3 times over
TIMEOUT = 10.0
# what becomes of each kind of the committed set: a record (the check that fails, if any, names
# the damage), a refusal as bad input, a limit, or the time limit
EXPECTED = {
    "truncated": "unreadable", "flip_compressed": "ok", "flip_uncompressed": "ok", "zeroed_compressed": "ok",
    "zeroed_uncompressed": "ok", "flip_anywhere": "ok", "broken_xref": "ok", "duplicate_objects": "unreadable",
    "stray_bytes": "ok", "encrypted_owner": "ok", "encrypted_user": "unreadable", "rotated": "ok",
    "blank_pages": "limit", "huge_page": "limit", "huge_image": "limit", "deep_nesting": "ok",
    "recursive_form": "ok", "nested_forms": "timeout", "many_drawings": "limit", "many_text_runs": "limit",
    "cid_garbage": "ok",
}


@pytest.fixture(scope="module")
def outcomes():
    cases = hostile.one_of_each(seed=0)
    pool = Pool(2, pickle.dumps(load_model(), protocol=pickle.HIGHEST_PROTOCOL), Limits(timeout=TIMEOUT))
    pool.start()
    try:
        with ThreadPoolExecutor(2) as threads:
            bases = dict(zip(hostile.BASES, threads.map(
                lambda b: pool.run(Job(hostile.base_bytes(b), b)).record, hostile.BASES)))
            results = list(threads.map(lambda c: pool.run(Job(c.data, c.name)), cases))
    finally:
        pool.close()
    return {c.kind: (c, outcome) for c, outcome in zip(cases, results)}, bases


def test_every_kind_is_in_the_set(outcomes):
    assert sorted(outcomes[0]) == sorted(hostile.KINDS) == sorted(EXPECTED)


def test_each_kind_ends_as_expected(outcomes):
    assert {kind: outcome.kind for kind, (_, outcome) in outcomes[0].items()} == EXPECTED


def test_no_internal_error_and_every_reason_one_line(outcomes):
    for kind, (_, outcome) in outcomes[0].items():
        assert outcome.kind not in ("error", "died", "setup"), (kind, outcome.reason)
        if outcome.reason is not None:
            assert "\n" not in outcome.reason and "internal error" not in outcome.reason


def test_every_record_is_utf8_json(outcomes):
    for _, outcome in outcomes[0].values():
        if outcome.kind == "ok":
            json.dumps(outcome.record, ensure_ascii=False).encode("utf-8")


def test_no_damaged_report_changes_a_value_silently(outcomes):
    cases, bases = outcomes
    silent = {kind: hostile.silent_differences(outcome.record, bases[case.base])
              for kind, (case, outcome) in cases.items() if case.base and outcome.kind == "ok"}
    assert silent == {kind: [] for kind in silent}


def test_damage_mupdf_reported_fails_source_intact(outcomes):
    for kind, (_, outcome) in outcomes[0].items():
        if outcome.kind != "ok":
            continue
        damaged = any("：内容损坏（" in p or "经 MuPDF 修复" in p for p in outcome.record["problems"])
        intact = next(c for c in outcome.record["checks"] if c["rule"] == "source.intact")
        assert intact["status"] == ("fail" if damaged else "pass"), (kind, outcome.record["problems"])
