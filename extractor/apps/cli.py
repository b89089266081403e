"""The ``nianbao`` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from extractor import limits as default
from extractor.limits import Limits
from extractor.settings import REVIEW

app = typer.Typer(
    help="Extract and check the tables of 政府信息公开工作年度报告 (annual government information "
         "disclosure reports) from PDF into nianbao/2 JSON records.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)

EXIT_OK, EXIT_CHECKS_FAILED, EXIT_UNREADABLE = 0, 1, 2


def _version(value: bool) -> None:
    if value:
        from extractor import __version__
        typer.echo(f"nianbao {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """nianbao: 政府信息公开工作年度报告 PDF → validated nianbao/2 records."""


def _load_model(path: Path | None):
    """The layout model, checked; a model that cannot be used ends the command with one line."""
    from extractor.errors import ModelError
    from extractor.stages.classify import load_model
    try:
        return load_model(path)
    except ModelError as e:
        _fail(f"--model: {e}")


def _fail(message: str) -> None:
    from extractor.sanitize import clean_message
    typer.echo(f"error  {clean_message(message)}", err=True)
    raise typer.Exit(EXIT_UNREADABLE)


def _say(line: str) -> None:
    from extractor.sanitize import clean_message
    typer.echo(clean_message(line))   # file names can hold undecodable bytes, reasons the PDF's own


def _outcome(record: dict) -> str:
    from extractor.stages.record import failed_rules
    failed = failed_rules(record)
    fmt = record["report"]["format"]
    found = len(record["cells"])
    warned = [c["rule"] for c in record["checks"] if c["status"] == "warn"]
    noted = f"; warnings: {', '.join(warned)}" if warned else ""
    if failed:
        return f"checks failed: {', '.join(failed)}{noted}"
    return f"ok ({fmt or 'no'} format, {found} cells){noted}"


# The limits of one report, the same options in extract, batch and serve (README: Limits).
MaxPages = Annotated[int, typer.Option(min=0, envvar="NIANBAO_MAX_PAGES",
                                       help="Pages a report may have, counted before it is read (0: no limit).")]
MaxPageDrawings = Annotated[int, typer.Option(min=0, envvar="NIANBAO_MAX_PAGE_DRAWINGS",
                                              help="Drawing operations on one page (0: no limit).")]
MaxPageChars = Annotated[int, typer.Option(min=0, envvar="NIANBAO_MAX_PAGE_CHARS",
                                           help="Characters of text on one page (0: no limit).")]
MaxImageMp = Annotated[float, typer.Option(min=0, envvar="NIANBAO_MAX_IMAGE_MP",
                                           help="Megapixels of one image, or of a page rendered for OCR (0: no limit).")]
Timeout = Annotated[float, typer.Option(min=0, envvar="NIANBAO_TIMEOUT",
                                        help="Seconds one report may take (a scanned page needs about 1 s, 2 s on a busy machine); then "
                                             "its worker process is stopped and replaced (0: no limit).")]
MaxMemoryMb = Annotated[int, typer.Option(min=0, envvar="NIANBAO_MAX_MEMORY_MB",
                                          help="MiB of address space a worker process may use, enforced by the "
                                               "kernel (0: no limit).")]
def _limits(max_pages: int, max_page_drawings: int, max_page_chars: int, max_image_mp: float,
            timeout: float, max_memory_mb: int) -> Limits:
    return Limits(max_pages=max_pages, max_page_drawings=max_page_drawings,
                  max_page_chars=max_page_chars, max_image_mp=max_image_mp, timeout=timeout,
                  max_memory_mb=max_memory_mb)
ModelFolder = Annotated[Path | None, typer.Option(envvar="NIANBAO_MODEL",
                                                  help="Layout model folder (default: the shipped model).")]


def _input(path: Path) -> bytes:
    """The report's bytes; OSError for anything but a readable regular file (a FIFO would block)."""
    import os
    import stat
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise OSError("not a regular file")
    return path.read_bytes()


@app.command()
def extract(
    reports: Annotated[list[Path], typer.Argument(help="Report PDFs to read.", show_default=False)],
    out: Annotated[Path, typer.Option("-o", "--out", help="Folder for the REPORT.json records.")] = Path("out"),
    strict: Annotated[bool, typer.Option(help="Exit 1 when any check fails.")] = False,
    model: Annotated[Path | None, typer.Option(help="Layout model folder (default: the shipped model).")] = None,
    labels: Annotated[Path | None, typer.Option(exists=True, help="A label file or folder of them from "
                                                   "`nianbao label`: their labels win over the model's.")] = None,
    review: Annotated[bool, typer.Option(help="Also write OUTDIR/findings.xlsx and OUTDIR/review/ for a person "
                                              "to check the findings.")] = False,
    max_pages: MaxPages = default.MAX_PAGES,
    max_page_drawings: MaxPageDrawings = default.MAX_PAGE_DRAWINGS,
    max_page_chars: MaxPageChars = default.MAX_PAGE_CHARS,
    max_image_mp: MaxImageMp = default.MAX_IMAGE_MP,
    timeout: Timeout = default.TIMEOUT,
    max_memory_mb: MaxMemoryMb = default.MAX_MEMORY_MB,
) -> None:
    """Read each REPORT.pdf and write OUTDIR/REPORT.json (schema nianbao/2).

    With --review, also writes OUTDIR/findings.xlsx (报告, 问题清单, 数据) and OUTDIR/review/: a
    review page per report, index.html, and a marked page image per finding. (They take longer
    than reading a text-layer report: its pages are rendered.)

    Prints one line per file: ok, checks failed (with the failing rules), or error (with the reason).
    Each report is read in a worker process within the limits (--timeout, --max-memory-mb, …), so
    one that hangs or crashes costs that file only. Exit status: 0 every file was read; 1 with
    --strict when a check failed; 2 a file could not be read (the others are still processed).
    """
    from extractor.apps.workers import Job, ModelFailed, ModelFolder, Pool, WorkerFailed
    from extractor.stages.record import failed_rules, output_name, write_json

    limits = _limits(max_pages, max_page_drawings, max_page_chars, max_image_mp, timeout, max_memory_mb)
    # The worker loads the model itself, and is not warmed up: the first report pays the lazy
    # set-up once, as the warm-up would.
    pool = Pool(1, ModelFolder(None if model is None else str(model)), limits, warm_up=False)
    try:
        pool.start()
    except ModelFailed as e:
        _fail(f"--model: {e}")
    except WorkerFailed as e:
        _fail(str(e))
    unreadable = checks_failed = False
    taken: dict[str, str | None] = {}
    written, failed = [], []
    try:
        for path in reports:
            try:
                data = _input(path)
            except OSError as e:
                unreadable = True
                _say(f"error  {path}: cannot read file: {e.strerror or e}")
                failed.append({"file": str(path), "reason": f"cannot read file: {e.strerror or e}"})
                continue
            outcome = pool.run(Job(data, str(path), labels=None if labels is None else str(labels)))
            if outcome.kind != "ok":
                unreadable = True
                why = f"internal error ({outcome.reason})" if outcome.kind == "error" else str(outcome.reason)
                _say(f"error  {path}: {why}" + ("; please report it with the file" if outcome.kind == "error" else ""))
                failed.append({"file": str(path), "reason": why})
                continue
            record = outcome.record
            assert isinstance(record, dict)
            try:
                target = write_json(record, out / f"{output_name(path.stem, record['source']['sha256'], taken)}.json")
            except OSError as e:   # the output folder: the next file may still be written elsewhere
                unreadable = True
                _say(f"error  {path}: cannot write the record: {e}")
                failed.append({"file": str(path), "reason": f"cannot write the record: {e}"})
                continue
            written.append((path, target))
            checks_failed |= bool(failed_rules(record))
            _say(f"{_outcome(record)}  {path} → {target}")
    finally:
        pool.close()
    if review and (written or failed):
        from extractor.apps.findings import write_outputs
        book = write_outputs(out, written, failed=failed)
        _say(f"findings: {book}, review pages: {out / 'review' / 'index.html'}")
    if unreadable:
        raise typer.Exit(EXIT_UNREADABLE)
    if strict and checks_failed:
        raise typer.Exit(EXIT_CHECKS_FAILED)


def _compare_input(path: Path, out: Path, pool, taken: dict) -> tuple[dict, Path]:
    """(record, record file) of a report given as a nianbao/2 record or as a PDF (read and written
    to OUTDIR/NAME.json); a file that is neither ends the command with one line."""
    import json

    from extractor.stages.record import output_name, write_json
    try:
        data = _input(path)
    except OSError as e:
        _fail(f"{path}: cannot read file: {e.strerror or e}")
    if path.suffix.lower() == ".json":
        try:
            record = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as e:
            _fail(f"{path}: not a JSON record ({e})")
        if not isinstance(record, dict) or record.get("schema") != "nianbao/2":
            _fail(f"{path}: not a nianbao/2 record (write one with `nianbao extract`)")
        return record, path
    from extractor.apps.workers import Job
    outcome = pool.run(Job(data, str(path)))
    if outcome.kind != "ok":
        _fail(f"{path}: {outcome.reason}")
    record = outcome.record
    return record, write_json(record, out / f"{output_name(path.stem, record['source']['sha256'], taken)}.json")


@app.command()
def compare(
    old: Annotated[Path, typer.Argument(help="Last year's report: a PDF, or its nianbao/2 record (.json).",
                                        show_default=False)],
    new: Annotated[Path, typer.Argument(help="This year's report of the same body: a PDF or a record.",
                                        show_default=False)],
    out: Annotated[Path, typer.Option("-o", "--out", help="Folder for the records, findings.xlsx and "
                                                          "review/ (the 比对 page).")] = Path("out"),
    corpus: Annotated[list[Path] | None, typer.Option(exists=True, file_okay=False, help="Folders of nianbao/2 records (a batch's records/) "
                                                            "to learn the sentences every report uses from, "
                                                            "besides the reports shipped with nianbao.")] = None,
    strict: Annotated[bool, typer.Option(help="Exit 1 when a check across the years fails or warns.")] = False,
    timeout: Timeout = default.TIMEOUT,
    model: ModelFolder = None,
) -> None:
    """Compare a body's report with its report of the year before.

    Prints the figures that changed by much, each section's share of sentences copied from last
    year, and the checks across years (series.carry_over, series.in_force, series.change,
    series.copied_prose); writes OUTDIR/review/compare-NAME.html (both years side by side) and
    OUTDIR/findings.xlsx with the sheet 比对.
    """
    import json
    import pickle

    from extractor.apps.findings import write_outputs
    from extractor.apps.workers import Pool, WorkerFailed
    from extractor.sanitize import clean_text
    from extractor.series.compare import BatchSeries, compare, not_compared
    from extractor.series.copying import shipped_corpus, standard_sentences
    from extractor.series.figures import change_kind, change_text
    from extractor.series.issuers import Filed, issuer_key, names_taken_as_one
    from extractor.spec import messages as zh

    out.mkdir(parents=True, exist_ok=True)
    pool = None
    if any(p.suffix.lower() != ".json" for p in (old, new)):
        pool = Pool(1, pickle.dumps(_load_model(model), protocol=pickle.HIGHEST_PROTOCOL), Limits(timeout=timeout))
        try:
            pool.start()
        except WorkerFailed as e:
            _fail(str(e))
    taken: dict[str, str | None] = {}
    try:
        (a, a_path), (b, b_path) = (_compare_input(p, out, pool, taken) for p in (old, new))
    finally:
        if pool is not None:
            pool.close()
    texts = [(r["report"]["issuer"], [s["text"] or "" for s in r["sections"]]) for r in (a, b)]
    for folder in corpus or []:
        for path in sorted(folder.rglob("*.json")):
            try:
                r = json.loads(path.read_text("utf-8"))
            except (OSError, UnicodeDecodeError, ValueError):
                continue
            if isinstance(r, dict) and r.get("schema") == "nianbao/2":
                texts.append((r["report"]["issuer"], [s["text"] or "" for s in r["sections"]]))
    files = [clean_text(str(old)), clean_text(str(new))]
    c = compare(files[0], a, files[1], b, standard_sentences([*texts, *shipped_corpus()]))
    years = c.years
    if a["report"]["issuer"] and b["report"]["issuer"] and issuer_key(a["report"]["issuer"]) != issuer_key(b["report"]["issuer"]):
        _say(f"注意：两份报告的发布机关不同（{a['report']['issuer']}、{b['report']['issuer']}）")
    if years[0] is not None and years[1] is not None and years[1] != years[0] + 1:
        _say(f"注意：两份报告的年度不相接（{years[0]}、{years[1]}）")
    merged = names_taken_as_one([Filed(f, r["report"]["issuer"], r["report"]["year"]) for f, r in zip(files, (a, b))])
    same = f"（{'、'.join(merged[0])} 视为同一机关）" if merged else ""
    _say(f"{c.issuer or '发布机关未找到'} {years[0]} → {years[1]} 年度{same}")
    large = [f for f in c.figures if f.large]
    changed = [f for f in c.figures if f.change]
    _say(f"数据：{len(c.figures)} 项，{len(changed)} 项有变化，{len(large)} 项大幅变化")
    for f in large:
        _say(f"  {change_kind(f)}  {f.indicator.label} {change_text(f)}")
    _say("正文重复率：" + "；".join(
        f"第{s.number}部分 {s.share:.0%}（{len(s.copied)}/{s.considered} 句）" + ("，照抄" if s.finding else "")
        for s in c.sections if s.share is not None))
    for check in c.checks:
        heads = sum(not f.follows for f in large)
        said = (f"{heads} 项" + (f"，另 {len(large) - heads} 项随之变化" if len(large) > heads else "") + "，见上"
                if check.rule == "series.change" and large else check.message)
        _say(f"  {zh.STATUS.get(check.status, check.status)}  {zh.rule_name(check.rule)}：{said}")
    series = BatchSeries({files[0]: not_compared("比对中的上一年度报告", "the year before of the comparison"),
                          files[1]: c.checks}, [c], merged)
    book = write_outputs(out, [(old if old.suffix.lower() != ".json" else a_path, a_path),
                               (new if new.suffix.lower() != ".json" else b_path, b_path)], series=series)
    _say(f"→ {out / 'review' / f'compare-{clean_text(b_path.stem)}.html'}, {book}（比对）")
    if strict and any(check.status in ("fail", "warn") for check in c.checks):
        raise typer.Exit(EXIT_CHECKS_FAILED)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 exposes the service to the network).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int | None, typer.Option(min=1, envvar="NIANBAO_WORKERS", show_default="one per CPU",
                                                   help="Extraction processes, each with the model loaded once.")] = None,
    queue: Annotated[int, typer.Option(min=0, envvar="NIANBAO_QUEUE",
                                       help="Requests admitted beyond those being extracted; more get 503.")] = 32,
    max_upload_mb: Annotated[float, typer.Option(min=0, envvar="NIANBAO_MAX_UPLOAD_MB",
                                                 help="Larger uploads get 413.")] = 20.0,
    upload_timeout: Annotated[float, typer.Option(min=0.1, envvar="NIANBAO_UPLOAD_TIMEOUT",
                                                  help="Seconds an upload gets, plus one for every 64 KB received; "
                                                       "a slower one gets 408.")] = 10.0,
    max_pages: MaxPages = default.MAX_PAGES,
    max_page_drawings: MaxPageDrawings = default.MAX_PAGE_DRAWINGS,
    max_page_chars: MaxPageChars = default.MAX_PAGE_CHARS,
    max_image_mp: MaxImageMp = default.MAX_IMAGE_MP,
    timeout: Timeout = default.TIMEOUT,
    max_memory_mb: MaxMemoryMb = default.MAX_MEMORY_MB,
    model: ModelFolder = None,
) -> None:
    """Serve the extractor over HTTP: POST /v1/extract, GET /healthz, GET /v1/model, docs at /docs."""
    import os

    from extractor.apps.service import Limits
    from extractor.apps.service import serve as run
    from extractor.errors import ModelError

    limits = Limits(max_upload_mb=max_upload_mb, workers=workers or os.cpu_count() or 1, queue=queue,
                    upload_timeout=upload_timeout,
                    report=_limits(max_pages, max_page_drawings, max_page_chars, max_image_mp, timeout,
                                   max_memory_mb))
    try:
        run(limits, host, port, model)
    except ModelError as e:
        _fail(f"--model: {e}")


@app.command()
def batch(
    inputs: Annotated[list[str], typer.Argument(help="Folders (searched recursively for *.pdf), globs, "
                                                     "PDFs, or files listing paths one per line.",
                                                show_default=False)],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder: records/, cells and checks "
                                                          "tables, summary.json.")],
    workers: Annotated[int | None, typer.Option(min=1, show_default="one per CPU",
                                                   help="Reports read at once.")] = None,
    resume: Annotated[bool, typer.Option(help="Skip reports whose record exists for the same content "
                                              "and model version, and those that failed for a reason "
                                              "that cannot change (unreadable, over a limit).")] = False,
    retry_failed: Annotated[bool, typer.Option(help="With --resume, read the reports that failed before "
                                                    "again too.")] = False,
    executor: Annotated[str, typer.Option(help="local: processes on this machine; dask: a Dask "
                                               "distributed cluster.")] = "local",
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address (tcp://host:port), whose "
                                                          "workers' threads then set how many reports are "
                                                          "read at once; default: a local cluster of "
                                                          "--workers processes on 127.0.0.1.")] = None,
    strict: Annotated[bool, typer.Option(help="Exit 1 when any check fails.")] = False,
    expect: Annotated[Path | None, typer.Option(help="The units a superior office expects a report from: one "
                                                     "name a line, as they sign (a CSV's first column); the "
                                                     "output lists who has no report for a year and who "
                                                     "published one not on the list.")] = None,
    max_pages: MaxPages = default.MAX_PAGES,
    max_page_drawings: MaxPageDrawings = default.MAX_PAGE_DRAWINGS,
    max_page_chars: MaxPageChars = default.MAX_PAGE_CHARS,
    max_image_mp: MaxImageMp = default.MAX_IMAGE_MP,
    timeout: Timeout = default.TIMEOUT,
    max_memory_mb: MaxMemoryMb = default.MAX_MEMORY_MB,
    model: ModelFolder = None,
) -> None:
    """Read many reports in parallel into OUTDIR/records/*.json and an analysts' dataset.

    Writes OUTDIR/cells.parquet|csv, OUTDIR/checks.parquet|csv (with the checks across an issuer's
    consecutive years, series.*, and batch.duplicate), OUTDIR/series.parquet|csv (a row per issuer,
    year and indicator), OUTDIR/summary.json, OUTDIR/findings.xlsx (with the sheets 比对 and, with
    --expect, 报送情况) and OUTDIR/review/ (index.html, a review page per report, a 比对 page per
    pair of years, a marked page image per finding). A report
    that cannot be read, is over a limit, times out or crashes its worker is recorded with the reason
    and the run goes on. Exit status as for extract.
    """
    import os

    from extractor.apps.batch import run_batch
    from extractor.errors import ModelError

    if executor not in ("local", "dask"):
        raise typer.BadParameter("choose local or dask", param_hint="--executor")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    limits = _limits(max_pages, max_page_drawings, max_page_chars, max_image_mp, timeout, max_memory_mb)
    units = None
    if expect is not None:
        from extractor.series.issuers import read_expected
        try:
            units = read_expected(expect.read_text("utf-8-sig"))
        except (OSError, UnicodeDecodeError) as e:
            _fail(f"--expect {expect}: cannot read it ({e})")
    try:
        summary = run_batch(inputs, out, workers=workers or cores, limits=limits, resume=resume,
                            retry_failed=retry_failed, executor=executor, scheduler=scheduler, model=model,
                            expect=units)
    except ModelError as e:
        _fail(f"--model: {e}")
    except OSError as e:   # an output folder that cannot be written
        _fail(str(e))
    if summary["compared"]:
        _say(f"{summary['compared']} reports compared with the same issuer's report of the year before "
             f"(review/compare-*.html, sheet 比对)")
    for names in summary["names_taken_as_one"]:
        _say(f"taken as one issuer: {'、'.join(names)}")
    if "expected" in summary:
        for year, names in summary["expected"]["missing"].items():
            _say(f"{year}: {len(names)} expected units without a report" + (f": {'、'.join(names)}" if names else ""))
        unlisted = summary["expected"]["unlisted"]
        _say(f"{len(unlisted)} issuers not on the expected list" +
             (f": {'、'.join(u['issuer'] for u in unlisted)}" if unlisted else ""))
    files = summary["files"]
    _say(f"{files['ok']} read ({files['resumed']} from an earlier run), "
         f"{summary['reports_with_findings']} with findings, {files['failed']} failed, "
         f"{files['duplicates']} duplicates → {out} (findings.xlsx, review/index.html)")
    if summary["failed"]:
        raise typer.Exit(EXIT_UNREADABLE)
    if strict and summary["failed_checks_by_rule"]:
        raise typer.Exit(EXIT_CHECKS_FAILED)


@app.command()
def label(
    reports: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="Report PDFs to label.",
                                                  show_default=False)],
    out: Annotated[Path, typer.Option("-o", "--out", help="Folder for REPORT.labels.jsonl, REPORT.pdf "
                                                          "and REPORT.pN.png.")],
    model: Annotated[Path | None, typer.Option(help="Layout model folder (default: the shipped model).")] = None,
    below: Annotated[float, typer.Option(min=0, max=1, help="Mark blocks the model gives less confidence.")] = REVIEW.confident,
) -> None:
    """Write each block's predicted label to an editable file and draw the pages with the labels.

    Correct the `label` of the wrong lines in REPORT.labels.jsonl (the images show which: one colour
    per label, unsure ones in a dashed red frame), then `nianbao train OUTDIR -o models/NAME`.
    """
    from extractor.learning.labelling import label_report

    layout_model = _load_model(model)
    for path in reports:
        labels, images = label_report(path, out, layout_model, below)
        typer.echo(f"{path} → {labels} and {len(images)} page images")


def _labelled_reports(dirs: list[Path]) -> tuple[list[Path], list]:
    from extractor.learning.training import labelled_pdfs, load_reports

    pdfs = labelled_pdfs(dirs)
    if not pdfs:
        raise typer.BadParameter("no REPORT.pdf with REPORT.labels.jsonl (or .blocks.jsonl) beside it in "
                                 + ", ".join(map(str, dirs)))
    try:
        return pdfs, load_reports(pdfs)
    except ValueError as e:   # a label that is not one of the four
        raise typer.BadParameter(str(e)) from None


@app.command()
def train(
    dirs: Annotated[list[Path], typer.Argument(exists=True, file_okay=False, show_default=False,
                                               help="Folders of REPORT.pdf + REPORT.labels.jsonl.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Model folder to write (model.skops, MODEL_CARD.md).")],
    with_shipped: Annotated[bool, typer.Option(help="Train on the shipped labelled reports too (the "
                                                    "committed fixtures/ of a source checkout, its two "
                                                    "scans included).")] = False,
    folds: Annotated[int, typer.Option(min=2, help="Cross-validation folds, grouped by report.")] = 5,
) -> None:
    """Train a layout model on corrected label files; print per-class cross-validated scores."""
    import shlex
    import sys

    from extractor.learning.training import SHIPPED_DATA, cross_validate, fit, format_scores, model_card, ms_per_page
    from extractor.stages.classify import save_model

    if with_shipped and not all(d.is_dir() for d in SHIPPED_DATA):
        raise typer.BadParameter(f"the shipped training data is missing from this installation "
                                 f"({SHIPPED_DATA[0]}); reinstall nianbao", param_hint="--with-shipped")
    pdfs, reports = _labelled_reports(dirs + (list(SHIPPED_DATA) if with_shipped else []))
    if len(reports) < 2:
        raise typer.BadParameter("need at least two labelled reports to train and cross-validate")
    cv = cross_validate(reports, folds)
    typer.echo(f"cross-validation over {len(reports)} reports, {min(folds, len(reports))} folds grouped "
               f"by report:\n{format_scores(cv)}")
    model = fit(reports)
    speed = ms_per_page(model, pdfs[:5])
    path = save_model(model, out)
    command = "nianbao " + shlex.join(sys.argv[1:])
    (out / "MODEL_CARD.md").write_text(model_card(model, reports, [], cv, None, command, speed, folds), "utf-8")
    typer.echo(f"wrote {path} and {out / 'MODEL_CARD.md'}")


@app.command()
def evaluate(
    dirs: Annotated[list[Path], typer.Argument(exists=True, file_okay=False, show_default=False,
                                               help="Folders of held-out REPORT.pdf + REPORT.labels.jsonl.")],
    model: Annotated[Path | None, typer.Option(help="Layout model folder (default: the shipped model).")] = None,
) -> None:
    """Print a model's per-class precision, recall and F1 on labelled reports it was not trained on."""
    from extractor.learning.training import evaluate as score
    from extractor.learning.training import format_scores

    layout_model = _load_model(model)
    _, reports = _labelled_reports(dirs)
    typer.echo(f"{len(reports)} reports:\n{format_scores(score(layout_model, reports))}")

