"""Batch runs: many reports at once, in parallel, resumable, on this machine or on a Dask cluster.

A run has three steps:

1. *plan*: find the reports (folders recursively, globs, files listing paths), hash each one, drop
   duplicates by content and, with ``--resume``, the reports already done;
2. *extract*: each report is read in a worker process that the run owns and can kill, so that a
   report that hangs or crashes costs that report only; each record is written as soon as it
   arrives, atomically, to ``OUTDIR/records/NAME.json``;
3. *dataset*: ``cells`` and ``checks`` tables and ``summary.json`` over every report of the run
   (see ``extractor.apps.dataset``), then what a person reads: ``findings.xlsx``, a marked page
   image per finding and a review page per report with ``index.html`` (``extractor.apps.findings``).

Resume. A batch record's ``source`` block carries ``producer``: the nianbao version and the
sha256 of the layout model file that produced it. ``--resume`` skips a report when
``OUTDIR/records`` holds a record with the same content sha256 and the same producer. The record is
its own manifest: it is written in one atomic step, so a kill can never leave a record that resume
trusts but that is incomplete, or the other way round.

Workers. Whatever the executor, a report is extracted by ``extract_in_child``: it hands the PDF's
bytes to a long-lived child process (``python -m extractor.apps.batch``) and waits at most ``timeout``
seconds for the record. On a timeout the child is killed; a child that dies (a crash in MuPDF, the
OOM killer) is noticed by the end of its pipe. Either way the report is recorded as failed with the
reason and a new child is started for the next report. The local executor runs ``extract_in_child``
in N threads (each owning one child); the Dask executor runs it as a task on the cluster's workers
(each worker thread owning one child), so timeouts and crashes are handled the same way there and
a Dask worker is never lost to a bad report. The layout model is loaded (and checked, see
``classify.load_model``) once, by the batch process, and handed to each child pickled, which costs
a child a fraction of what loading the model file again would; the report's bytes travel with the
task. So a remote cluster needs neither a shared file system nor the model file.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import pickle
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from extractor import __version__
from extractor.stages.record import write_json

CHILD_START_LIMIT = 120.0   # seconds for a child to import the pipeline and unpickle the model


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

def model_file(model: Path | None) -> Path:
    """The layout model file that ``--model`` (or the shipped default) designates."""
    from extractor.stages.classify import MODEL_DIR, MODEL_FILE
    path = Path(model) if model is not None else MODEL_DIR
    return path / MODEL_FILE if path.is_dir() else path


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


def plan(inputs: Iterable[str], records: Path, made_by: dict, resume: bool) -> Plan:
    """What to do: hash every report, skip duplicates and (with ``resume``) what is done.

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
            name = path.stem if owner.get(path.stem, sha) == sha else f"{path.stem}-{sha[:8]}"
            owner[name] = sha
        job = Job(path, sha, name)
        if resume and existing.get(name) == (sha, made_by):
            result.done.append(job)
        else:
            result.jobs.append(job)
    return result


# --- the child process that extracts --------------------------------------------------------------

def _died(proc: subprocess.Popen, log) -> str:
    code = proc.wait()
    if code < 0:
        try:
            return f"the worker process died ({signal.Signals(-code).name})"
        except ValueError:
            return f"the worker process died (signal {-code})"
    log.seek(0, os.SEEK_END)
    log.seek(max(0, log.tell() - 2000))
    lines = [ln for ln in log.read().decode("utf-8", "replace").splitlines() if ln.strip()]
    return f"the worker process exited with status {code}" + (f": {lines[-1].strip()}" if lines else "")


class Child:
    """One extraction process: send it a report, get a record or a reason, within a deadline."""

    def __init__(self, model: bytes):
        self.model = model   # the pickled layout model
        # The child's stdout and stderr go to a file: they carry MuPDF's complaints, which must not
        # garble the progress bar, and the last line explains a child that exits.
        self.log = tempfile.TemporaryFile()
        to_child, from_parent = os.pipe()
        to_parent, from_child = os.pipe()
        package_root = str(Path(__file__).resolve().parents[2])
        # One thread per child: the run is already as parallel as asked, and OpenMP threads of
        # several children spinning against each other cost more than they bring.
        env = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               **os.environ,
               "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "extractor.apps.batch", str(to_child), str(from_child), str(os.getpid())],
            pass_fds=(to_child, from_child), stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=self.log, env=env)
        os.close(to_child)
        os.close(from_child)
        self.requests = Connection(from_parent, readable=False)
        self.replies = Connection(to_parent, writable=False)
        self.ready = False

    def extract(self, data: bytes, name: str, timeout: float) -> tuple[dict | None, str | None]:
        """(record, None) or (None, reason). After a timeout or a death the child is gone."""
        try:
            if not self.ready:
                self.requests.send_bytes(self.model)
                if not self.replies.poll(CHILD_START_LIMIT):
                    self.kill()
                    return None, f"the worker process did not start within {CHILD_START_LIMIT:g} s"
                self.replies.recv()
                self.ready = True
            self.requests.send((data, name))
            if not self.replies.poll(timeout):
                self.kill()
                return None, f"timed out after {timeout:g} s (the worker was stopped)"
            return self.replies.recv()
        except (EOFError, OSError):
            return None, _died(self.proc, self.log)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()

    def close(self) -> None:
        self.kill()
        self.requests.close()
        self.replies.close()
        self.log.close()


_local = threading.local()
_children: set[Child] = set()
_children_lock = threading.Lock()


def extract_in_child(data: bytes, name: str, model: bytes,
                     timeout: float) -> tuple[dict | None, str | None]:
    """Extract one report in this thread's child process, starting one when needed.

    This is the task both executors run: in the batch process's threads, or on a Dask worker.
    """
    child: Child | None = getattr(_local, "child", None)
    if child is None or child.model != model or not child.alive():
        if child is not None:
            _forget(child)
        child = _local.child = Child(model)
        with _children_lock:
            _children.add(child)
    result = child.extract(data, name, timeout)
    if not child.alive():
        _forget(child)
        _local.child = None
    return result


def _forget(child: Child) -> None:
    with _children_lock:
        _children.discard(child)
    child.close()


def close_children() -> None:
    """Stop every child this process started (at the end of a run; on Dask workers too).

    Only the processes: a thread waiting on one sees its pipe end and closes it itself, so that no
    thread ever closes a file descriptor that another is reading (or that was reused meanwhile)."""
    with _children_lock:
        children = list(_children)
        _children.clear()
    for child in children:
        child.kill()


def _die_with_parent(parent: int) -> None:
    # A killed batch run must not leave children running, least of all one stuck in a report.
    if sys.platform == "linux":
        import ctypes
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(0)


def _child_main(requests_fd: str, replies_fd: str, parent: str) -> None:
    _die_with_parent(int(parent))
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is for the batch process to handle
    requests = Connection(int(requests_fd), writable=False)
    replies = Connection(int(replies_fd), readable=False)
    from extractor.errors import InputError
    from extractor.pipeline import extract

    layout_model = pickle.loads(requests.recv_bytes())   # from the batch process, which checked it
    replies.send("ready")
    while True:
        try:
            data, name = requests.recv()
        except EOFError:
            return
        try:
            replies.send((extract(data, name=name, model=layout_model), None))
        except InputError as e:
            replies.send((None, str(e)))
        except Exception as e:   # a bug must cost one report, not the run
            replies.send((None, f"internal error ({type(e).__name__}: {e})"))


# --- executors ------------------------------------------------------------------------------------

Submit = Callable[[bytes, str], object]
Wait = Callable[[list], Iterable]


@contextmanager
def local_executor(workers: int, model: bytes, timeout: float):
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="nianbao-batch")
    try:
        yield ((lambda data, name: pool.submit(extract_in_child, data, name, model, timeout)),
               (lambda futures: wait(futures, return_when=FIRST_COMPLETED).done),
               workers)
    finally:   # normally all is done here; after Ctrl-C, end at once:
        pool.shutdown(wait=False, cancel_futures=True)   # no report starts from now on,
        close_children()                                 # the ones under way end,
        pool.shutdown(wait=True)                         # and their threads with them


@contextmanager
def dask_executor(workers: int, model: bytes, timeout: float, scheduler: str | None):
    from distributed import Client, LocalCluster, wait

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
    client = Client(cluster if cluster is not None else scheduler)
    try:
        slots = sum(client.nthreads().values()) or workers
        on_workers = client.scatter(model, broadcast=True)   # sent once, not with every task
        yield ((lambda data, name: client.submit(extract_in_child, data, name, on_workers, timeout,
                                                 pure=False)),
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
            slots: int) -> Iterator[tuple[Job, dict | None, str | None]]:
    """(job, record, reason) as each report finishes. Only ``2 × slots`` reports are in flight, so
    the bytes of a thousand reports are never in memory at once."""
    pending: dict = {}
    queue = iter(jobs)
    while True:
        while len(pending) < 2 * slots and (job := next(queue, None)) is not None:
            try:
                data = job.file.read_bytes()
            except OSError as e:
                yield job, None, f"cannot read the file: {e.strerror or e}"
                continue
            pending[submit(data, job.file.name)] = job
        if not pending:
            return
        for future in wait(list(pending)):
            job = pending.pop(future)
            try:
                record, reason = future.result()
            except Exception as e:   # the executor itself failed this task (e.g. a lost Dask worker)
                record, reason = None, f"the task failed ({type(e).__name__}: {e})"
            yield job, record, reason


# --- the run --------------------------------------------------------------------------------------

def run_batch(inputs: list[str], out: Path, *, workers: int, timeout: float, resume: bool = False,
              executor: str = "local", scheduler: str | None = None,
              model: Path | None = None) -> dict:
    """Extract every report ``inputs`` name into ``out``; see the module docstring. Returns what
    it writes to ``out/summary.json``."""
    from tqdm import tqdm

    from extractor.apps.dataset import write_dataset
    from extractor.stages.classify import load_model

    layout_model = pickle.dumps(load_model(model), protocol=pickle.HIGHEST_PROTOCOL)
    made_by = producer(model)
    records = out / "records"
    records.mkdir(parents=True, exist_ok=True)
    for stale in records.glob(".*.tmp"):   # what a killed run was writing
        stale.unlink(missing_ok=True)
    work = plan(inputs, records, made_by, resume)

    def log(message: str) -> None:
        tqdm.write(message, file=sys.stderr)

    log(f"{len(work.jobs) + len(work.done) + len(work.duplicates) + len(work.failed)} inputs: "
        f"{len(work.jobs)} to read, {len(work.done)} already done, "
        f"{len(work.duplicates)} duplicates, {len(work.failed)} unreadable")
    for f in work.failed:
        log(f"failed  {f['file']}: {f['reason']}")

    ok, failed = [], list(work.failed)
    with_findings = 0
    status = lambda: f"with findings {with_findings}, failed {len(failed)}"  # noqa: E731
    run = (local_executor(workers, layout_model, timeout) if executor == "local"
           else dask_executor(workers, layout_model, timeout, scheduler))
    with run as (submit, wait, slots), \
            tqdm(total=len(work.jobs), unit="file", file=sys.stderr, smoothing=0.1) as bar:
        bar.set_postfix_str(status())
        for job, record, reason in results(work.jobs, submit, wait, slots):
            if record is None:
                failed.append({"file": str(job.file), "reason": reason})
                log(f"failed  {job.file}: {reason}")
            else:
                record["source"]["producer"] = made_by
                write_json(record, records / f"{job.name}.json")
                ok.append(job)
                with_findings += any(c["status"] == "fail" for c in record["checks"])
            bar.set_postfix_str(status(), refresh=False)
            bar.update()

    reports = sorted(ok + work.done, key=lambda j: str(j.file))
    resumed = {j.name for j in work.done}
    summary = write_dataset(out, [(str(j.file), records / f"{j.name}.json") for j in reports])
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
    write_outputs(out, [(j.file, records / f"{j.name}.json") for j in reports], workers=workers, failed=failed)
    return summary


if __name__ == "__main__":
    _child_main(*sys.argv[1:])
