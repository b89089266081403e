"""A generated province: ``nianbao batch --expect`` over 200 issuers × 3 years, locally and on Dask.

    python benchmarks/bench_province.py [--issuers 200] [--years 2021 2022 2023] [--workers 2] [--keep DIR]

``training.series.province`` writes every issuer's consecutive years (typeset.py), one issuer in
seven with a fault in its last year (broken carry-over, 现行有效 not holding, 第五部分 copied, a
jump in 本年新收, the name written another way), two issuers' last report withheld and one issuer
not on the expected list. The batch runs twice, on the local executor (the baseline) and on a Dask
LocalCluster, with the same ``--expect`` list; the benchmark asserts that the series outputs
(``series.csv``, ``series.parquet``, the series checks and the expected units of ``summary.json``)
are identical, and prints per rule the faults found, missed and the findings on pairs with no such
fault, the units found missing and not listed, and the wall times as ratios against the local run
(with the share of the local run the comparison across years takes, timed on the records alone).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyarrow.parquet as pq  # noqa: E402

from extractor.apps.dataset import batch_series  # noqa: E402
from training.series import province, write_series  # noqa: E402

RULE_OF = {"carry_over": ("series.carry_over", "fail"), "in_force": ("series.in_force", "warn"),
           "copied": ("series.copied_prose", "fail"), "jump": ("series.change", "warn")}


def run(folder: Path, out: Path, units: Path, executor: str, workers: int) -> float:
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "extractor.apps.command", "batch", str(folder), "-o", str(out),
                           "--workers", str(workers), "--executor", executor, "--expect", str(units)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"batch on {executor} exited {done.returncode}: {done.stderr[-2000:]}")
    return time.perf_counter() - t0


def series_checks(out: Path) -> list[tuple]:
    rows = pq.read_table(out / "checks.parquet").to_pylist()
    return sorted((r["file"], r["rule"], r["status"], r["message"]) for r in rows
                  if r["rule"].startswith("series."))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issuers", type=int, default=200)
    parser.add_argument("--years", type=int, nargs="+", default=[2021, 2022, 2023])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", type=Path, help="keep the reports and both outputs here")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="province-"))
    folder = work / "reports"
    t0 = time.perf_counter()
    p = province(args.seed, args.issuers, args.years)
    for s in p.series:
        write_series(folder, s)
    for extra in folder.glob("*.blocks.jsonl"):
        extra.unlink()
    reports = sum(len(s.reports) for s in p.series)
    print(f"{args.issuers} issuers × {len(args.years)} years: {reports} reports generated in "
          f"{time.perf_counter() - t0:.0f} s ({len(p.withheld)} withheld, 1 not on the list)")
    units = work / "units.csv"
    units.write_text("发布机关\n" + "\n".join(p.expected) + "\n", "utf-8")

    times, outs = {}, {}
    for executor in ("local", "dask"):
        out = work / f"out-{executor}"
        shutil.rmtree(out, ignore_errors=True)
        times[executor] = run(folder, out, units, executor, args.workers)
        outs[executor] = out
    local, dask = outs["local"], outs["dask"]
    same_csv = (local / "series.csv").read_bytes() == (dask / "series.csv").read_bytes()
    same_parquet = pq.read_table(local / "series.parquet").equals(pq.read_table(dask / "series.parquet"))
    same_checks = series_checks(local) == series_checks(dask)
    summaries = {k: json.loads((o / "summary.json").read_text("utf-8")) for k, o in outs.items()}
    same_expected = summaries["local"]["expected"] == summaries["dask"]["expected"]

    records = sorted((str(folder / f"{r.stem}.pdf"), r) for r in (local / "records").glob("*.json"))
    t0 = time.perf_counter()
    series = batch_series(records, p.expected)
    compare_s = time.perf_counter() - t0

    faults = {f"{s.reports[-1].name}": set(s.faults.get(s.reports[-1].year, ())) for s in p.series}
    status = {(Path(f).stem, rule): st for f, rule, st, _ in series_checks(local)}
    found, missed, false = Counter(), Counter(), Counter()
    compared = {Path(c.new_file).stem for c in series.comparisons}
    for name in compared:
        put = faults.get(name, set())
        for fault, (rule, flagged) in RULE_OF.items():
            hit = status[name, rule] == flagged
            if fault in put:
                found[rule] += hit
                missed[rule] += not hit
            else:
                false[rule] += hit
    renamed = [s for s in p.series if "renamed" in s.faults.get(s.reports[-1].year, ())]
    merged = summaries["local"]["names_taken_as_one"]
    print(f"pairs compared: {len(series.comparisons)}; names taken as one: {len(merged)} "
          f"(renamed on purpose: {len(renamed)}, all paired: {all(s.reports[-1].name in compared for s in renamed)})")
    print(f"{'rule':<22} {'put in':>6} {'found':>6} {'missed':>6} {'on other pairs':>15}")
    for rule, _ in RULE_OF.values():
        print(f"{rule:<22} {found[rule] + missed[rule]:>6} {found[rule]:>6} {missed[rule]:>6} {false[rule]:>15}")
    expected = summaries["local"]["expected"]
    last = str(args.years[-1])
    print(f"missing in {last}: {expected['missing'][last]} (withheld: {sorted(p.withheld)}); "
          f"not on the list: {[u['issuer'] for u in expected['unlisted']]} (put: {p.unlisted})")
    print(f"{'executor':<8} {'wall s':>8} {'ratio':>6}")
    for executor in ("local", "dask"):
        print(f"{executor:<8} {times[executor]:>8.1f} {times[executor] / times['local']:>6.2f}")
    print(f"comparison across years alone (batch_series on the records): {compare_s:.1f} s, "
          f"{compare_s / times['local']:.1%} of the local run")
    print(f"series outputs identical on local and Dask: series.csv {same_csv}, series.parquet {same_parquet}, "
          f"series checks {same_checks}, expected units {same_expected}")
    assert same_csv and same_parquet and same_checks and same_expected
    assert sorted(expected["missing"][last]) == sorted(p.withheld)
    assert [u["issuer"] for u in expected["unlisted"]] == [p.unlisted]
    if args.keep is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
