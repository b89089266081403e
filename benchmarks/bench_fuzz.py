"""A thousand damaged and hostile PDFs through nianbao: what becomes of each kind.

    python benchmarks/bench_fuzz.py [--count 1000] [--seed 0] [--workers 2] [--timeout 20] [--cli 2]

The PDFs come from ``benchmarks/fuzz/hostile.py`` (every kind issue 17 lists, deterministic from
the seed). Each is read the way ``extract``, ``batch`` and ``serve`` read reports: in the worker
pool (``extractor.apps.workers``) within the default limits, ``--timeout`` seconds a report (the
default is 120 s; a shorter one keeps the run short, the hangs being the nests of forms). Per kind
it prints how the reports ended (a record, unreadable, over a limit, killed at the time limit, a
dead worker, an internal error), the runs that took longer than the time limit allows (the kill
must stop them; 5 s of grace for a busy machine) and the longest run, the largest peak memory of a worker during one report, and the silent
differences: cells of a damaged report whose value differs from the undamaged report's record and
that no failing check names. ``--cli N`` also runs ``nianbao extract`` on the first N files of
each kind, for its exit codes and any traceback on its terminal.
"""

from __future__ import annotations

import argparse
import pickle
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.fuzz import hostile  # noqa: E402
from extractor.apps.workers import Job, Pool  # noqa: E402
from extractor.limits import Limits  # noqa: E402
from extractor.stages.classify import load_model  # noqa: E402

ENDS = ("ok", "fail", "unreadable", "limit", "timeout", "died", "error")   # fail: a record with a failing check


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--cli", type=int, default=2, help="files of each kind also run through nianbao extract")
    args = parser.parse_args()

    limits = Limits(timeout=args.timeout)
    # Made before the pool starts: PyMuPDF holds the GIL while it writes a file of a million
    # operations, which would delay the threads that wait on the workers (and their kills).
    made = time.perf_counter()
    cases = list(hostile.cases(args.count, args.seed))
    made = time.perf_counter() - made
    pool = Pool(args.workers, pickle.dumps(load_model(), protocol=pickle.HIGHEST_PROTOCOL), limits)
    pool.start()
    ends: dict[str, Counter] = defaultdict(Counter)
    late: Counter = Counter()
    longest: dict[str, float] = defaultdict(float)
    peak: dict[str, float] = defaultdict(float)
    silent_cells: Counter = Counter()
    silent_reports: Counter = Counter()
    sample: dict[str, list[hostile.Case]] = defaultdict(list)
    lock = threading.Lock()
    started = time.perf_counter()
    try:
        bases = {b: pool.run(Job(hostile.base_bytes(b), b)).record for b in hostile.BASES}

        def read(case: hostile.Case) -> None:
            outcome = pool.run(Job(case.data, case.name))
            took = outcome.detail.get("seconds", 0.0)   # in the worker, not waiting for one
            end = outcome.kind
            silent = []
            if end == "ok":
                record = outcome.record
                end = "fail" if any(c["status"] == "fail" for c in record["checks"]) else "ok"
                if case.base:
                    silent = hostile.silent_differences(record, bases[case.base])
            with lock:
                ends[case.kind][end] += 1
                # the kill stops a report at the limit; 5 s for a busy machine to schedule it
                late[case.kind] += took > args.timeout + 5
                longest[case.kind] = max(longest[case.kind], took)
                peak[case.kind] = max(peak[case.kind], outcome.detail.get("peak_mb") or 0.0)
                silent_cells[case.kind] += len(silent)
                silent_reports[case.kind] += bool(silent)
                if len(sample[case.kind]) < args.cli:
                    sample[case.kind].append(case)

        with ThreadPoolExecutor(args.workers) as threads:
            list(threads.map(read, cases))
    finally:
        pool.close()
    elapsed = time.perf_counter() - started
    cli = run_cli(sample, limits) if args.cli else {}

    header = (f"{'kind':<20} {'n':>4} " + " ".join(f"{e:>6}" for e in ENDS)
              + f" {'late':>4} {'max s':>5} {'peak MB':>7} {'silent':>11} {'cli exit':>8} {'tb':>3} {'intern':>6}")
    print(f"{args.count} files (made in {made:.0f} s), seed {args.seed}, {args.workers} workers, "
          f"--timeout {args.timeout:g} s, read in {elapsed:.0f} s")
    print(header)
    print("-" * len(header))
    total: Counter = Counter()
    for kind in hostile.KINDS:
        if not ends[kind]:
            continue
        n = sum(ends[kind].values())
        codes, tracebacks, internal = cli.get(kind, ("", 0, 0))
        print(f"{kind:<20} {n:>4} " + " ".join(f"{ends[kind][e]:>6}" for e in ENDS)
              + f" {late[kind]:>4} {longest[kind]:>5.1f} {peak[kind]:>7.0f} {f'{silent_cells[kind]} in {silent_reports[kind]}':>11}"
              + f" {codes:>8} {tracebacks:>3} {internal:>6}")
        total.update(ends[kind])
        total["n"] += n
        total["late"] += late[kind]
        total["silent"] += silent_cells[kind]
        total["tracebacks"] += tracebacks
        total["internal"] += internal
    print("-" * len(header))
    print(f"{'all':<20} {total['n']:>4} " + " ".join(f"{total[e]:>6}" for e in ENDS)
          + f" {total['late']:>4} {max(longest.values(), default=0):>5.1f} {max(peak.values(), default=0):>7.0f} {total['silent']:>11}"
          + f" {'':>8} {total['tracebacks']:>3} {total['internal']:>6}")
    print(f"internal errors {total['error']}, tracebacks {total['tracebacks']}, runs past the time limit "
          f"{total['late']}, peak worker memory {max(peak.values(), default=0):.0f} MB "
          f"(limit {limits.max_memory_mb} MiB), silent wrong cells {total['silent']}")


def run_cli(sample: dict[str, list[hostile.Case]], limits: Limits) -> dict[str, tuple[str, int, int]]:
    """kind → (exit code of ``nianbao extract`` over the kind's sample, tracebacks, internal errors)."""
    answers = {}
    for kind, cases in sample.items():
        with tempfile.TemporaryDirectory() as tmp:
            files = []
            for case in cases:
                path = Path(tmp) / f"{case.name}.pdf"
                path.write_bytes(case.data)
                files.append(str(path))
            run = subprocess.run([sys.executable, "-m", "extractor.apps.command", "extract", *files, "-o",
                                  str(Path(tmp) / "out"), "--timeout", f"{limits.timeout:g}"],
                                 capture_output=True, text=True, errors="replace", cwd=ROOT)
            output = run.stdout + run.stderr
            lines = [ln for ln in run.stdout.splitlines() if ln.startswith(("ok ", "checks failed", "error "))]
            code = str(run.returncode) if len(lines) == len(files) else f"{run.returncode}!"   # ! a file without its line
            answers[kind] = (code, output.count("Traceback"), len(re.findall(r"internal error", output)))
    return answers


if __name__ == "__main__":
    main()
