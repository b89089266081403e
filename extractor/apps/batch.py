"""Batch runs: many reports at once, in parallel, resumable, on this machine or on a Dask cluster.

A run has three steps:

1. *plan*: find the reports (folders recursively, globs, files listing paths), hash each one, drop
   duplicates by content and, with ``--resume``, the reports already done;
2. *extract*: each report is read in a worker process that the run owns and can kill, so that a
   report that hangs or crashes costs that report only; each record is written as soon as it
   arrives, atomically, to ``OUTDIR/records/NAME.json``;
3. *dataset*: the checks across reports (each body's consecutive years compared, ``extractor.series``;
   duplicates; with ``--expect``, the units with no report), ``cells``, ``checks`` and ``series``
   tables and ``summary.json`` over every report of the run (see ``extractor.apps.dataset``), then
   what a person reads: ``findings.xlsx``, a marked page image per finding, a review page per
   report and a 比对 page per pair of years, with ``index.html`` (``extractor.apps.findings``).

Resume. A batch record's ``source`` block carries ``producer``: the nianbao version and the
sha256 of the layout model file that produced it. ``--resume`` skips a report when
``OUTDIR/records`` holds a record with the same content sha256 and the same producer. The record is
its own manifest: it is written in one atomic step, so a kill can never leave a record that resume
trusts but that is incomplete, or the other way round.

Workers. Whatever the executor, a report is read in a worker process of ``extractor.apps.workers``,
which waits at most ``timeout`` seconds for the record: a worker still on a report then is killed,
a worker that dies (a crash in MuPDF, the memory limit) is noticed by the end of its pipe, and
either way the report is recorded as failed with the reason and a new worker takes its place. The
local executor hands the reports to a ``workers.Pool`` of N workers; the Dask executor runs
``extract_in_child`` as a task on the cluster's workers (each Dask thread owning one worker
process), so timeouts and crashes are handled the same way there and a Dask worker is never lost
to a bad report. The layout model is loaded (and checked, see ``classify.load_model``) once, by
the batch process, and handed to each worker pickled, which costs a worker a fraction of what
loading the model file again would; the report's bytes travel with the task. So a remote cluster
needs neither a shared file system nor the model file.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import pickle
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from extractor import __version__
from extractor.apps import workers
from extractor.limits import Limits
from extractor.sanitize import clean_message, clean_text, clean_tree
from extractor.stages.classify import model_file
from extractor.stages.record import output_name, write_json


@dataclass(slots=True)
class Job:
    file: Path          # as found (relative paths stay relative: that is how the user named it)
    sha256: str
    name: str           # the record is OUTDIR/records/NAME.json


@dataclass(slots=True)
class Plan:
    jobs: list[Job] = field(default_factory=list)               # to extract
    done: list[Job] = field(default_factory=list)               # resumed: a matching record exists
    duplicates: list[dict] = field(default_factory=list)        # {"file", "duplicate_of"}
    failed: list[dict] = field(default_factory=list)            # {"file", "reason"}


# --- finding the reports --------------------------------------------------------------------------

def _is_pdf_name(path: Path) -> bool:
    return path.suffix.lower() == ".pdf"


def _folder_reports(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if _is_pdf_name(p) and not p.is_dir())


def find_reports(inputs: Iterable[str]) -> tuple[list[Path], list[dict]]:
    """The report files that ``inputs`` name, in order and each once, and the inputs that name none.

    An input is a folder (its ``*.pdf`` files, any case, recursively), a glob, a PDF, or any other
    file, read as a list of paths (one per line; blank lines and ``#`` comments skipped; relative
    paths are relative to the list's folder). A path named explicitly, in a list or by a glob, is
    taken as a report whatever its extension: reading it will say what it is.
    """
    found: list[Path] = []
    missing: list[dict] = []

    def add(arg: str, listed: bool) -> None:
        path = Path(arg)
        if path.is_dir():
            found.extend(_folder_reports(path))
        elif path.exists() or path.is_symlink():
            if listed or _is_pdf_name(path):
                found.append(path)
            else:
                add_list(path)
        elif glob.has_magic(arg):
            matches = sorted(glob.glob(arg, recursive=True))
            if not matches:
                missing.append({"file": arg, "reason": "the pattern matches no file"})
            for m in matches:
                add(m, listed=True)
        else:
            missing.append({"file": arg, "reason": "no such file or folder"})

    def add_list(path: Path) -> None:
        try:
            lines = path.read_text("utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            missing.append({"file": str(path), "reason": f"not a readable list of paths ({e})"})
            return
        for line in lines:
            line = line.strip()
            if line and not line.startswith("#"):
                add(str(path.parent / line), listed=True)   # an absolute line stays absolute

    for arg in inputs:
        add(str(arg), listed=False)
    seen: set[Path] = set()
    unique = []
    for p in found:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique, missing


def file_sha256(path: Path) -> str:
    """The content hash; refuses anything but a regular file, whose open() could block for ever
    (a FIFO with no writer) or never end (a device)."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise OSError("not a regular file")
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


# --- what was done before -------------------------------------------------------------------------

def producer(model: Path | None) -> dict:
    """What produced a record: resume trusts a record only when this is unchanged."""
    with open(model_file(model), "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    return {"nianbao": __version__, "model": digest}


def read_records(records: Path) -> dict[str, tuple[str | None, dict | None]]:
    """NAME → (content sha256, producer) of every record in ``records``; (None, None) for a file
    that is not a readable record, so that its name is never reused for another report."""
    index = {}
    for path in sorted(records.glob("*.json")):
        try:
            source = json.loads(path.read_text("utf-8"))["source"]
            index[path.stem] = (source["sha256"], source.get("producer"))
        except (OSError, ValueError, KeyError, TypeError):
            index[path.stem] = (None, None)
    return index


FAILED_LOG = "failed.jsonl"   # OUTDIR/failed.jsonl: one line per report that failed, as it fails
PERMANENT = ("unreadable", "limit", "timeout")   # failures that reading again cannot change


def read_failures(out: Path) -> dict[str, dict]:
    """sha256 → the last failure recorded for that content by earlier runs in ``out``."""
    failures: dict[str, dict] = {}
    try:
        lines = (out / FAILED_LOG).read_text("utf-8", errors="replace").splitlines()
    except OSError:
        return failures
    for line in lines:
        try:
            entry = json.loads(line)
            failures[entry["sha256"]] = entry
        except (ValueError, KeyError, TypeError):
            continue   # a line a killed run left half-written
    return failures


def _still_fails(entry: dict, made_by: dict, limits: Limits) -> bool:
    """Whether a report that failed as ``entry`` says would fail the same way now: it was
    unreadable, or over a limit that has not been raised since, and nianbao and the model are the
    same."""
    if entry.get("producer") != made_by or entry.get("kind") not in PERMANENT:
        return False
    limit = entry.get("limit")
    if not limit:
        return entry.get("kind") == "unreadable"
    now, then = getattr(limits, limit, None), entry.get("allowed")
    return now is not None and then is not None and now <= then


def plan(inputs: Iterable[str], records: Path, made_by: dict, resume: bool,
         failures: dict[str, dict] | None = None, limits: Limits | None = None) -> Plan:
    """What to do: hash every report, skip duplicates and (with ``resume``) what is done, and what
    failed before for a reason that cannot change (``failures``, unless None).

    A report keeps the record name it had in an earlier run, so a rerun replaces its record rather
    than adding a second one; a new report is named after its file, with the start of its hash
    added when another report already has that name.
    """
    files, missing = find_reports(inputs)
    result = Plan(failed=missing)
    existing = read_records(records)
    by_sha = {sha: name for name, (sha, _) in existing.items() if sha is not None}
    owner = {name: sha for name, (sha, _) in existing.items()}
    first: dict[str, Path] = {}
    for path in files:
        try:
            sha = file_sha256(path)
        except OSError as e:
            result.failed.append({"file": str(path), "reason": f"cannot read the file: {e.strerror or e}"})
            continue
        if sha in first:
            result.duplicates.append({"file": str(path), "duplicate_of": str(first[sha])})
            continue
        first[sha] = path
        name = by_sha.get(sha)
        if name is None:
            name = output_name(path.stem, sha, owner)
        job = Job(path, sha, name)
        before = (failures or {}).get(sha)
        if resume and existing.get(name) == (sha, made_by):
            result.done.append(job)
        elif resume and before is not None and _still_fails(before, made_by, limits or Limits()):
            result.failed.append({"file": str(path), "reason": f"{before['reason']} (in an earlier run; "
                                                              "--retry-failed reads it again)"})
        else:
            result.jobs.append(job)
    return result


# --- the workers that extract --------------------------------------------------------------------

_local = workers._local   # ``_local.child``: this thread's worker (see ``extract_in_child``)
close_children = workers.close_thread_workers


def _reason(outcome: workers.Outcome) -> str | None:
    if outcome.kind == "ok":
        return None
    if outcome.kind == "error":
        return f"internal error ({outcome.reason})"
    return outcome.reason


def extract_in_child(data: bytes, name: str, model: bytes,
                     timeout: float) -> tuple[dict | None, str | None]:
    """(record, None) or (None, reason): one report read in this thread's worker process, as a
    Dask worker's task reads it (``workers.run_in_thread_worker``)."""
    outcome = workers.run_in_thread_worker(workers.Job(data, name), model, Limits(timeout=timeout))
    return (outcome.record if outcome.kind == "ok" else None), _reason(outcome)   # type: ignore[return-value]


# --- executors ------------------------------------------------------------------------------------

Submit = Callable[[bytes, str], object]
Wait = Callable[[list], Iterable]


@contextmanager
def local_executor(size: int, model: bytes, limits: Limits):
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    pool = workers.Pool(size, model, limits)
    pool.start(wait=False)   # a worker that cannot start fails the reports it is given, with the reason
    threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix="nianbao-batch")
    try:
        yield ((lambda data, name: threads.submit(pool.run, workers.Job(data, name))),
               (lambda futures: wait(futures, return_when=FIRST_COMPLETED).done),
               size)
    finally:   # normally all is done here; after Ctrl-C, end at once:
        threads.shutdown(wait=False, cancel_futures=True)   # no report starts from now on,
        pool.close()                                        # the ones under way end,
        threads.shutdown(wait=True)                         # and their threads with them


@contextmanager
def dask_executor(size: int, model: bytes, limits: Limits, scheduler: str | None):
    from distributed import Client, LocalCluster, wait

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=size, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
    client = Client(cluster if cluster is not None else scheduler)
    try:
        slots = sum(client.nthreads().values()) or size
        on_workers = client.scatter(model, broadcast=True)   # sent once, not with every task
        yield ((lambda data, name: client.submit(workers.run_in_thread_worker, workers.Job(data, name),
                                                 on_workers, limits, pure=False)),
               (lambda futures: wait(futures, return_when="FIRST_COMPLETED").done),
               slots)
    finally:
        try:   # the children of a long-lived cluster's workers would otherwise idle on
            client.run(close_children)
        except Exception:
            pass   # a worker that is gone took its children with it
        client.close()
        if cluster is not None:
            cluster.close()


def results(jobs: list[Job], submit: Submit, wait: Wait,
            slots: int) -> Iterator[tuple[Job, workers.Outcome]]:
    """(job, outcome) as each report finishes. Only ``2 × slots`` reports are in flight, so the
    bytes of a thousand reports are never in memory at once."""
    pending: dict = {}
    queue = iter(jobs)
    while True:
        while len(pending) < 2 * slots and (job := next(queue, None)) is not None:
            try:
                data = job.file.read_bytes()
            except OSError as e:
                yield job, workers.Outcome("died", reason=f"cannot read the file: {e.strerror or e}")
                continue
            pending[submit(data, job.file.name)] = job
        if not pending:
            return
        for future in wait(list(pending)):
            job = pending.pop(future)
            try:
                outcome = future.result()
            except Exception as e:   # the executor itself failed this task (e.g. a lost Dask worker)
                outcome = workers.Outcome("died", reason=f"the task failed ({type(e).__name__}: {e})")
            yield job, outcome


# --- the run --------------------------------------------------------------------------------------

def _log_failure(out: Path, job: Job, outcome: workers.Outcome, reason: str, made_by: dict,
                 limits: Limits) -> None:
    """Append the failure to OUTDIR/failed.jsonl at once, so that a resumed run knows it even
    after a kill."""
    limit = outcome.detail.get("limit")
    entry = {"file": str(job.file), "sha256": job.sha256, "kind": outcome.kind, "reason": reason,
             "limit": limit, "allowed": getattr(limits, limit) if limit else None, "producer": made_by}
    with open(out / FAILED_LOG, "a", encoding="utf-8") as f:
        f.write(json.dumps(clean_tree(entry), ensure_ascii=False) + "\n")


def run_batch(inputs: list[str], out: Path, *, workers: int, limits: Limits | None = None,
              resume: bool = False, retry_failed: bool = False, executor: str = "local",
              scheduler: str | None = None, model: Path | None = None, expect: list[str] | None = None) -> dict:
    """Extract every report ``inputs`` name into ``out``; see the module docstring. ``expect``: the
    units a superior office expects a report from (``--expect``). Returns what it writes to
    ``out/summary.json``."""
    from tqdm import tqdm

    from extractor.apps.dataset import batch_series, write_dataset
    from extractor.stages.classify import load_model

    limits = limits if limits is not None else Limits()
    layout_model = pickle.dumps(load_model(model), protocol=pickle.HIGHEST_PROTOCOL)
    made_by = producer(model)
    records = out / "records"
    records.mkdir(parents=True, exist_ok=True)
    for stale in records.glob(".*.tmp"):   # what a killed run was writing
        stale.unlink(missing_ok=True)
    work = plan(inputs, records, made_by, resume, None if retry_failed else read_failures(out), limits)

    def log(message: str) -> None:
        tqdm.write(clean_message(message), file=sys.stderr)

    log(f"{len(work.jobs) + len(work.done) + len(work.duplicates) + len(work.failed)} inputs: "
        f"{len(work.jobs)} to read, {len(work.done)} already done, "
        f"{len(work.duplicates)} duplicates, {len(work.failed)} failed")
    for f in work.failed:
        log(f"failed  {f['file']}: {f['reason']}")

    ok, failed = [], list(work.failed)
    with_findings = 0
    status = lambda: f"with findings {with_findings}, failed {len(failed)}"  # noqa: E731
    run = (local_executor(workers, layout_model, limits) if executor == "local"
           else dask_executor(workers, layout_model, limits, scheduler))
    with run as (submit, wait, slots), \
            tqdm(total=len(work.jobs), unit="file", file=sys.stderr, smoothing=0.1) as bar:
        bar.set_postfix_str(status())
        for job, outcome in results(work.jobs, submit, wait, slots):
            reason = _reason(outcome)
            if reason is None:
                record = outcome.record
                assert isinstance(record, dict)
                record["source"]["producer"] = made_by
                try:
                    write_json(record, records / f"{job.name}.json")
                    ok.append(job)
                    with_findings += any(c["status"] == "fail" for c in record["checks"])
                except OSError as e:
                    reason = f"cannot write the record: {e}"
            if reason is not None:
                failed.append({"file": str(job.file), "reason": reason})
                _log_failure(out, job, outcome, reason, made_by, limits)
                log(f"failed  {job.file}: {reason}")
            bar.set_postfix_str(status(), refresh=False)
            bar.update()

    reports = sorted(ok + work.done, key=lambda j: str(j.file))
    resumed = {j.name for j in work.done}
    named = [(clean_text(str(j.file)), records / f"{j.name}.json") for j in reports]
    series = batch_series(named, expect)
    summary = write_dataset(out, named, series)
    failed.sort(key=lambda f: f["file"])
    summary = {
        "producer": made_by,
        "files": {"ok": len(reports), "failed": len(failed), "duplicates": len(work.duplicates),
                  "extracted": len(ok), "resumed": len(work.done)},
        "ok": [{"file": str(j.file), "record": f"records/{j.name}.json", "sha256": j.sha256,
                "resumed": j.name in resumed} for j in reports],
        "failed": failed,
        "duplicates": work.duplicates,
        **summary,
    }
    write_json(summary, out / "summary.json")
    from extractor.apps.findings import write_outputs
    write_outputs(out, [(j.file, records / f"{j.name}.json") for j in reports], workers=workers, failed=failed,
                  series=series)
    return summary


