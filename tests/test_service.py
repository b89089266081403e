"""The HTTP service end to end: ``nianbao serve`` runs in a subprocess on a free loopback port and
gets real requests over real sockets.

One server serves every test: two workers, room for 20 requests, and limits small enough to hit
with the fixture report (8 MB, 2000 pages, 5 s per extraction).
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pymupdf
import pytest

from conftest import FIXTURES
from extractor.errors import InputError
from extractor.pipeline import extract
from extractor.stages.classify import FEATURE_VERSION, MODEL_DIR, MODEL_FILE

REPORT = FIXTURES / "seed-002-lianzhou-2023.pdf"
WORKERS, QUEUE = 2, 18
TIMEOUT = 5.0   # seconds: a 5-page report, with its review page, well within it even on a busy machine
MAX_PAGES = 2000   # the long report has this many: at 9 ms a page (CPU) it needs 18 s, beyond TIMEOUT


class Server:
    def __init__(self, log: Path, *options: str):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "extractor.apps.command", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), *options],
            stdout=log.open("wb"), stderr=subprocess.STDOUT)

    def wait_ready(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"server did not start:\n{self.log.read_text(errors='replace')}")

    def health(self) -> dict:
        return httpx.get(f"{self.url}/healthz", timeout=10).json()

    def post_pdf(self, data: bytes, **params) -> httpx.Response:
        return httpx.post(f"{self.url}/v1/extract", params=params, content=data,
                          headers={"content-type": "application/pdf"}, timeout=60)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def launched(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("serve") / "serve.log",
                    "--workers", str(WORKERS), "--queue", str(QUEUE), "--timeout", str(TIMEOUT),
                    "--max-upload-mb", "8", "--max-pages", str(MAX_PAGES))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def report() -> bytes:
    return REPORT.read_bytes()


@pytest.fixture(scope="module")
def expected(launched, report) -> dict:
    """The record the pipeline makes in-process, with blocks, as JSON carries it. Made while the
    server starts."""
    return json.loads(json.dumps(extract(report, REPORT.name, with_blocks=True), ensure_ascii=False))


@pytest.fixture(scope="module")
def server(launched, expected) -> Server:
    launched.wait_ready(120)
    return launched


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


def repeated(report: bytes, pages: int) -> bytes:
    """A real, longer report: the fixture's pages over and over."""
    src = pymupdf.open(stream=report)
    out = pymupdf.open()
    while out.page_count < pages:
        out.insert_pdf(src, to_page=min(src.page_count, pages - out.page_count) - 1)
    return out.tobytes()


def without_blocks(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "blocks"}


# --- good reports -------------------------------------------------------------------------------

def test_multipart_upload_returns_the_pipelines_record(client, report, expected):
    r = client.post("/v1/extract", files={"file": (REPORT.name, report, "application/pdf")})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    record = r.json()
    assert record == without_blocks(expected)
    assert record["schema"] == "nianbao/2"
    assert record["source"]["file"] == "seed-002-lianzhou-2023.pdf"
    assert record["source"]["pages"] == 5
    truth = json.loads(REPORT.with_suffix(".truth.json").read_text(encoding="utf-8"))
    assert {k: record["report"][k] for k in truth["report"]} == truth["report"]
    assert record["tables"] == truth["tables"]


def test_raw_pdf_body_with_blocks(client, report, expected):
    r = client.post("/v1/extract", params={"blocks": "true"}, content=report,
                    headers={"content-type": "application/pdf"})
    assert r.status_code == 200, r.text
    record = r.json()
    assert record == {**expected, "source": {**expected["source"], "file": None}}
    assert len(record["blocks"]) > 0
    assert set(record["blocks"][0]) == {"page", "bbox", "text", "label", "confidence"}
    assert {b["label"] for b in record["blocks"]} <= {"heading", "table_cell", "prose", "other"}


def test_twenty_concurrent_requests_all_get_the_same_record(client, report, expected):
    def post(_):
        return client.post("/v1/extract", files={"file": (REPORT.name, report, "application/pdf")})

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(post, range(20)))
    assert [r.status_code for r in answers] == [200] * 20
    assert all(r.json() == without_blocks(expected) for r in answers)


def test_health_model_and_docs(client):
    health = client.get("/healthz").json()
    assert health["status"] == "ok"
    assert health["workers"] >= 1
    model = client.get("/v1/model").json()
    assert model["sha256"] == hashlib.sha256((MODEL_DIR / MODEL_FILE).read_bytes()).hexdigest()
    assert model["feature_version"] == FEATURE_VERSION
    assert model["labels"] == ["heading", "table_cell", "prose", "other"]
    assert model["card"].startswith("# Layout classifier")
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths["/v1/extract"]["post"]["requestBody"]["content"]) == {"multipart/form-data",
                                                                          "application/pdf"}


def test_the_upload_form_gives_the_review_page(client, report, expected):
    form = client.get("/")
    assert form.status_code == 200 and form.headers["content-type"].startswith("text/html")
    assert 'action="/review"' in form.text and 'enctype="multipart/form-data"' in form.text
    assert 'name="file"' in form.text and "复核" in form.text
    r = client.post("/review", files={"file": (REPORT.name, report, "application/pdf")})
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    page = r.text
    assert "default-src 'none'" in page and not re.search(r"""(?:src|href)=["'](?:https?:)?//""", page)
    assert page.count('<div class="cell ') == sum(1 for c in expected["cells"] if c["bbox"])
    assert page.count('<figure class="page"') == expected["source"]["pages"]
    assert "没有发现问题" in page       # the clean report: every check passes
    bad = client.post("/review", files={"file": ("bad.pdf", b"", "application/pdf")})
    assert (bad.status_code, bad.json()) == (422, {"detail": "empty file"})


def test_the_api_docs_need_no_internet(client):
    docs = client.get("/docs")
    assert docs.status_code == 200
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", docs.text)
    assert assets and all(a.startswith("/static/swagger/") for a in assets), assets
    for asset in assets:
        r = client.get(asset)
        assert r.status_code == 200 and len(r.content) > 100, asset
    assert "redoc" not in client.get("/openapi.json").text.lower()
    assert client.get("/redoc").status_code == 404       # ReDoc would load from a CDN: not served


@pytest.mark.browser
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium "
                    "(apt-get install -y chromium); no browser is downloaded")
def test_the_api_docs_render_in_a_browser_from_this_server_alone(server):
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (the test extra)")
    requests = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.goto(f"{server.url}/docs")
            page.wait_for_selector(".opblock-summary-path", timeout=30_000)
            paths = page.eval_on_selector_all(".opblock-summary-path", "els => els.map(e => e.textContent)")
        finally:
            browser.close()
    assert {"/v1/extract", "/review", "/"} <= {p.strip() for p in paths}
    assert requests and all(u.startswith((server.url, "data:")) for u in requests), requests


# --- bad input ----------------------------------------------------------------------------------

def bad_inputs(report: bytes) -> dict[str, bytes]:
    return {
        "empty": b"",
        "not a PDF": "这不是PDF文件".encode(),
        "truncated": report[: len(report) // 2],
        "encrypted": pymupdf.open(stream=report).tobytes(
            encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner"),
    }


@pytest.mark.parametrize("case", ["empty", "not a PDF", "truncated", "encrypted"])
def test_unreadable_input_is_422_with_the_reason(client, report, case):
    data = bad_inputs(report)[case]
    with pytest.raises(InputError) as reason:
        extract(data)
    r = client.post("/v1/extract", files={"file": ("bad.pdf", data, "application/pdf")})
    assert (r.status_code, r.json()) == (422, {"detail": str(reason.value)})


def test_reasons_name_the_problem(client, report):
    details = {case: client.post("/v1/extract", content=data,
                                 headers={"content-type": "application/pdf"}).json()["detail"]
               for case, data in bad_inputs(report).items()}
    assert details["empty"] == "empty file"
    assert details["not a PDF"] == "not a PDF"
    assert details["truncated"].startswith("truncated or corrupt PDF")
    assert details["encrypted"] == "encrypted (password required)"


def test_multipart_without_a_file_field_is_422(client, report):
    r = client.post("/v1/extract", files={"upload": ("r.pdf", report, "application/pdf")})
    assert r.status_code == 422
    assert "'file'" in r.json()["detail"]


def test_other_media_types_are_415(client, report):
    r = client.post("/v1/extract", content=b"a=1", headers={"content-type": "application/json"})
    assert r.status_code == 415


# --- limits -------------------------------------------------------------------------------------

def test_oversized_upload_is_413_with_the_limit(client):
    big = b"%PDF-1.7\n" + bytes(9 * 1024 * 1024)
    r = client.post("/v1/extract", files={"file": ("big.pdf", big, "application/pdf")})
    assert r.status_code == 413
    assert r.json()["detail"] == "upload larger than the 8 MB limit (--max-upload-mb, NIANBAO_MAX_UPLOAD_MB)"


def test_oversized_stream_without_length_is_413(client):
    def body():   # chunked: the server learns the size only by counting
        for _ in range(9):
            yield bytes(1024 * 1024)

    r = client.post("/v1/extract", content=body(), headers={"content-type": "application/pdf"})
    assert r.status_code == 413
    assert "8 MB limit" in r.json()["detail"]


def test_too_many_pages_is_413_with_the_limit(client, report):
    r = client.post("/v1/extract", files={"file": ("long.pdf", repeated(report, MAX_PAGES + 1),
                                                   "application/pdf")})
    assert r.status_code == 413
    assert r.json()["detail"] == (f"the PDF has {MAX_PAGES + 1} pages; this server reads at most "
                                  f"{MAX_PAGES} (--max-pages, NIANBAO_MAX_PAGES)")


def wait_until(server: Server, condition) -> dict:
    while not condition(health := server.health()):
        time.sleep(0.02)
    return health


def test_health_answers_during_a_long_extraction_which_then_times_out(server, report):
    long_report = repeated(report, MAX_PAGES)
    answer = {}
    request = threading.Thread(target=lambda: answer.update(r=server.post_pdf(long_report)))
    request.start()
    seen = server.health()
    while request.is_alive() and seen["running"] == 0:
        seen = server.health()
    request.join()
    assert seen["running"] == 1, "healthz never answered while the extraction ran"
    assert answer["r"].status_code == 504
    assert answer["r"].json()["detail"] == f"extraction took longer than the {TIMEOUT:g} s limit"

    # the stuck worker was killed and replaced: both workers read reports again
    wait_until(server, lambda h: h["idle"] == WORKERS)
    r = server.post_pdf(report)
    assert r.status_code == 200, r.text


def test_beyond_capacity_is_503_and_the_server_recovers(server, report):
    # clients that send headers and then dawdle over the body hold every admission slot
    dawdlers = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(WORKERS + QUEUE)]
    try:
        for dawdler in dawdlers:
            dawdler.sendall(b"POST /v1/extract HTTP/1.1\r\nHost: x\r\nContent-Type: application/pdf\r\n"
                            b"Content-Length: 100000\r\n\r\n%PDF-1.7\n")
        wait_until(server, lambda h: h["queued"] == WORKERS + QUEUE)
        r = server.post_pdf(report)
        assert r.status_code == 503
        assert r.headers["retry-after"] == "2"
        assert r.json()["detail"] == f"server busy: 0 extractions running and {WORKERS + QUEUE} requests waiting; retry later"
    finally:
        for dawdler in dawdlers:
            dawdler.close()
    wait_until(server, lambda h: h["queued"] == 0)
    assert server.post_pdf(report).status_code == 200


# --- hostile input (issue 17) -------------------------------------------------------------------

def test_a_surrogate_from_the_pdf_library_is_a_200(client):
    from tests.test_hostile import stray_surrogate
    r = client.post("/v1/extract", content=stray_surrogate(REPORT), headers={"content-type": "application/pdf"})
    assert r.status_code == 200, r.text
    assert "第 2 页：内容损坏（MuPDF 提示：syntax error: unknown keyword: '574\ufffd60'）" in r.json()["problems"]


def test_a_limit_of_the_report_is_413_naming_it(client):
    from benchmarks.fuzz import hostile
    r = client.post("/v1/extract", content=hostile.many_drawings(None, count=60_000),
                    headers={"content-type": "application/pdf"})
    assert (r.status_code, r.json()) == (413, {"detail": (
        "page 1 has more than 50000 drawing operations; this server reads at most 50000 drawing operations "
        "per page (--max-page-drawings, NIANBAO_MAX_PAGE_DRAWINGS)")})


def test_an_oversized_body_with_its_length_is_read_and_answered_413(server):
    """A client that sends all of its 21 MB body before it reads (as requests does): the server,
    which knows from Content-Length to refuse it, reads the rest before answering, so the client's
    sending does not end in a broken pipe and it sees the 413."""
    size = 21 * 1024 * 1024
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(b"POST /v1/extract HTTP/1.1\r\nHost: x\r\nContent-Type: application/pdf\r\n"
                  b"Content-Length: %d\r\n\r\n" % size)
        time.sleep(0.5)   # the answer is ready before the body comes
        chunk = bytes(64 * 1024)
        for _ in range(size // len(chunk)):
            s.sendall(chunk)
        assert _answer(s) == (413, "upload larger than the 8 MB limit (--max-upload-mb, NIANBAO_MAX_UPLOAD_MB)")


STALLERS = 40
UPLOAD_TIMEOUT = 4


@pytest.fixture(scope="module")
def small_server(tmp_path_factory, server):
    """One worker, room for four requests, uploads given 4 s (and a second per 64 KB)."""
    small = Server(tmp_path_factory.mktemp("small") / "serve.log", "--workers", "1", "--queue", "3",
                   "--upload-timeout", str(UPLOAD_TIMEOUT), "--timeout", "30")
    small.wait_ready(120)
    yield small
    small.stop()


def _answer(sock: socket.socket) -> tuple[int, str]:
    """The status and the JSON detail of the answer on ``sock`` (waiting at most 60 s)."""
    sock.settimeout(60)
    data = b""
    while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)["detail"]


def test_stalled_uploads_do_not_block_a_good_request(small_server, report, expected):
    """40 clients send their headers and 1 KB of a 5 MB upload, then a byte now and then: they
    take the four slots, the others are refused at once; a good request that waits Retry-After
    gets its record, and each staller is answered 408."""
    stallers = []
    for _ in range(STALLERS):
        s = socket.create_connection(("127.0.0.1", small_server.port))
        s.sendall(b"POST /v1/extract HTTP/1.1\r\nHost: x\r\nContent-Type: application/pdf\r\n"
                  b"Content-Length: 5000000\r\n\r\n%PDF-1.7\n" + bytes(1024))
        stallers.append(s)
    stop = threading.Event()

    def trickle():
        while not stop.wait(0.5):
            for s in stallers:
                try:
                    s.send(b"\0")
                except OSError:
                    pass
    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    try:
        wait_until(small_server, lambda h: h["queued"] == 4)
        statuses = []
        for _ in range(10):   # bounded: the slots of slow uploads free within EVICT_AFTER
            r = small_server.post_pdf(report)
            statuses.append(r.status_code)
            if r.status_code != 503:
                break
            time.sleep(float(r.headers["retry-after"]))
        assert statuses[-1] == 200, statuses
        assert without_blocks(r.json()) == {**without_blocks(expected), "source": {**expected["source"], "file": None}}
        answers = [_answer(s) for s in stallers]
    finally:
        stop.set()
        trickler.join()
        for s in stallers:
            s.close()
    too_slow = {"upload too slow while the server was full: its slot went to a request that was ready",
                f"upload too slow: a body gets {UPLOAD_TIMEOUT} s, and one more for every 64 KB received "
                "(--upload-timeout, NIANBAO_UPLOAD_TIMEOUT)"}
    assert sorted(status for status, _ in answers) == [408] * 4 + [503] * (STALLERS - 4)
    assert {detail for status, detail in answers if status == 408} <= too_slow
    wait_until(small_server, lambda h: h["queued"] == 0)


def test_a_stalled_upload_times_out_with_the_limit(small_server):
    with socket.create_connection(("127.0.0.1", small_server.port)) as s:
        s.sendall(b"POST /v1/extract HTTP/1.1\r\nHost: x\r\nContent-Type: application/pdf\r\n"
                  b"Content-Length: 5000000\r\n\r\n%PDF-1.7\n")
        assert _answer(s) == (408, f"upload too slow: a body gets {UPLOAD_TIMEOUT} s, and one more for every "
                                   "64 KB received (--upload-timeout, NIANBAO_UPLOAD_TIMEOUT)")
