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
import hashlib
import json
import logging
import pickle
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.requests import ClientDisconnect

from extractor import __version__
from extractor.apps import workers
from extractor.limits import Limits as ReportLimits

log = logging.getLogger("nianbao.serve")

MB = 1024 * 1024
RETRY_AFTER = "2"   # seconds; a text-layer report takes well under one, so a slot frees soon
MIN_UPLOAD_RATE = 64 * 1024   # bytes a second an upload must keep up after its --upload-timeout
EVICT_AFTER = 2.0   # seconds after which an upload slower than that may give its slot to a newcomer


@dataclass(frozen=True)
class Limits:
    """What ``nianbao serve`` was told (its options hold the defaults)."""
    max_upload_mb: float
    workers: int        # extraction processes
    queue: int          # admitted requests beyond those being extracted
    report: ReportLimits = ReportLimits()   # what one report may cost, as in extract and batch
    upload_timeout: float = 10.0   # seconds an upload gets, plus one for every MIN_UPLOAD_RATE bytes

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * MB)

    @property
    def max_pages(self) -> int | None:
        return self.report.max_pages

    @property
    def timeout(self) -> float | None:
        return self.report.timeout


# --- admission and the pool ---------------------------------------------------------------------

class Busy(Exception):
    pass


class UploadTooSlow(Exception):
    """An upload that fell behind its deadline, or gave its slot to a newcomer when it was slow."""

    def __init__(self, evicted: bool):
        self.evicted = evicted


class Upload:
    """One admitted request while its body arrives: how fast it comes decides whether it may
    keep its slot."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.received = 0
        self.evicted = asyncio.Event()
        self.counted = True   # holds an admission slot

    def deadline(self, timeout: float) -> float:
        return self.started + timeout + self.received / MIN_UPLOAD_RATE

    def slow(self, now: float) -> bool:
        elapsed = now - self.started
        return elapsed >= EVICT_AFTER and self.received < MIN_UPLOAD_RATE * elapsed


class ExtractionPool:
    """``workers`` extraction processes (``extractor.apps.workers.Pool``) behind a bounded
    admission count. The event loop never waits on a worker: a job's wait for an idle worker and
    for its answer run in a thread of their own, one per admitted request at most.

    A request holds a slot from its headers on, while its body arrives too, so that the uploads
    held in memory are bounded. A slow upload cannot hold its slot for long: it must arrive
    within ``upload_timeout`` seconds plus one for every 64 KB (then 408), and when every slot is
    taken a newcomer takes the slot of the slowest upload that has been below that rate for
    ``EVICT_AFTER`` seconds (which gets 408). So clients that trickle their uploads do not keep
    the server from working for the others."""

    def __init__(self, limits: Limits, model: bytes):
        self.limits = limits
        self._pool = workers.Pool(limits.workers, model, limits.report)
        self._threads = ThreadPoolExecutor(limits.workers + limits.queue + 1, thread_name_prefix="nianbao-job")
        self._admitted = 0
        self._uploads: set[Upload] = set()

    async def start(self) -> None:
        """Start every worker and wait until each has its model loaded; raise if one cannot."""
        await asyncio.get_running_loop().run_in_executor(self._threads, self._pool.start)

    async def close(self) -> None:
        self._pool.close()
        self._threads.shutdown(wait=False, cancel_futures=True)

    @contextlib.contextmanager
    def admission(self):
        """A slot for one request, as an ``Upload`` whose body is still to come."""
        if self._admitted >= self.limits.workers + self.limits.queue:
            now = time.monotonic()
            slow = [u for u in self._uploads if u.slow(now)]
            if not slow:
                running = self._pool.status()["running"]
                raise Busy(f"server busy: {running} extractions running and "
                           f"{self._admitted - running} requests waiting; retry later")
            victim = min(slow, key=lambda u: u.received / (now - u.started))
            self._release(victim)
            victim.evicted.set()
        upload = Upload()
        self._admitted += 1
        self._uploads.add(upload)
        try:
            yield upload
        finally:
            self._release(upload)

    def uploaded(self, upload: Upload) -> None:
        """The body has arrived: the request keeps its slot and can no longer lose it."""
        self._uploads.discard(upload)

    def _release(self, upload: Upload) -> None:
        self._uploads.discard(upload)
        if upload.counted:
            upload.counted = False
            self._admitted -= 1

    async def run(self, job: workers.Job) -> workers.Outcome:
        """One job on the next free worker, within the time limit."""
        cancelled = threading.Event()   # the caller went away: a job not yet started is dropped
        try:
            return await asyncio.get_running_loop().run_in_executor(self._threads, self._pool.run, job, cancelled)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    def status(self) -> dict:
        pool = self._pool.status()
        return {**pool, "queued": self._admitted - pool["running"],   # reading its upload or waiting for a worker
                "capacity": self.limits.workers + self.limits.queue}


# --- the app ------------------------------------------------------------------------------------

class UploadTooLarge(Exception):
    pass


def model_card(model_dir: str | Path | None = None) -> dict:
    """What GET /v1/model answers: which model file serves (by hash, so that a caller can tell two
    deployments apart), its card, and any metadata written beside it."""
    from extractor.stages.classify import FEATURE_VERSION, FEATURES, model_file
    from extractor.types import LABELS
    path = model_file(model_dir)
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
        "408": {"description": "The upload was too slow (--upload-timeout)"},
        "413": {"description": "Upload, page count or another limit of the report exceeded; the message states the limit"},
        "415": {"description": "Neither a multipart upload nor a PDF body"},
        "422": {"description": "Not a readable PDF (not a PDF, empty, truncated, encrypted), with the reason"},
        "503": {"description": "Server at capacity; retry after Retry-After seconds"},
        "504": {"description": "Extraction took longer than the time limit"},
    },
}
_RAW_TYPES = {"application/pdf", "application/octet-stream"}


def create_app(limits: Limits, model_dir: str | Path | None = None) -> FastAPI:
    """The app; loads (and checks) the layout model once, for every worker: raises ``ModelError``
    for a model that cannot be used."""
    from extractor.stages.classify import load_model
    pool = ExtractionPool(limits, pickle.dumps(load_model(model_dir), protocol=pickle.HIGHEST_PROTOCOL))
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
                    f"{limits.timeout} s per extraction.")
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
            with pool.admission() as upload:
                data, name = await _read_pdf(request, limits, upload)
                pool.uploaded(upload)
                outcome = await pool.run(workers.Job(data, name, with_blocks=blocks, as_json=not review, review=review))
        except ClientDisconnect:   # gone mid-upload; 499 ("client closed request") is for the access log
            return Response(status_code=499)
        except Busy as e:
            raise HTTPException(503, str(e), headers={"Retry-After": RETRY_AFTER}) from e
        except UploadTooSlow as e:
            detail = ("upload too slow while the server was full: its slot went to a request that was ready"
                      if e.evicted else
                      f"upload too slow: a body gets {limits.upload_timeout:g} s, and one more for every "
                      f"{MIN_UPLOAD_RATE // 1024} KB received (--upload-timeout, NIANBAO_UPLOAD_TIMEOUT)")
            return JSONResponse({"detail": detail}, status_code=408, headers={"Connection": "close"})
        kind, payload = outcome.kind, outcome.record
        if kind == "ok":
            return Response(payload, media_type="text/html; charset=utf-8" if review else "application/json")
        if kind == "limit":
            if outcome.detail.get("limit") == "max_pages":
                raise HTTPException(413, f"the PDF has {outcome.detail['found']} pages; this server reads at most "
                                         f"{limits.max_pages} (--max-pages, NIANBAO_MAX_PAGES)")
            raise HTTPException(413, (outcome.reason or "").replace("; nianbao reads at most", "; this server reads at most"))
        if kind == "unreadable":
            raise HTTPException(422, outcome.reason)
        if kind == "timeout":
            raise HTTPException(504, f"extraction took longer than the {limits.timeout:g} s limit")
        if kind == "died":
            raise HTTPException(500, "the extraction process died (a crash inside the PDF library)")
        if kind == "cancelled":
            return Response(status_code=499)
        if kind == "setup":
            raise HTTPException(500, f"this server cannot read the report: {outcome.reason}")
        log.error("extraction failed for %s: %s", name, outcome.reason)
        raise HTTPException(500, f"internal error ({outcome.reason}); please report it with the file")

    @app.exception_handler(UploadTooLarge)
    async def too_large(request: Request, exc: UploadTooLarge) -> JSONResponse:
        # Read the rest of the body first (within bounds), or a client still sending it would see
        # the connection reset instead of this answer.
        if request.headers.get("expect", "").lower() != "100-continue":
            await _drain(request.receive, limits)
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


async def _read_pdf(request: Request, limits: Limits, upload: Upload) -> tuple[bytes, str | None]:
    """The uploaded PDF and its file name: a multipart field ``file`` or the raw body."""
    request = Request(request.scope, _capped(request.receive, limits, upload))
    media_type = request.headers.get("content-type", "application/pdf").split(";")[0].strip().lower()
    if media_type == "multipart/form-data":
        async with request.form(max_files=1, max_fields=1) as form:
            field = form.get("file")
            if field is None or isinstance(field, str):
                raise HTTPException(422, "the multipart upload needs the PDF as a file in the field 'file'")
            return await field.read(), Path(field.filename or "").name or None
    if media_type not in _RAW_TYPES:
        raise HTTPException(415, f"send the PDF as multipart/form-data (field 'file') or as an "
                                 f"application/pdf body, not {media_type}")
    return b"".join([chunk async for chunk in request.stream()]), None


def _capped(receive, limits: Limits, upload: Upload):
    """``receive`` that raises ``UploadTooLarge`` once the body passes the upload limit, so a
    chunked upload without Content-Length is refused as it streams, not after; and
    ``UploadTooSlow`` when the body falls behind its deadline or the upload loses its slot."""
    limit = limits.max_upload_bytes

    async def capped_receive():
        remaining = upload.deadline(limits.upload_timeout) - time.monotonic()
        message_task = asyncio.ensure_future(receive())
        evicted_task = asyncio.ensure_future(upload.evicted.wait())
        try:
            done, _ = await asyncio.wait({message_task, evicted_task}, timeout=max(remaining, 0.0),
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            evicted_task.cancel()
        if message_task not in done:
            message_task.cancel()
            raise UploadTooSlow(evicted=upload.evicted.is_set())
        message = message_task.result()
        if message["type"] == "http.request":
            upload.received += len(message.get("body", b""))
            if upload.received > limit:
                raise UploadTooLarge
        return message
    return capped_receive


DRAIN_LIMIT = 64 * MB   # a body declared larger than this (or the upload limit × 4) is not read to answer it


async def _drain(receive, limits: Limits) -> None:
    """Read and drop what is left of a request's body, up to ``DRAIN_LIMIT`` bytes and as long as
    it keeps the upload rate."""
    upload, cap = Upload(), max(DRAIN_LIMIT, 4 * limits.max_upload_bytes)
    while upload.received <= cap:
        remaining = upload.deadline(limits.upload_timeout) - time.monotonic()
        try:
            message = await asyncio.wait_for(receive(), max(remaining, 0.0))
        except TimeoutError:
            return
        if message["type"] != "http.request":
            return
        upload.received += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def serve(limits: Limits, host: str = "127.0.0.1", port: int = 8000,
          model_dir: str | Path | None = None) -> None:
    """Run the service until interrupted."""
    import uvicorn
    uvicorn.run(create_app(limits, model_dir), host=host, port=port, log_level="info")
