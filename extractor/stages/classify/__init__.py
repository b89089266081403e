"""Label every block heading / table_cell / prose / other with a small gradient-boosted model.

The features describe a block the way a reader sees it: where it sits on the page and against
its neighbours, how big and bold it is, what its text looks like (numbering such as 一、 （一）
1. 1、, digits, dates, page footers) and whether ruling lines box it in. They are computed per
page with numpy over all blocks at once, so a page costs about a millisecond; the model is
applied once per document.

The shipped model lives in ``models/layout/`` as a skops file that is loaded with an explicit
list of trusted types, so a model file someone sends cannot run code. A model trained on a
different ``FEATURE_VERSION`` is refused.
"""

from __future__ import annotations

import re
import zipfile
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

import extractor
from extractor.errors import ModelError
from extractor.spec.labels import PAGE_NUMBER
from extractor.stages.classify.trees import TreeEnsemble
from extractor.types import LABELS, Block, Label, LabelledBlock, Page

# Bump whenever a feature is added, removed, reordered or computed differently.
FEATURE_VERSION = 1

MODEL_DIR = Path(extractor.__file__).resolve().parent / "models" / "layout"   # a link to the top-level models/, so that a wheel carries the model
MODEL_FILE = "model.skops"       # the estimator, for training tools and as the model's identity
COMPILED_FILE = "model.npz"      # its trees as arrays: what extraction loads (trees.py)


def model_file(path: str | Path | None = None) -> Path:
    """The layout model file that ``path`` designates: a model folder (its ``model.skops``), a
    model file, or, for None, the shipped model. The one place this is worked out."""
    path = Path(path) if path is not None else MODEL_DIR
    return path / MODEL_FILE if path.is_dir() else path

FEATURES = (
    # geometry, relative to the page and to the document's text column
    "x0", "x1", "y0", "y1", "width", "height",
    "indent", "right_gap", "off_centre", "top_rank", "bottom_rank",
    # font, relative to the document's body size
    "size", "bold", "size_vs_max",
    # text
    "chars", "digits", "han", "punct", "latin", "spaces", "density",
    "num_cn", "num_paren_cn", "num_arabic", "num_paren_arabic", "num_circled", "item_ref",
    "ends_sentence", "ends_colon", "numeric", "footer", "date", "date_only", "note", "unit",
    # neighbours
    "gap_above", "gap_below", "gap_left", "gap_right", "on_line", "on_line_above", "on_line_below",
    "x0_above", "x1_above", "x0_below", "x1_below", "size_above", "size_below",
    # ruling lines
    "rule_left", "rule_right", "rule_above", "rule_below", "ruled_sides", "rulings_near",
    # document
    "first_page", "page_position", "repeats",
)

FAR = 40.0   # distances are in body-text heights and clipped here: "nothing near"

_NUMBERING = re.compile(
    r"\s*(?:(?P<num_cn>[一二三四五六七八九十]+\s*[、.．])"
    r"|(?P<num_paren_cn>[（(]\s*[一二三四五六七八九十]+\s*[)）])"
    r"|(?P<num_arabic>\d{1,2}\s*(?:[、．]|\.(?!\d)))"
    r"|(?P<num_paren_arabic>[（(]\s*\d{1,2}\s*[)）])"
    r"|(?P<num_circled>[①-⑳]))"
)
_ITEM_REF = re.compile(r"第[^第项]{1,8}项")
_DATE = re.compile(r"(?:\d{4}|[〇○零一二三四五六七八九]{4})\s*年\s*[\d一二三四五六七八九十]{1,3}\s*月"
                   r"(?:\s*[\d一二三四五六七八九十]{1,3}\s*日)?")
_DIGITS = re.compile(r"\d+")
_NUMERIC = re.compile(r"[\d\s.,，%％+\-－—/／]+")


def _char_classes(cp: np.ndarray) -> dict[str, np.ndarray]:
    digit = ((cp >= 0x30) & (cp <= 0x39)) | ((cp >= 0xFF10) & (cp <= 0xFF19))
    latin = (((cp | 0x20) >= 0x61) & ((cp | 0x20) <= 0x7A)) | ((cp >= 0xFF21) & (cp <= 0xFF5A))
    han = ((cp >= 0x4E00) & (cp <= 0x9FFF)) | ((cp >= 0x3400) & (cp <= 0x4DBF))
    space = (cp == 0x20) | (cp == 0x3000) | (cp == 0xA0)
    ascii_punct = (cp >= 0x21) & (cp <= 0x7E) & ~digit & ~latin
    wide_punct = (((cp >= 0x3001) & (cp <= 0x303F)) | ((cp >= 0xFF01) & (cp <= 0xFFEF))
                  | ((cp >= 0x2010) & (cp <= 0x206F))) & ~digit & ~latin
    return {"digits": digit, "han": han, "punct": ascii_punct | wide_punct, "latin": latin,
            "spaces": space}


def _text_features(texts: list[str], out: np.ndarray) -> None:
    """Character shares via one code-point array for the whole page; patterns via regexes."""
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    ends = np.cumsum(lengths)
    starts = ends - lengths
    cp = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    n = np.maximum(lengths, 1)
    for name, mask in _char_classes(cp).items():
        csum = np.concatenate(([0], np.cumsum(mask)))
        out[:, FEATURES.index(name)] = (csum[ends] - csum[starts]) / n
    out[:, FEATURES.index("chars")] = lengths
    last = np.where(lengths > 0, cp[np.maximum(ends - 1, 0)] if cp.size else 0, 0)
    out[:, FEATURES.index("ends_sentence")] = np.isin(last, [ord(c) for c in "。；;.！？"])
    out[:, FEATURES.index("ends_colon")] = np.isin(last, [ord(c) for c in "：:"])

    out[:, _PATTERN_COLUMNS] = [_patterns(t) for t in texts]


_PATTERN_COLUMNS = [FEATURES.index(name) for name in (
    *_NUMBERING.groupindex, "item_ref", "numeric", "footer", "date", "date_only", "note", "unit")]


@lru_cache(maxsize=1 << 16)
def _patterns(text: str) -> tuple[bool, ...]:
    """The numbering and pattern flags of one text, in ``_PATTERN_COLUMNS`` order. Cached: a
    document repeats most of its cell texts ("0", "/", the template's labels) many times."""
    text = text.strip()
    m = _NUMBERING.match(text)
    date = _DATE.search(text) if "年" in text else None
    return (
        *(m is not None and m.lastgroup == name for name in _NUMBERING.groupindex),
        "项" in text and _ITEM_REF.search(text) is not None,
        _NUMERIC.fullmatch(text) is not None,
        PAGE_NUMBER.fullmatch(text) is not None,
        date is not None,
        date is not None and len(text) - (date.end() - date.start()) <= 1,
        text.startswith(("注", "备注")),
        "单位" in text,
    )


def _nearest(dist: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the smallest valid distance (or inf) and its column (or -1)."""
    d = np.where(valid, dist, np.inf)
    j = d.argmin(axis=1) if d.shape[1] else np.zeros(len(d), dtype=np.int64)
    best = d[np.arange(len(d)), j] if d.shape[1] else np.full(len(d), np.inf)
    return best, np.where(np.isfinite(best), j, -1)


def _smallest(dist: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Per row, the smallest valid distance (or inf): ``_nearest``'s distance, without its column."""
    return dist.min(axis=1, initial=np.inf, where=valid)


def _ruling_features(page: Page, box: np.ndarray, body: float, out: np.ndarray) -> None:
    r = np.array([(g.x0, g.y0, g.x1, g.y1) for g in page.rulings], dtype=float).reshape(-1, 4)
    horizontal = (r[:, 2] - r[:, 0]) >= (r[:, 3] - r[:, 1])
    tol = 0.3 * body
    v, h = r[~horizontal], r[horizontal]
    vx = (v[:, 0] + v[:, 2]) / 2
    hy = (h[:, 1] + h[:, 3]) / 2
    m = 3 * body   # rulings crossing the block's neighbourhood
    n = len(box)
    distances = np.empty((n, 4))
    near = np.empty(n, dtype=np.int64)
    for c in _row_chunks(n, len(r)):   # blocks c against every ruling
        x0, y0, x1, y1 = box[c].T
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        spans_y = (v[None, :, 1] <= cy[:, None]) & (v[None, :, 3] >= cy[:, None])
        left = _smallest(x0[:, None] - vx[None, :], spans_y & (vx[None, :] <= x0[:, None] + tol))
        right = _smallest(vx[None, :] - x1[:, None], spans_y & (vx[None, :] >= x1[:, None] - tol))
        spans_x = (h[None, :, 0] <= cx[:, None]) & (h[None, :, 2] >= cx[:, None])
        above = _smallest(y0[:, None] - hy[None, :], spans_x & (hy[None, :] <= y0[:, None] + tol))
        below = _smallest(hy[None, :] - y1[:, None], spans_x & (hy[None, :] >= y1[:, None] - tol))
        distances[c] = np.clip(np.abs(np.stack([left, right, above, below], axis=1)) / body, 0, FAR)
        near[c] = ((r[None, :, 0] <= x1[:, None] + m) & (r[None, :, 2] >= x0[:, None] - m)
                   & (r[None, :, 1] <= y1[:, None] + m) & (r[None, :, 3] >= y0[:, None] - m)).sum(axis=1)
    first = FEATURES.index("rule_left")
    out[:, first:first + 4] = distances
    out[:, FEATURES.index("ruled_sides")] = (distances < 2.5).sum(axis=1)
    out[:, FEATURES.index("rulings_near")] = near


PAIRS_PER_CHUNK = 1 << 21   # block pairs compared at once: 16 MB per float matrix, whatever the page holds


def _row_chunks(n: int, m: int) -> list[slice]:
    """Rows of an n × m comparison, in slices of at most ``PAIRS_PER_CHUNK`` pairs: the time is
    n × m (bounded by the page limits), the memory never more than a chunk's."""
    rows = max(1, PAIRS_PER_CHUNK // max(m, 1))
    return [slice(i, min(i + rows, n)) for i in range(0, n, rows)]


def _neighbour_features(box: np.ndarray, size: np.ndarray, body: float, out: np.ndarray) -> None:
    x0, y0, x1, y1 = box.T
    n = len(box)
    h = np.maximum(y1 - y0, 1e-3)
    on_line = np.zeros(n, dtype=np.int64)
    gap_above, gap_below, gap_left, gap_right = (np.empty(n) for _ in range(4))
    above, below = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    for c in _row_chunks(n, n):   # rows c against every block j
        overlap_y = np.minimum(y1[c, None], y1[None, :]) - np.maximum(y0[c, None], y0[None, :])
        same_line = overlap_y > 0.5 * np.minimum(h[c, None], h[None, :])
        overlap_x = np.minimum(x1[c, None], x1[None, :]) - np.maximum(x0[c, None], x0[None, :])
        stacked = (overlap_x > 0) & ~same_line
        on_line[c] = same_line.sum(axis=1)
        up = y0[c, None] - y1[None, :]       # [i, j]: how far j's bottom is above i's top
        gap_above[c], above[c] = _nearest(up, stacked & (up > -0.5 * h[c, None]))
        down = y0[None, :] - y1[c, None]     # [i, j]: how far j's top is below i's bottom
        gap_below[c], below[c] = _nearest(down, stacked & (down > -0.5 * h[c, None]))
        right = x0[None, :] - x1[c, None]    # [i, j]: how far j starts right of i's end
        gap_right[c] = _smallest(right, same_line & (right > -0.5 * body))
        left = x0[c, None] - x1[None, :]     # [i, j]: how far j ends left of i's start
        gap_left[c] = _smallest(left, same_line & (left > -0.5 * body))

    f = FEATURES.index
    for name, gap in (("gap_above", gap_above), ("gap_below", gap_below),
                      ("gap_left", gap_left), ("gap_right", gap_right)):
        out[:, f(name)] = np.clip(gap / body, -1, FAR)
    out[:, f("on_line")] = on_line
    for side, j in (("above", above), ("below", below)):
        has = j >= 0
        k = np.where(has, j, 0)
        out[:, f(f"on_line_{side}")] = np.where(has, on_line[k], 0)
        out[:, f(f"x0_{side}")] = np.where(has, np.clip(np.abs(x0 - x0[k]) / body, 0, FAR), FAR)
        out[:, f(f"x1_{side}")] = np.where(has, np.clip(np.abs(x1 - x1[k]) / body, 0, FAR), FAR)
        out[:, f(f"size_{side}")] = np.where(has, size[k] / size, 0)
    # rank from the top and bottom of the page: running heads and footers sit at the extremes
    order = np.argsort(y0, kind="stable")
    rank = np.empty(len(y0))
    rank[order] = np.arange(len(y0))
    out[:, f("top_rank")] = np.minimum(rank, 5)
    out[:, f("bottom_rank")] = np.minimum(len(y0) - 1 - rank, 5)


# np.quantile and np.median import numpy.ma on their first call: 6–10 ms of a command that reads
# one report. These two give the same floats (the same method, the same arithmetic).

def _quantile(values: np.ndarray, q: float) -> float:
    """``np.quantile(values, q)`` (its linear method)."""
    ordered = np.sort(values)
    at = (len(ordered) - 1) * q
    below = int(at)
    if below >= len(ordered) - 1:
        return float(ordered[-1])
    a, b, t = ordered[below], ordered[below + 1], at - below
    return float(b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t)


def _median(values: np.ndarray) -> float:
    """``np.median(values)``."""
    ordered = np.sort(values)
    middle = len(ordered) // 2
    return float(ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2)


def _document_metrics(box: np.ndarray, sizes: np.ndarray, lengths: np.ndarray) -> tuple[float, float, float, float]:
    """Body font size, largest size, and the text column's left and right edges, from every
    block's box, font size and length."""
    order = np.argsort(sizes)
    weight = np.cumsum(lengths[order])
    body = float(sizes[order][np.searchsorted(weight, weight[-1] / 2)])
    # the text column is where long lines (prose) start and end
    long = lengths >= 0.6 * _quantile(lengths, 0.98)
    left, right = _median(box[long, 0]), _median(box[long, 2])
    return body, float(sizes.max()), left, right


@lru_cache(maxsize=1 << 16)
def _without_digits(text: str) -> str:
    return _DIGITS.sub("#", text.strip())


def _repeats(pages: list[Page], body: float) -> np.ndarray:
    """Per block, the share of pages that print the same text (digits aside) at the same height:
    running heads and footers repeat on every page, body text does not."""
    def key(b: Block) -> tuple[str, int]:
        return _without_digits(b.text), int((b.bbox[1] + b.bbox[3]) / (4 * body))

    keys = [key(b) for p in pages for b in p.blocks]
    seen: dict[tuple[str, int], set[int]] = {}
    for k, b in zip(keys, (b for p in pages for b in p.blocks)):
        seen.setdefault(k, set()).add(b.page)
    n = len(pages)
    return np.array([(len(seen[k]) - 1) / (n - 1) if n > 1 else 0.0 for k in keys])


def featurize(pages: list[Page]) -> np.ndarray:
    """One row of ``FEATURES`` per block, pages in order and blocks in page order."""
    f = FEATURES.index
    blocks = [b for p in pages for b in p.blocks]
    X = np.zeros((len(blocks), len(FEATURES)))
    if not blocks:
        return X
    # what depends on a block alone, for the whole document at once; the neighbours per page
    counts = [len(p.blocks) for p in pages]
    box = np.array([b.bbox for b in blocks], dtype=float)
    size = np.array([b.size for b in blocks], dtype=float)
    body, largest, left, right = _document_metrics(box, size, np.array([len(b.text) for b in blocks], dtype=float))
    column = max(right - left, body)
    width = np.repeat([p.width for p in pages], counts)
    height = np.repeat([p.height for p in pages], counts)
    number = np.repeat([p.number for p in pages], counts)
    x0, y0, x1, y1 = box.T
    X[:, f("x0")], X[:, f("x1")] = x0 / width, x1 / width
    X[:, f("y0")], X[:, f("y1")] = y0 / height, y1 / height
    X[:, f("width")] = (x1 - x0) / column
    X[:, f("height")] = (y1 - y0) / body
    X[:, f("indent")] = (x0 - left) / body
    X[:, f("right_gap")] = (right - x1) / body
    X[:, f("off_centre")] = np.abs((x0 - left) - (right - x1)) / body
    X[:, f("size")] = size / body
    X[:, f("size_vs_max")] = size / largest
    X[:, f("bold")] = [b.bold for b in blocks]
    _text_features([b.text for b in blocks], X)
    X[:, f("density")] = X[:, f("chars")] * size / np.maximum(x1 - x0, 1e-3)
    X[:, f("first_page")] = number == 0
    X[:, f("page_position")] = number / max(len(pages) - 1, 1)
    start = 0
    for page, n in zip(pages, counts):
        if n:
            rows = slice(start, start + n)
            _neighbour_features(box[rows], size[rows], body, X[rows])
            _ruling_features(page, box[rows], body, X[rows])
            start += n
    X[:, f("repeats")] = _repeats(pages, body)
    return X


# --- the model --------------------------------------------------------------------------------

# Every type a model file may name. skops would trust all of scikit-learn by default; this list is
# checked first, against every node of the file's schema, so nothing else is ever constructed.
TRUSTED_TYPES = sorted({
    "builtins.dict", "builtins.list", "builtins.tuple", "builtins.str", "builtins.int",
    "builtins.float", "numpy.ndarray", "numpy.uint64", "numpy.random._generator.Generator",
    "sklearn._loss._loss.CyHalfMultinomialLoss", "sklearn._loss.link.Interval",
    "sklearn._loss.link.MultinomialLogit", "sklearn._loss.loss.HalfMultinomialLoss",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.preprocessing._label.LabelEncoder", "extractor.stages.classify.model.LayoutModel",
})


MAX_MODEL_BYTES = 64 * 1024 * 1024   # all of a model file's members, inflated (the shipped one: 1.4 MB)


def _named_types(path: Path) -> set[str]:
    """Every type a skops file names, read from its JSON schema without constructing anything.
    A file whose members would inflate beyond ``MAX_MODEL_BYTES`` (a zip bomb) is refused from the
    sizes its directory declares, before anything is inflated (and zipfile never returns more
    than a member declares)."""
    import json
    import zipfile

    def walk(node) -> None:
        if isinstance(node, dict):
            if "__module__" in node and "__class__" in node:
                named.add(f"{node['__module__']}.{node['__class__']}")
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    named: set[str] = set()
    with zipfile.ZipFile(path) as z:
        inflated = sum(info.file_size for info in z.infolist())
        if inflated > MAX_MODEL_BYTES:
            raise ModelError(f"{path} would inflate to {inflated / 2**20:.0f} MiB; a layout model is "
                             f"at most {MAX_MODEL_BYTES // 2**20} MiB")
        walk(json.loads(z.read("schema.json")))
    return named


def save_model(model, directory: str | Path) -> Path:
    """``model.skops`` (the estimator) and ``model.npz`` (its trees, which extraction loads)."""
    import zipfile

    import skops.io as sio

    path = Path(directory) / MODEL_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump({"feature_version": FEATURE_VERSION, "features": list(FEATURES),
              "labels": list(LABELS), "estimator": model}, path,
             compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    TreeEnsemble.from_estimator(model, FEATURES, FEATURE_VERSION).save(path.with_name(COMPILED_FILE))
    return path


def load_model(path: str | Path | None = None) -> TreeEnsemble:
    """The layout model at ``path`` (a model folder or file; default: the shipped one), ready to
    label blocks: a folder's ``model.npz`` when it has one (NumPy alone, milliseconds), else the
    trees of its estimator (``load_estimator``: scikit-learn and skops, about two seconds)."""
    file = model_file(path)
    compiled = file.with_name(COMPILED_FILE) if path is None or Path(path).is_dir() else file
    if compiled.suffix != ".npz" or not compiled.is_file():
        return TreeEnsemble.from_estimator(load_estimator(file), FEATURES, FEATURE_VERSION)
    try:
        model = TreeEnsemble.load(compiled)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as e:
        raise ModelError(f"{compiled} is not a readable layout model: {e}") from None
    if model.feature_version != FEATURE_VERSION:
        raise ModelError(
            f"{compiled} was trained on layout features version {model.feature_version}; this code computes "
            f"version {FEATURE_VERSION}. Retrain it (python -m training.train_layout) or use a "
            f"matching nianbao version.")
    if model.features != FEATURES or sorted(model.classes_) != sorted(LABELS):
        raise ModelError(f"{compiled} lists other features or labels than this code; retrain it")
    return model


def load_estimator(path: str | Path | None = None):
    """The scikit-learn estimator stored at ``path`` (its ``model.skops``), checked: only trusted
    types are constructed, and it must be a fitted ``LayoutModel`` over these features and labels."""
    import skops.io as sio

    path = model_file(path)
    if not path.is_file():
        raise ModelError(f"no layout model at {path}")
    try:
        untrusted = sorted(_named_types(path) - set(TRUSTED_TYPES))
        if untrusted:
            raise ModelError(f"{path} contains types that are not trusted: {', '.join(untrusted)}")
        stored = sio.load(path, trusted=TRUSTED_TYPES)
    except ModelError:
        raise
    except Exception as e:   # skops raises many kinds on a damaged or foreign file
        raise ModelError(f"{path} is not a readable layout model: {e}") from e
    version = stored.get("feature_version") if isinstance(stored, dict) else None
    if version != FEATURE_VERSION:
        raise ModelError(
            f"{path} was trained on layout features version {version}; this code computes "
            f"version {FEATURE_VERSION}. Retrain it (python -m training.train_layout) or use a "
            f"matching nianbao version.")
    if stored.get("features") != list(FEATURES) or stored.get("labels") != list(LABELS):
        raise ModelError(f"{path} lists other features or labels than this code; retrain it")
    from extractor.stages.classify.model import LayoutModel

    model = stored.get("estimator")
    if not (isinstance(model, LayoutModel) and sorted(getattr(model, "classes_", ())) == sorted(LABELS)
            and getattr(model, "n_features_in_", None) == len(FEATURES) and hasattr(model, "trees_")):
        raise ModelError(f"{path} does not hold a fitted layout model (LayoutModel over {len(FEATURES)} "
                         f"features and the labels {', '.join(LABELS)}); retrain it")
    return model


@cache
def _shipped_model():
    return load_model()


def classify(pages: list[Page], model=None) -> list[LabelledBlock]:
    """Every block of ``pages``, in order, with its label and the model's probability for it."""
    if model is None:
        model = _shipped_model()
    blocks: list[Block] = [b for p in pages for b in p.blocks]
    if not blocks:
        return []
    proba = model.predict_proba(featurize(pages))
    best = proba.argmax(axis=1)
    labels: list[Label] = [model.classes_[k] for k in best]
    return [LabelledBlock(b, label, float(proba[i, k])) for i, (b, label, k) in enumerate(zip(blocks, labels, best))]
