"""What one report may cost: the limits a user sees and sets, the same in extract, batch and serve.

Each limit is an option and an environment variable of every command that reads reports (the
README's limits table lists them with their defaults); a report beyond one is refused with
``LimitExceeded``, whose message names the limit, its option and its variable. The defaults are
far above what real reports need (the committed fixtures: at most 482 drawing operations and 1,016
characters on a page, images of 2.2 megapixels) and low enough that a hostile file cannot take a
machine's memory or a worker's time.
"""

from __future__ import annotations

from dataclasses import dataclass

from extractor.errors import LimitExceeded

MAX_PAGES = 200             # pages, counted before any page is read
MAX_PAGE_DRAWINGS = 50_000  # drawing operations (paths filled or stroked) on one page
MAX_PAGE_CHARS = 20_000     # characters of text on one page (visible or not)
MAX_IMAGE_MP = 50.0         # megapixels of one image on a page, or of a page rendered for OCR
TIMEOUT = 120.0             # seconds one report may take; its worker is then killed
MAX_MEMORY_MB = 2048        # address space of a worker process (RLIMIT_AS), in MiB


@dataclass(frozen=True, slots=True)
class Limits:
    """The defaults above; None (or 0) is no limit."""
    max_pages: int | None = MAX_PAGES
    max_page_drawings: int | None = MAX_PAGE_DRAWINGS
    max_page_chars: int | None = MAX_PAGE_CHARS
    max_image_mp: float | None = MAX_IMAGE_MP
    timeout: float | None = TIMEOUT
    max_memory_mb: int | None = MAX_MEMORY_MB

    def __post_init__(self) -> None:   # 0 means no limit, as on the command line
        for name in self.__slots__:   # type: ignore[attr-defined]
            if getattr(self, name) == 0:
                object.__setattr__(self, name, None)


# limit → (option, what the limit allows, as a message says it)
OPTIONS = {
    "max_pages": ("--max-pages", "{} pages"),
    "max_page_drawings": ("--max-page-drawings", "{} drawing operations per page"),
    "max_page_chars": ("--max-page-chars", "{} characters per page"),
    "max_image_mp": ("--max-image-mp", "{:g} megapixels per image"),
    "timeout": ("--timeout", "{:g} s per report"),
    "max_memory_mb": ("--max-memory-mb", "{} MiB of memory per report"),
}


def flag(option: str) -> str:
    """How a message names a limit: its option and its environment variable."""
    return f"{option}, {envvar(option)}"


def envvar(option: str) -> str:
    return "NIANBAO_" + option.removeprefix("--").replace("-", "_").upper()


def allowed(limits: Limits, name: str, reader: str = "nianbao") -> str:
    """``nianbao reads at most 200 pages (--max-pages, NIANBAO_MAX_PAGES)``."""
    option, amount = OPTIONS[name]
    return f"{reader} reads at most {amount.format(getattr(limits, name))} ({flag(option)})"


def exceeded(limits: Limits, name: str, found: str, value: float | None = None) -> LimitExceeded:
    """The refusal of a report beyond the limit ``name``: what was found, then the limit."""
    return LimitExceeded(f"{found}; {allowed(limits, name)}", limit=name, found=value)


def out_of_memory(limits: Limits) -> LimitExceeded:
    return exceeded(limits, "max_memory_mb", "the report needs more memory than a worker may use")


def is_out_of_memory(error: BaseException) -> bool:
    """A MemoryError, or MuPDF's allocation failure (under the worker's address-space limit)."""
    if isinstance(error, MemoryError):
        return True
    message = str(error)
    return type(error).__name__.startswith("FzError") and ("malloc" in message or "out of memory" in message)
