"""The extraction processes every front end reads reports in: ``extract``, ``batch`` and ``serve``.

A report is read in a worker process, never in the process that asked: only a process can be
stopped when a report overruns its time limit (MuPDF holds the GIL and no Python signal reaches
it while it parses), and a crash inside the PDF library then costs that report, not the run or
the server. A worker

- is started as a new Python process that imports this module (so it can be started from
  anywhere, a Dask worker's daemon process included), dies with the thread that started it, and ignores
  Ctrl-C, which is for the front end;
- gets the layout model once, pickled by the front end that loaded and checked it, so a remote
  Dask worker needs neither the model file nor a shared file system (or, from ``extract``, the
  folder to load it from: ``ModelFolder``); it imports the pipeline before, meanwhile;
- is warmed up on a one-line report before it says it is ready, so that a long-lived front end's
  first report does not pay the lazy set-up (fonts, caches); ``extract``, which reads a few
  reports and exits, does not warm its worker up: the first report pays that set-up once anyway;
- runs ``run_job`` for one ``Job`` at a time and answers with an ``Outcome``;
- may be started before it is needed (``prestart``): ``nianbao extract`` starts its worker before
  it imports Typer, so that the two imports run side by side.

``Worker.run`` waits at most the time limit for the answer; a worker that overruns is killed, a
worker that dies is noticed by the end of its pipe, and either way the job's outcome says why
(``timeout``, ``died``) and the worker is replaced. ``Pool`` keeps N workers for a front end that
hands jobs from several threads (batch's local executor, the service, the CLI with one worker);
``run_in_thread_worker`` gives each calling thread a worker of its own (the task a Dask worker
runs: one child per Dask thread).
"""

from __future__ import annotations

import gc
import os
import pickle
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, Literal

from extractor.errors import ModelError
from extractor.limits import Limits, allowed, is_out_of_memory, out_of_memory

START_LIMIT = 120.0   # seconds for a worker to import the pipeline and unpickle the model

Kind = Literal["ok", "unreadable", "limit", "setup", "error", "timeout", "died", "cancelled"]


@dataclass(frozen=True, slots=True)
class Job:
    data: bytes                 # the PDF
    name: str | None = None     # the record's source.file
    with_blocks: bool = False   # add every text block to the record
    labels: str | None = None   # a person's label file or folder (``extract --labels``)
    as_json: bool = False       # the record as JSON bytes (serialised in the worker, not the caller)
    review: bool = False        # the report's review page instead (HTML bytes, its pages rendered in the worker)


@dataclass(frozen=True, slots=True)
class ModelFolder:
    """The layout model for a local worker to load itself (``classify.load_model``; None: the
    shipped one): a front end that reads a few reports and exits need not import NumPy and the
    classifier to load, check and pickle it while the worker imports them anyway."""
    path: str | None = None


@dataclass(slots=True)
class Outcome:
    """What became of a job. ``ok``: ``record`` holds it. Otherwise ``reason`` says why not:
    ``unreadable`` the file is not a readable report (or its label file is bad), ``limit`` it is
    over a limit (``detail`` has what was found and the limit), ``setup`` the installation lacks
    something, ``error`` a defect in nianbao, ``timeout`` / ``died`` the worker was stopped or
    crashed, ``cancelled`` the caller gave up before the job started."""
    kind: Kind
    record: dict | bytes | None = None
    reason: str | None = None
    detail: dict = field(default_factory=dict)


# --- inside the worker ----------------------------------------------------------------------------

def run_job(job: Job, model, limits: Limits) -> Outcome:
    """Read one report. Never raises: whatever goes wrong is the job's outcome, its reason safe to
    print."""
    from extractor.errors import InputError, LabelError, LimitExceeded, NianbaoError
    from extractor.pipeline import extract
    from extractor.sanitize import clean_message

    try:
        record = extract(job.data, job.name, model=model, with_blocks=job.with_blocks,
                         labels=job.labels, limits=limits)
        if job.review:   # inside the try: drawing the review page reads the PDF again
            from extractor.apps.review import review_bytes
            return Outcome("ok", review_bytes(job.data, record))
        if job.as_json:
            import json
            return Outcome("ok", json.dumps(record, ensure_ascii=False).encode())
        return Outcome("ok", record)
    except LimitExceeded as e:
        return _limit(e)
    except (InputError, LabelError) as e:
        return Outcome("unreadable", reason=clean_message(str(e)))
    except NianbaoError as e:
        return Outcome("setup", reason=clean_message(str(e)))
    except Exception as e:   # a bug must cost one report, not the worker
        if is_out_of_memory(e):
            return _limit(out_of_memory(limits))
        return Outcome("error", reason=clean_message(f"{type(e).__name__}: {e}"))


def _limit(e) -> Outcome:
    from extractor.sanitize import clean_message
    return Outcome("limit", reason=clean_message(str(e)), detail={"limit": e.limit, "found": e.found})


def _warm_up(model, limits: Limits) -> None:
    """Lazy set-up (fonts, thread pools) is paid at start, not by the first report."""
    import pymupdf
    with pymupdf.open() as doc:
        doc.new_page().insert_text((72, 72), "政府信息公开工作年度报告", fontname="china-s")
        run_job(Job(doc.tobytes()), model, limits)


def _die_with_parent(parent: int) -> None:
    # A killed front end must not leave workers running, least of all one stuck in a report.
    if sys.platform == "linux":
        import ctypes
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(0)


def _limit_memory(mib: int | None) -> None:
    """The kernel, not the code, bounds what one report can take: an allocation beyond the
    worker's address space fails (MemoryError, or MuPDF's malloc error), and the report with it."""
    if mib is not None:
        import resource
        size = mib * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))


def _reset_peak() -> None:
    try:   # "5" resets the peak resident set size (VmHWM) that _peak reads (Linux ≥ 4.0)
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _peak() -> float | None:
    """This process's peak resident memory since the last ``_reset_peak``, in MiB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _worker_main(requests_fd: str, replies_fd: str, parent: str) -> None:
    _die_with_parent(int(parent))
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is for the front end to handle
    requests = Connection(int(requests_fd), writable=False)
    replies = Connection(int(replies_fd), readable=False)
    try:
        # Imported before the model is asked for: the front end loads it meanwhile.
        import extractor.pipeline  # noqa: F401
        given, limits, warm_up = requests.recv()
        _limit_memory(limits.max_memory_mb)
        if isinstance(given, ModelFolder):
            from extractor.stages.classify import load_model
            model = load_model(given.path)
        else:
            model = pickle.loads(given)   # from the front end, which checked it
        if warm_up:
            _warm_up(model, limits)
    except EOFError:
        return
    except ModelError as e:
        replies.send(("model", str(e)))
        return
    except Exception as e:
        replies.send(("error", f"{type(e).__name__}: {e}"))
        return
    # The model and the libraries are ~200k long-lived objects. A full garbage collection walks
    # them all, 150 ms CPU charged to the first report and again whenever one comes due. (The
    # import's garbage is collected first only in a long-lived worker: 10 ms, worth it there.)
    if warm_up:
        gc.collect()
    gc.freeze()
    gc.enable()
    replies.send(("ready", os.getpid()))
    while True:
        try:
            job = requests.recv()
        except EOFError:
            return
        _reset_peak()
        outcome = run_job(job, model, limits)
        outcome.detail["peak_mb"] = _peak()
        try:
            replies.send(outcome)
        except MemoryError:   # a record too large to pickle within the memory limit
            replies.send(_limit(out_of_memory(limits)))


# --- the front end's side -------------------------------------------------------------------------

# What a worker process runs: the module imported by name (not run as ``-m``, which would execute
# it twice, as __main__ and as the module whose classes the front end unpickles)
# Its start is collected by nothing: the imports' objects live as long as the process, and the
# collections they would set off cost 20 ms (12 %) of them; gc.freeze then sets them aside.
_MAIN = ("import gc; gc.disable(); import sys; from extractor.apps.workers import _worker_main; "
         "_worker_main(*sys.argv[1:])")

class WorkerFailed(Exception):
    """A worker that could not start (its reason is the message)."""


class ModelFailed(WorkerFailed):
    """A worker that could not load the layout model of its ``ModelFolder`` (the reason is the
    message, as ``load_model`` says it)."""


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


# a worker process, its log, and the ends of its pipes (requests, replies)
_Launched = tuple[subprocess.Popen, IO[bytes], Connection, Connection]


def _launch() -> _Launched:
    """A new worker process, importing the pipeline until it is sent its model and limits: its
    process, its log, and the ends of its pipes (requests, replies)."""
    # The worker's stdout and stderr go to a file: they carry MuPDF's complaints, which must
    # not garble a progress bar or a terminal, and the last line explains a worker that exits.
    log = tempfile.TemporaryFile()
    to_child, from_parent = os.pipe()
    to_parent, from_child = os.pipe()
    package_root = str(Path(__file__).resolve().parents[2])
    # One thread per worker: the front end is already as parallel as asked, and OpenMP
    # threads of several workers spinning against each other cost more than they bring.
    # Two malloc arenas: glibc reserves 64 MiB of address space per arena and thread, which
    # counts against the worker's address-space limit without being used.
    env = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "MALLOC_ARENA_MAX": "2", **os.environ,
           "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen(
        [sys.executable, "-c", _MAIN, str(to_child), str(from_child), str(os.getpid())],
        pass_fds=(to_child, from_child), stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)
    os.close(to_child)
    os.close(from_child)
    return proc, log, Connection(from_parent, readable=False), Connection(to_parent, writable=False)


_prestarted: list[_Launched] = []


def prestart() -> None:
    """Start the next worker now, before the command has parsed its options: it imports the
    pipeline (about 0.2 s of CPU) while this process imports the front end, and the first
    ``Worker`` made takes it over. Only from the main thread (a worker dies with the thread
    that started it); one left untaken dies with this process."""
    _prestarted.append(_launch())


class Worker:
    """One extraction process. ``run`` one job at a time; after a timeout or a death it is gone."""

    def __init__(self, model: bytes | ModelFolder, limits: Limits, warm_up: bool = True):
        """``model``: the pickled layout model, or the folder the worker loads it from."""
        self.model = model
        self.limits = limits
        self.proc, self.log, self.requests, self.replies = _prestarted.pop() if _prestarted else _launch()
        self.ready = False
        try:
            self.requests.send((model, limits, warm_up))
        except OSError:
            pass   # it died at once: wait_ready says why

    def wait_ready(self, timeout: float = START_LIMIT) -> None:
        """Block until the worker has its model; raise ``WorkerFailed`` if it cannot start."""
        if self.ready:
            return
        try:
            if not self.replies.poll(timeout):
                self.kill()
                raise WorkerFailed(f"the worker process did not start within {timeout:g} s")
            kind, detail = self.replies.recv()
        except (EOFError, OSError):
            raise WorkerFailed(self._death()) from None
        if kind != "ready":
            self.kill()
            if kind == "model":
                raise ModelFailed(detail)
            raise WorkerFailed(f"the worker process could not start: {detail}")
        self.ready = True

    def run(self, job: Job, timeout: float | None) -> Outcome:
        """The job's outcome, within ``timeout`` seconds (None: no limit) once the worker is ready."""
        try:
            self.wait_ready()
        except WorkerFailed as e:
            return Outcome("died", reason=str(e))
        started = time.monotonic()
        try:
            self.requests.send(job)
            if not self.replies.poll(timeout):
                self.kill()
                outcome = Outcome("timeout", reason=f"timed out after {timeout:g} s (the worker was stopped); "
                                                    f"{allowed(self.limits, 'timeout')}",
                                  detail={"limit": "timeout", "found": timeout})
            else:
                outcome = self.replies.recv()
        except (EOFError, OSError):
            outcome = Outcome("died", reason=self._death())
        outcome.detail["seconds"] = time.monotonic() - started   # from the job sent to its answer or the kill
        return outcome

    def _death(self) -> str:
        code = self.proc.wait()
        if code < 0:
            return f"the worker process died ({_signal_name(-code)})"
        self.log.seek(0, os.SEEK_END)
        self.log.seek(max(0, self.log.tell() - 2000))
        lines = [ln for ln in self.log.read().decode("utf-8", "replace").splitlines() if ln.strip()]
        return f"the worker process exited with status {code}" + (f": {lines[-1].strip()}" if lines else "")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """Stop the process. Safe from any thread: the pipes stay open for the thread using them."""
        self.proc.kill()
        self.proc.wait()

    def close(self) -> None:
        """Stop the process and close its pipes: only by the thread that uses the worker."""
        self.kill()
        self.requests.close()
        self.replies.close()
        self.log.close()


class Pool:
    """``size`` workers shared by the threads that call ``run``.

    A job waits for an idle worker, runs within the time limit and gives the worker back; a worker
    that timed out or died is closed by the thread that ran it and a new one is started in its
    place, becoming idle once its model is loaded. Every worker is started by one long-lived
    thread of the pool (a worker dies with the thread that started it, see ``_die_with_parent``).
    """

    def __init__(self, size: int, model: bytes | ModelFolder, limits: Limits, warm_up: bool = True):
        self.size = size
        self.model = model
        self.limits = limits
        self.warm_up = warm_up
        self._idle: queue.SimpleQueue[Worker | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._workers: set[Worker] = set()
        self._running = 0
        self._idle_count = 0
        self._closed = False
        self._spawner = ThreadPoolExecutor(1, thread_name_prefix="nianbao-spawn")
        self._waiters = ThreadPoolExecutor(size, thread_name_prefix="nianbao-start")

    def start(self, wait: bool = True) -> None:
        """Start every worker. With ``wait``, wait until each has its model and raise
        ``WorkerFailed`` if one cannot start (the pool is then closed); without, a worker that
        cannot start fails the first job it is given, with the reason."""
        workers = [self._spawn() for _ in range(self.size)]
        try:
            for worker in workers if wait else ():
                worker.wait_ready()
        except WorkerFailed:
            self.close()
            raise
        for worker in workers:
            self._give_back(worker)

    def run(self, job: Job, cancelled: threading.Event | None = None) -> Outcome:
        """Run ``job`` on the next idle worker (blocking until one is); thread-safe."""
        worker = self._idle.get()
        if worker is None:   # closed while waiting
            self._idle.put(None)
            return Outcome("cancelled", reason="the extraction pool was closed")
        with self._lock:
            self._idle_count -= 1
            self._running += 1
        try:
            if cancelled is not None and cancelled.is_set():
                outcome = Outcome("cancelled", reason="the caller gave up")
            else:
                outcome = worker.run(job, self.limits.timeout)
        finally:
            with self._lock:
                self._running -= 1
        if worker.alive() and not self._closed:
            self._give_back(worker)
        else:
            self._replace(worker)
        return outcome

    def status(self) -> dict:
        with self._lock:
            return {"workers": len(self._workers), "idle": self._idle_count, "running": self._running}

    def close(self) -> None:
        """Stop every worker. A thread still running a job sees its worker die and returns."""
        self._closed = True
        with self._lock:
            workers = list(self._workers)
        for worker in workers:
            worker.kill()
        self._idle.put(None)
        self._spawner.shutdown(wait=False, cancel_futures=True)
        self._waiters.shutdown(wait=False, cancel_futures=True)

    def _spawn(self) -> Worker:
        worker = self._spawner.submit(Worker, self.model, self.limits, self.warm_up).result()
        with self._lock:
            self._workers.add(worker)
        return worker

    def _give_back(self, worker: Worker) -> None:
        with self._lock:
            self._idle_count += 1
        self._idle.put(worker)

    def _replace(self, worker: Worker) -> None:
        with self._lock:
            self._workers.discard(worker)
        worker.close()
        if self._closed:
            return
        try:
            new = self._spawn()
            self._waiters.submit(self._when_ready, new)
        except RuntimeError:   # closed meanwhile
            pass

    def _when_ready(self, worker: Worker) -> None:
        try:
            worker.wait_ready()
        except WorkerFailed as e:
            if not self._closed:   # (closing kills the workers that are still starting)
                print(f"nianbao: a replacement extraction worker failed to start ({e}); capacity is reduced",
                      file=sys.stderr)
            with self._lock:
                self._workers.discard(worker)
            worker.kill()
            return
        if self._closed:
            worker.kill()
            return
        self._give_back(worker)


# --- one worker per calling thread (a Dask worker's threads) --------------------------------------

_local = threading.local()
_thread_workers: set[Worker] = set()
_thread_workers_lock = threading.Lock()


def run_in_thread_worker(job: Job, model: bytes, limits: Limits) -> Outcome:
    """Run ``job`` in this thread's own worker, starting one when needed (and again after a
    timeout or a death). The task a Dask worker runs; ``_local.child`` is the thread's worker."""
    worker: Worker | None = getattr(_local, "child", None)
    if worker is None or worker.model != model or worker.limits != limits or not worker.alive():
        if worker is not None:
            _forget(worker)
        worker = _local.child = Worker(model, limits)
        with _thread_workers_lock:
            _thread_workers.add(worker)
    outcome = worker.run(job, limits.timeout)
    if not worker.alive():
        _forget(worker)
        _local.child = None
    return outcome


def _forget(worker: Worker) -> None:
    with _thread_workers_lock:
        _thread_workers.discard(worker)
    worker.close()


def close_thread_workers() -> None:
    """Stop every thread's worker (at the end of a run; on Dask workers too).

    Only the processes: a thread waiting on one sees its pipe end and closes it itself, so that no
    thread ever closes a file descriptor that another is reading (or that was reused meanwhile)."""
    with _thread_workers_lock:
        workers = list(_thread_workers)
        _thread_workers.clear()
    for worker in workers:
        worker.kill()


