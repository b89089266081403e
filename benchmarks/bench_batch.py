"""Files per second of ``nianbao batch``: 1 and 2 local workers, and Dask with 2 workers.

    python benchmarks/bench_batch.py [--rounds N] [--timeout S] [--model DIR]

Each configuration reads every fixture PDF ``rounds`` times through the same executors and worker
children as ``nianbao batch`` (no records are written, no dedupe). It prints first the start-up of
one worker process alone (importing the pipeline, unpickling the model, warming up: what every
batch worker, and the service replacing a killed one, pays), then per configuration the time to
set up the executor (for Dask, starting a LocalCluster on 127.0.0.1), the time to the first
record (the workers' start-up included) and files per second over the whole run and after the
first record of every worker, i.e. once the workers are warm. Wall time on a shared machine: run
it alone.
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractor.apps import workers  # noqa: E402
from extractor.apps.batch import Job, dask_executor, file_sha256, local_executor, results  # noqa: E402
from extractor.limits import Limits  # noqa: E402
from extractor.stages.classify import load_model  # noqa: E402


def worker_start(model: bytes, limits: Limits) -> float:
    """Seconds from starting a worker process to its being ready for a report."""
    t0 = time.perf_counter()
    worker = workers.Worker(model, limits)
    try:
        worker.wait_ready()
        return time.perf_counter() - t0
    finally:
        worker.close()


def measure(executor, jobs: list[Job]) -> tuple[float, float, float, float, int]:
    t0 = time.perf_counter()
    with executor as (submit, wait, slots):
        setup = time.perf_counter() - t0
        done, failed = [], 0
        for _, outcome in results(jobs, submit, wait, slots):
            done.append(time.perf_counter() - t0)
            failed += outcome.kind != "ok"
    warm = done[slots - 1] if len(done) > slots else done[0]
    steady = (len(done) - slots) / (done[-1] - warm) if len(done) > slots else float("nan")
    return setup, done[0], len(done) / done[-1], steady, failed


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
    start = statistics.median(worker_start(model, limits) for _ in range(3))
    print(f"one worker process starts in {start:.2f} s (median of 3)")
    print(f"{'executor':<16} {'set-up':>7} {'first record':>12} {'files/s':>8} {'warm files/s':>13} {'failed':>6}")
    for label, executor in (
        ("local, 1 worker", local_executor(1, model, limits)),
        ("local, 2 workers", local_executor(2, model, limits)),
        ("dask, 2 workers", dask_executor(2, model, limits, None)),
    ):
        setup, first, overall, steady, failed = measure(executor, jobs)
        print(f"{label:<16} {setup:>6.2f}s {first:>11.2f}s {overall:>8.2f} {steady:>13.2f} {failed:>6}", flush=True)


if __name__ == "__main__":
    main()
