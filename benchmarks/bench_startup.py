"""What one report costs as a whole process, and a text-layer page in-process, each as a ratio
to PyMuPDF doing the least it must on the same file, measured side by side in one run.

    python benchmarks/bench_startup.py [PDF ...] [--repeat N] [--in-process]

Default PDF: fixtures/seed-002-lianzhou-2023.pdf (a 5-page text-layer report).

- whole process: ``nianbao extract PDF -o DIR`` against ``python -c "import pymupdf; <rawdict
  and drawings of every page>"``, wall and CPU seconds (children included), median of N runs,
  the runs interleaved so that the machine's load falls on both alike;
- where a whole process's time goes: the CPU seconds of a bare interpreter, of importing what
  the front end imports (``extractor.apps.cli``), what the worker process imports before its
  first report (the pipeline), and of the worker's imports with the first PDF's report, each the
  median of N fresh processes;
- in-process: the pipeline's CPU ms per page once loaded, against PyMuPDF's
  ``get_text("rawdict")`` plus ``get_cdrawings()`` of each page; and where the pipeline's time
  goes, each stage (and ingest's calls into MuPDF, the trees of the layout model) timed inside
  ``extract`` by wrapping it, summed over every PDF and per page.

The package's bytecode is compiled first, as ``pip install`` does for a wheel: without it (an
editable install under ``PYTHONDONTWRITEBYTECODE``) every process would compile the package's
sources again, about 60 ms of CPU that no installed copy pays.
"""

from __future__ import annotations

import argparse
import collections
import compileall
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pymupdf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import extractor.pipeline  # noqa: E402
import extractor.stages.classify  # noqa: E402
import extractor.stages.ingest  # noqa: E402
from extractor.pipeline import extract  # noqa: E402
from extractor.stages.classify.trees import TreeEnsemble  # noqa: E402

# What is timed inside extract: (label, where the function is looked up, its name). Nested ones
# (ingest's calls into MuPDF, the classifier's features and trees) are also inside their stage.
TIMED = (
    ("ingest", extractor.pipeline, "ingest"),
    ("  content read", pymupdf.Page, "read_contents"),
    ("  content bounds", extractor.stages.ingest, "content_bounds"),
    ("  limits' device", extractor.stages.ingest, "check_page"),
    ("  rawdict", pymupdf.Page, "get_text"),
    ("  drawings", pymupdf.Page, "get_cdrawings"),
    ("ocr", extractor.pipeline, "ocr"),
    ("classify", extractor.pipeline, "classify"),
    ("  features", extractor.stages.classify, "featurize"),
    ("  trees", TreeEnsemble, "predict_proba"),
    ("reconstruct", extractor.pipeline, "reconstruct"),
    ("correct", extractor.pipeline, "correct"),
    ("report", extractor.pipeline, "reading_order"),
    ("report", extractor.pipeline, "read_report"),
    ("report", extractor.pipeline, "read_sections"),
    ("validate", extractor.pipeline, "validate"),
    ("record", extractor.pipeline, "build_record"),
)

BARE = ("import sys, pymupdf\n"
        "doc = pymupdf.open(sys.argv[1])\n"
        "for page in doc:\n"
        "    page.get_text('rawdict'); page.get_cdrawings()\n")


def _run(command: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _bare_pages(doc: pymupdf.Document) -> None:
    for page in doc:
        page.get_text("rawdict")
        page.get_cdrawings()


def whole_process(pdf: Path, nianbao: str, repeat: int) -> None:
    ours, bare = [], []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(repeat):
            ours.append(_run([nianbao, "extract", str(pdf), "-o", out]))
            bare.append(_run([sys.executable, "-c", BARE, str(pdf)]))
    wall, cpu = (statistics.median(t[i] for t in ours) for i in (0, 1))
    bare_wall, bare_cpu = (statistics.median(t[i] for t in bare) for i in (0, 1))
    print(f"  whole process   nianbao extract {wall:5.3f} s wall {cpu:5.3f} s CPU   "
          f"PyMuPDF {bare_wall:5.3f} s wall {bare_cpu:5.3f} s CPU   ratio {wall / bare_wall:4.2f}× wall, "
          f"{cpu / bare_cpu:4.2f}× CPU")


def in_process(pdf: Path, pages: int, repeat: int) -> tuple[float, float]:
    """(pipeline, PyMuPDF) median CPU ms per page."""
    data = pdf.read_bytes()
    extract(data)   # the model loaded, caches warm: a long-lived process
    ours_ms, bare_ms = [], []
    for _ in range(repeat):
        start = time.process_time()
        extract(data)
        ours_ms.append((time.process_time() - start) * 1000 / pages)
        start = time.process_time()
        with pymupdf.open(stream=data, filetype="pdf") as doc:
            _bare_pages(doc)
        bare_ms.append((time.process_time() - start) * 1000 / pages)
    mine, theirs = statistics.median(ours_ms), statistics.median(bare_ms)
    print(f"  in-process      pipeline {mine:6.2f} CPU ms/page   rawdict+drawings {theirs:6.2f}   "
          f"ratio {mine / theirs:4.1f}×")
    return mine, theirs


def where_time_goes(pdfs: list[Path], repeat: int) -> None:
    """CPU ms per page of each stage of ``extract`` (``TIMED``), over ``pdfs``, each read ``repeat``
    times once loaded."""
    spent: dict[str, float] = collections.defaultdict(float)

    def timed(label: str, function):
        def run(*args, **kwargs):
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] += time.process_time() - start
        return run

    originals = [(owner, name, getattr(owner, name)) for _, owner, name in TIMED]
    for (label, owner, name), (_, _, function) in zip(TIMED, originals):
        setattr(owner, name, timed(label, function))
    try:
        datas = [pdf.read_bytes() for pdf in pdfs]
        pages = repeat * sum(pymupdf.open(pdf).page_count for pdf in pdfs)
        spent.clear()
        start = time.process_time()
        for _ in range(repeat):
            for data in datas:
                extract(data)
        whole = time.process_time() - start
    finally:
        for owner, name, function in originals:
            setattr(owner, name, function)
    print(f"where a page's {whole * 1000 / pages:.2f} CPU ms go (each stage timed inside extract, "
          f"{len(pdfs)} PDF(s) × {repeat}):")
    for label in dict.fromkeys(label for label, _, _ in TIMED):
        print(f"  {label:18s} {spent[label] * 1000 / pages:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pdfs", nargs="*", type=Path, default=[ROOT / "fixtures" / "seed-002-lianzhou-2023.pdf"])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--in-process", action="store_true",
                        help="only the in-process figures (for many PDFs: the devset's text reports)")
    args = parser.parse_args()
    nianbao = str(Path(sys.executable).with_name("nianbao"))
    compileall.compile_dir(ROOT / "extractor", quiet=1)
    print(f"{len(args.pdfs)} PDF(s), {args.repeat} runs each, {os.cpu_count()} CPUs")
    if not args.in_process:
        # as the command and its worker start (command.run, workers._MAIN): no garbage collection
        # during the imports, the worker with one BLAS thread
        quiet = "import gc; gc.disable(); "
        worker = ["env", "OPENBLAS_NUM_THREADS=1", "OMP_NUM_THREADS=1", sys.executable, "-c"]
        phases = {"interpreter": [sys.executable, "-c", "pass"],
                  "import pymupdf": [sys.executable, "-c", "import pymupdf"],
                  "front end's imports": [sys.executable, "-c", quiet + "import extractor.apps.command, extractor.apps.cli"],
                  "worker's imports": [*worker, quiet + "import extractor.apps.workers, extractor.pipeline"],
                  "worker's imports and the first report": [
                      *worker, quiet + "import sys, extractor.apps.workers; from extractor.pipeline import extract; "
                      "gc.freeze(); gc.enable(); extract(open(sys.argv[1], 'rb').read())", str(args.pdfs[0])]}
        cost = {name: statistics.median(_run(command)[1] for _ in range(args.repeat))
                for name, command in phases.items()}
        print("CPU s of a fresh process: " + ",  ".join(f"{name} {cpu:4.2f}" for name, cpu in cost.items()))
        print("  (the command runs the front end and its worker side by side: on two free cores its wall time is "
              "about the worker's, its CPU time the sum)")
    ratios = []
    for pdf in args.pdfs:
        pages = pymupdf.open(pdf).page_count
        print(f"{pdf.name}: {pages} pages")
        if not args.in_process:
            whole_process(pdf, nianbao, args.repeat)
        mine, theirs = in_process(pdf, pages, args.repeat)
        ratios.append((mine / theirs, mine, theirs))
    if len(ratios) > 1:
        ratio, mine, theirs = (statistics.median(r[i] for r in ratios) for i in range(3))
        print(f"median over {len(ratios)} PDFs: in-process ratio {ratio:4.1f}× "
              f"(pipeline {mine:.2f} CPU ms/page, rawdict+drawings {theirs:.2f})")
    where_time_goes(args.pdfs, max(1, args.repeat // 2))


if __name__ == "__main__":
    main()
