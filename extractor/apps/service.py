"""The HTTP service behind ``nianbao serve``.

One asyncio process speaks HTTP and only moves bytes; extraction runs in a few worker
processes, each of which loads the layout model once. Processes rather than threads for two
reasons: PyMuPDF holds the GIL while it parses a page, so a thread would stall /healthz; and a
stuck extraction must be stoppable for the time limit to be honest, and only a process can be
killed. A worker that overruns is killed and replaced.

Admission is bounded: at most ``workers + queue`` requests are admitted at once (reading their
upload, waiting for a worker, or being extracted); beyond that the answer is 503 with
Retry-After. So overload costs a caller a retry, never the server its memory: uploads held in
memory are at most ``(workers + queue) * max_upload``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import json
import logging
import multiprocessing
import os
import signal
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.requests import ClientDisconnect

from extractor import __version__

log = logging.getLogger("nianbao.serve")

MB = 1024 * 1024
RETRY_AFTER = "2"   # seconds; a text-layer report takes well under one, so a slot frees soon


@dataclass(frozen=True)
class Limits:
    """What ``nianbao serve`` was told (its options hold the defaults)."""
    max_upload_mb: float
    max_pages: int
    timeout: float      # seconds one extraction may take
    workers: int        # extraction processes
    queue: int          # admitted requests beyond those being extracted

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * MB)


# --- the worker process -------------------------------------------------------------------------

def _serve_jobs(conn, model_dir: str | None) -> None:
    """A worker's life: load the model, say "ready", then answer one job at a time until the
    server closes the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is for the server, which closes our pipe
    from extractor.pipeline import extract
    from extractor.stages.classify import load_model
    try:
        model = load_model(model_dir)
    except Exception as e:
        conn.send(("error", f"cannot load the layout model: {e}"))
        return
    extract(_warm_up_pdf(), model=model)   # lazy set-up (fonts, thread pools) is paid here, not by a caller
    # The model and the libraries are ~200k long-lived objects. A full garbage collection walks
    # them all, 150 ms CPU charged to the first report and again whenever one comes due.
    gc.collect()
    gc.freeze()
    conn.send(("ready", os.getpid()))
    while True:
        try:
            data, name, with_blocks, max_pages, *review = conn.recv()
        except EOFError:
            return
        conn.send(_extract_job(extract, model, data, name, with_blocks, max_pages, bool(review and review[0])))


def _extract_job(extract, model, data: bytes, name: str | None, with_blocks: bool, max_pages: int,
                 review: bool = False):
    """``(kind, payload)``: ok → the record as JSON bytes (serialised here, so the event loop
    never spends a large record's CPU), or with ``review`` the report's review page (HTML bytes,
    its pages rendered here too); unreadable → the reason, pages → the page count."""
    from extractor.errors import InputError
    pages = _page_count(data)
    if pages is not None and pages > max_pages:
        return "pages", pages
    try:
        record = extract(data, name, model=model, with_blocks=with_blocks)
        if review:
            from extractor.apps.review import review_bytes
            return "ok", review_bytes(data, record)
    except InputError as e:
        return "unreadable", str(e)
    except Exception as e:   # a bug must cost one request, not the worker
        log.exception("extraction failed for %s", name)
        return "error", f"{type(e).__name__}: {e}"
    return "ok", json.dumps(record, ensure_ascii=False).encode()


def _warm_up_pdf() -> bytes:
    import pymupdf
    with pymupdf.open() as doc:
        doc.new_page().insert_text((72, 72), "政府信息公开工作年度报告", fontname="china-s")
        return doc.tobytes()


def _page_count(data: bytes) -> int | None:
    """Checked before extraction so that a 5000-page upload is refused in milliseconds."""
    import pymupdf
    pymupdf.TOOLS.mupdf_display_errors(False)
    try:
        with pymupdf.open(stream=data, filetype="pdf") as doc:
            return doc.page_count
    except Exception:   # unreadable: extract() says why, in the words of ingest
        return None


# --- the pool -----------------------------------------------------------------------------------

class Busy(Exception):
    pass


class TimedOut(Exception):
    pass


class WorkerDied(Exception):
    pass


class _Worker:
    def __init__(self, ctx, model_dir: str | None):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve_jobs, args=(child, model_dir),
                                   name="nianbao-extract", daemon=True)
        self.process.start()
        child.close()   # so that our recv() sees EOF when the worker dies

    def wait_ready(self) -> None:
        kind, detail = self.conn.recv()
        if kind != "ready":
            raise RuntimeError(detail)

    def run(self, job: tuple):
        self.conn.send(job)
        return self.conn.recv()

    def stop(self, grace: float = 0.0) -> None:
        self.conn.close()   # a waiting worker sees EOF and exits
        self.process.join(grace)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


class ExtractionPool:
    """``workers`` extraction processes behind a bounded admission count."""

    def __init__(self, limits: Limits, model_dir: str | Path | None = None):
        self.limits = limits
        self._model_dir = None if model_dir is None else str(model_dir)
        # Workers fork from a forkserver that has imported the pipeline once, so replacing a killed
        # worker costs a model load, not seconds of imports; the server itself, which runs
        # threads, is never forked.
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(["extractor.pipeline", "skops.io"])
        # blocking pipe reads run here: one per running job, one per worker starting up
        self._threads = ThreadPoolExecutor(2 * limits.workers + 1, thread_name_prefix="nianbao-pipe")
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._workers: set[_Worker] = set()
        self._starting: set[asyncio.Task] = set()
        self._admitted = 0
        self._running = 0

    async def start(self) -> None:
        """Start every worker and wait until each has its model loaded; raise if one cannot."""
        workers = [self._new_worker() for _ in range(self.limits.workers)]
        try:
            await asyncio.gather(*(self._blocking(w.wait_ready) for w in workers))
        except BaseException:
            await self.close()
            raise
        for w in workers:
            self._idle.put_nowait(w)

    async def close(self) -> None:
        for task in self._starting:
            task.cancel()
        await asyncio.gather(*(self._blocking(w.stop, 5.0) for w in list(self._workers)))
        self._workers.clear()
        self._threads.shutdown(wait=False, cancel_futures=True)

    @contextlib.contextmanager
    def admission(self):
        if self._admitted >= self.limits.workers + self.limits.queue:
            raise Busy(f"server busy: {self._running} extractions running and "
                       f"{self._admitted - self._running} requests waiting; retry later")
        self._admitted += 1
        try:
            yield
        finally:
            self._admitted -= 1

    async def run(self, job: tuple):
        """One job on the next free worker, within the time limit."""
        worker = await self._idle.get()
        self._running += 1
        reply = self._blocking(worker.run, job)
        try:
            done, _ = await asyncio.wait({reply}, timeout=self.limits.timeout)
        except BaseException:   # cancelled mid-job: the worker's late answer would reach the next job
            self._replace(worker, reply)
            raise
        finally:
            self._running -= 1
        if not done:
            self._replace(worker, reply)
            raise TimedOut(f"extraction took longer than the {self.limits.timeout:g} s limit")
        try:
            answer = reply.result()
        except (EOFError, OSError):
            self._replace(worker, reply)
            raise WorkerDied("the extraction process died (a crash inside the PDF library)") from None
        self._idle.put_nowait(worker)
        return answer

    def status(self) -> dict:
        return {"workers": len(self._workers), "idle": self._idle.qsize(), "running": self._running,
                "queued": self._admitted - self._running,   # reading its upload or waiting for a worker
                "capacity": self.limits.workers + self.limits.queue}

    def _new_worker(self) -> _Worker:
        worker = _Worker(self._ctx, self._model_dir)
        self._workers.add(worker)
        return worker

    def _replace(self, worker: _Worker, reply: asyncio.Future) -> None:
        """Kill ``worker`` and start another in its place. Its pipe is closed only once the thread
        reading it has seen the EOF, so that no read lands on a reused file descriptor."""
        self._workers.discard(worker)
        worker.process.kill()

        def reap(reply: asyncio.Future) -> None:
            if not reply.cancelled():
                reply.exception()   # the EOF the kill caused; retrieved so that asyncio does not log it
            self._threads.submit(worker.stop)
        reply.add_done_callback(reap)
        task = asyncio.get_running_loop().create_task(self._start_replacement())
        self._starting.add(task)
        task.add_done_callback(self._starting.discard)

    async def _start_replacement(self) -> None:
        worker = self._new_worker()
        try:
            await self._blocking(worker.wait_ready)
        except Exception:
            log.exception("a replacement extraction worker failed to start; capacity is reduced")
            self._workers.discard(worker)
            worker.stop()
            return
        self._idle.put_nowait(worker)

    def _blocking(self, fn, *args):
        return asyncio.get_running_loop().run_in_executor(self._threads, fn, *args)


# --- the app ------------------------------------------------------------------------------------

class UploadTooLarge(Exception):
    pass


def model_card(model_dir: str | Path | None = None) -> dict:
    """What GET /v1/model answers: which model file serves (by hash, so that a caller can tell two
    deployments apart), its card, and any metadata written beside it."""
    from extractor.stages.classify import FEATURE_VERSION, FEATURES, MODEL_DIR, MODEL_FILE
    from extractor.types import LABELS
    path = Path(model_dir) if model_dir is not None else MODEL_DIR
    path = path / MODEL_FILE if path.is_dir() else path
    folder = path.parent
    card = folder / "MODEL_CARD.md"
    answer = {"file": path.name,
              "sha256": hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None,
              "feature_version": FEATURE_VERSION, "labels": list(LABELS), "features": list(FEATURES),
              "card": card.read_text(encoding="utf-8") if card.is_file() else None}
    for meta in sorted(folder.glob("*.json")):
        answer[meta.stem] = json.loads(meta.read_text(encoding="utf-8"))
    return answer


_PDF_BODY = {"type": "string", "format": "binary"}
_EXTRACT_DOC = {
    "requestBody": {"required": True, "content": {
        "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                           "properties": {"file": _PDF_BODY}}},
        "application/pdf": {"schema": _PDF_BODY},
    }},
    "responses": {
        "200": {"description": "The report's nianbao/2 record (SCHEMA.md)",
                "content": {"application/json": {"schema": {"type": "object"}}}},
        "413": {"description": "Upload or page count over the limit; the message states the limit"},
        "415": {"description": "Neither a multipart upload nor a PDF body"},
        "422": {"description": "Not a readable PDF (not a PDF, empty, truncated, encrypted), with the reason"},
        "503": {"description": "Server at capacity; retry after Retry-After seconds"},
        "504": {"description": "Extraction took longer than the time limit"},
    },
}
_RAW_TYPES = {"application/pdf", "application/octet-stream"}


def create_app(limits: Limits, model_dir: str | Path | None = None) -> FastAPI:
    pool = ExtractionPool(limits, model_dir)
    card = model_card(model_dir)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        await pool.start()
        yield
        await pool.close()

    app = FastAPI(
        title="nianbao", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
        description="政府信息公开工作年度报告 PDF → validated nianbao/2 record. "
                    f"Limits: uploads up to {limits.max_upload_mb:g} MB and {limits.max_pages} pages, "
                    f"{limits.timeout:g} s per extraction.")
    _offline_docs(app)

    @app.get("/", response_class=HTMLResponse, summary="An upload form: a report PDF → its review page")
    async def upload_form() -> HTMLResponse:
        return HTMLResponse(UPLOAD_FORM.format(mb=f"{limits.max_upload_mb:g}", pages=limits.max_pages))

    @app.post("/review", response_class=HTMLResponse, openapi_extra=_REVIEW_DOC,
              summary="Read one report PDF into its review page (HTML: pages with every cell marked, findings)")
    async def review(request: Request):
        return await run_job(request, False, review=True)

    @app.get("/healthz", summary="Liveness, with the extraction pool's load")
    async def healthz() -> dict:
        return {"status": "ok", **pool.status()}

    @app.get("/v1/model", summary="The layout model's card and metadata")
    async def model() -> dict:
        return card

    @app.post("/v1/extract", summary="Read one report PDF into its nianbao/2 record",
              openapi_extra=_EXTRACT_DOC, response_class=Response)
    async def extract(request: Request,
                      blocks: bool = Query(False, description="Add every text block with its layout label")):
        return await run_job(request, blocks)

    async def run_job(request: Request, blocks: bool, review: bool = False):
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limits.max_upload_bytes:
            raise UploadTooLarge   # before reading: a client that sent Expect: 100-continue uploads nothing
        try:
            with pool.admission():
                data, name = await _read_pdf(request, limits.max_upload_bytes)
                kind, payload = await pool.run((data, name, blocks, limits.max_pages, review))
        except ClientDisconnect:   # gone mid-upload; 499 ("client closed request") is for the access log
            return Response(status_code=499)
        except Busy as e:
            raise HTTPException(503, str(e), headers={"Retry-After": RETRY_AFTER}) from e
        except TimedOut as e:
            raise HTTPException(504, str(e)) from e
        except WorkerDied as e:
            raise HTTPException(500, str(e)) from e
        if kind == "ok":
            return Response(payload, media_type="text/html; charset=utf-8" if review else "application/json")
        if kind == "pages":
            raise HTTPException(413, f"the PDF has {payload} pages; this server reads at most "
                                     f"{limits.max_pages} (--max-pages, NIANBAO_MAX_PAGES)")
        if kind == "unreadable":
            raise HTTPException(422, payload)
        raise HTTPException(500, f"internal error ({payload}); please report it with the file")

    @app.exception_handler(UploadTooLarge)
    async def too_large(request: Request, exc: UploadTooLarge) -> JSONResponse:
        return JSONResponse({"detail": f"upload larger than the {limits.max_upload_mb:g} MB limit "
                                       "(--max-upload-mb, NIANBAO_MAX_UPLOAD_MB)"},
                            status_code=413, headers={"Connection": "close"})

    return app


_REVIEW_DOC = {
    "requestBody": _EXTRACT_DOC["requestBody"],
    "responses": {**_EXTRACT_DOC["responses"],
                  "200": {"description": "The report's review page: self-contained HTML, nothing loaded from elsewhere",
                          "content": {"text/html": {"schema": {"type": "string"}}}}},
}

UPLOAD_FORM = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; form-action 'self'">
<title>nianbao · 年度报告复核</title>
<style>body{{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:40px auto;max-width:640px;color:#222}}
h1{{font-size:22px}}form{{border:1px solid #ccd;padding:20px;border-radius:6px;background:#fafbfc}}
button{{font-size:15px;padding:6px 18px;margin-top:12px}}p.note{{color:#666;font-size:13px}}</style></head><body>
<h1>政府信息公开工作年度报告 · 复核</h1>
<form action="/review" method="post" enctype="multipart/form-data">
<label>报告 PDF：<input type="file" name="file" accept="application/pdf,.pdf" required></label><br>
<button type="submit">读取并复核</button></form>
<p class="note">读取表格的每个单元格、检查勾稽关系和六个部分，返回复核页面：每页标出读到的单元格，旁列问题清单。
文件不超过 {mb} MB、{pages} 页。机器接口见 <a href="/docs">/docs</a>（POST /v1/extract 返回 JSON 记录）。</p>
</body></html>"""


def _offline_docs(app: FastAPI) -> None:
    """/docs with Swagger UI served from this server (the swagger-ui-bundle-v2 package), never a
    CDN: the page works on a machine without internet."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles
    from swagger_ui_bundle import swagger_ui_path

    app.mount("/static/swagger", StaticFiles(directory=str(swagger_ui_path)), name="swagger")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title="nianbao API",
                                   swagger_js_url="/static/swagger/swagger-ui-bundle.js",
                                   swagger_css_url="/static/swagger/swagger-ui.css",
                                   swagger_favicon_url="/static/swagger/favicon-32x32.png")


async def _read_pdf(request: Request, limit: int) -> tuple[bytes, str | None]:
    """The uploaded PDF and its file name: a multipart field ``file`` or the raw body."""
    request = Request(request.scope, _capped(request.receive, limit))
    media_type = request.headers.get("content-type", "application/pdf").split(";")[0].strip().lower()
    if media_type == "multipart/form-data":
        async with request.form(max_files=1, max_fields=1) as form:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise HTTPException(422, "the multipart upload needs the PDF as a file in the field 'file'")
            return await upload.read(), Path(upload.filename or "").name or None
    if media_type not in _RAW_TYPES:
        raise HTTPException(415, f"send the PDF as multipart/form-data (field 'file') or as an "
                                 f"application/pdf body, not {media_type}")
    return b"".join([chunk async for chunk in request.stream()]), None


def _capped(receive, limit: int):
    """``receive`` that raises ``UploadTooLarge`` once the body passes ``limit`` bytes, so a
    chunked upload without Content-Length is refused as it streams, not after."""
    seen = 0

    async def capped_receive():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise UploadTooLarge
        return message
    return capped_receive


def serve(limits: Limits, host: str = "127.0.0.1", port: int = 8000,
          model_dir: str | Path | None = None) -> None:
    """Run the service until interrupted."""
    import uvicorn
    uvicorn.run(create_app(limits, model_dir), host=host, port=port, log_level="info")
