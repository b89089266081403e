"""Throughput and latency of ``nianbao serve`` for one fixture report at concurrency 1, 4 and 16.

    python benchmarks/bench_service.py [--report PDF] [--requests N] [--workers N]

Starts its own server on a free loopback port (127.0.0.1 only), warms it up, then for each
concurrency level sends ``requests`` POST /v1/extract requests (raw PDF body) from that many
concurrent clients and prints requests per second and p50/p99 latency. The client runs on the
same machine, so on 2 cores it competes with the workers; the figures are end-to-end wall time.
With N requests per level, p99 is the (N·0.99)th fastest, close to the slowest.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
LEVELS = (1, 4, 16)


def start_server(workers: int) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "extractor.apps.command", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--queue", str(max(LEVELS))],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return server, url
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    sys.exit("the server did not start")


async def level(url: str, pdf: bytes, concurrency: int, requests: int) -> tuple[float, list[float], int]:
    """Wall seconds for all requests, each request's latency, and how many did not get 200."""
    todo = iter(range(requests))
    latencies: list[float] = []
    failed = 0

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal failed
        for _ in todo:
            start = time.perf_counter()
            r = await http.post("/v1/extract", content=pdf, headers={"content-type": "application/pdf"})
            latencies.append(time.perf_counter() - start)
            failed += r.status_code != 200

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        start = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
        return time.perf_counter() - start, latencies, failed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", type=Path, default=ROOT / "fixtures" / "seed-002-lianzhou-2023.pdf")
    parser.add_argument("--requests", type=int, default=64, help="requests per concurrency level")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    pdf = args.report.read_bytes()

    server, url = start_server(args.workers)
    try:
        asyncio.run(level(url, pdf, args.workers, 2 * args.workers))   # every worker warm
        print(f"{args.report.name} ({len(pdf) / 1024:.0f} KB), {args.workers} workers, "
              f"{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f} before the run), "
              f"{args.requests} requests per level")
        print(f"{'concurrency':>11} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'non-200':>8}")
        for concurrency in LEVELS:
            wall, latencies, failed = asyncio.run(level(url, pdf, concurrency, args.requests))
            print(f"{concurrency:>11} {len(latencies) / wall:>7.1f} {percentile(latencies, 0.5) * 1000:>8.0f} "
                  f"{percentile(latencies, 0.99) * 1000:>8.0f} {failed:>8}")
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()
