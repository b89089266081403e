"""Files per second of ``nianbao batch``: 1 and 2 local workers, and Dask with 2 workers.

    python benchmarks/bench_batch.py [--rounds N] [--timeout S] [--model DIR]

Each configuration reads every fixture PDF ``rounds`` times through the same executors and worker
children as ``nianbao batch`` (no records are written, no dedupe). It prints the time to the first
record (starting the worker processes: importing the pipeline, unpickling the model; for Dask
also starting a LocalCluster on 127.0.0.1) and files per second over the whole run and after the first
record of every worker, i.e. once the workers are warm. Wall time on a shared machine: run it alone.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractor.apps.batch import Job, dask_executor, file_sha256, local_executor, results  # noqa: E402
from extractor.limits import Limits  # noqa: E402
from extractor.stages.classify import load_model  # noqa: E402


def measure(executor, jobs: list[Job]) -> tuple[float, float, float, int]:
    t0 = time.perf_counter()
    with executor as (submit, wait, slots):
        done, failed = [], 0
        for _, outcome in results(jobs, submit, wait, slots):
            done.append(time.perf_counter() - t0)
            failed += outcome.kind != "ok"
    warm = done[slots - 1] if len(done) > slots else done[0]
    steady = (len(done) - slots) / (done[-1] - warm) if len(done) > slots else float("nan")
    return done[0], len(done) / done[-1], steady, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="times each fixture is read")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--model", default=os.environ.get("NIANBAO_MODEL"),
                        help="layout model (default: NIANBAO_MODEL or the shipped one)")
    args = parser.parse_args()
    pdfs = sorted((ROOT / "fixtures").glob("*.pdf"))
    jobs = [Job(p, file_sha256(p), p.stem) for p in pdfs] * args.rounds
    model = pickle.dumps(load_model(args.model), protocol=pickle.HIGHEST_PROTOCOL)
    limits = Limits(timeout=args.timeout)
    print(f"{len(pdfs)} fixture PDFs × {args.rounds} rounds = {len(jobs)} files, "
          f"{len(os.sched_getaffinity(0))} cores")
    print(f"{'executor':<16} {'first record':>12} {'files/s':>8} {'warm files/s':>13} {'failed':>6}")
    for label, executor in (
        ("local, 1 worker", local_executor(1, model, limits)),
        ("local, 2 workers", local_executor(2, model, limits)),
        ("dask, 2 workers", dask_executor(2, model, limits, None)),
    ):
        first, overall, steady, failed = measure(executor, jobs)
        print(f"{label:<16} {first:>11.1f}s {overall:>8.2f} {steady:>13.2f} {failed:>6}", flush=True)


if __name__ == "__main__":
    main()
