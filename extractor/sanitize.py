"""Text that is safe to write: into a record (UTF-8 JSON), a CSV, a terminal.

PyMuPDF hands over whatever the file holds: a warning quoting a damaged content stream carries
its raw bytes as lone surrogates (``unknown keyword: '574\\udcae60'``), a ToUnicode map can map a
glyph to a surrogate code point, and a file name from the disk can hold undecodable bytes. None of
these can be encoded as UTF-8, so each becomes U+FFFD; control characters, which could move a
terminal's cursor or recolour it, become U+FFFD in messages too.
"""

from __future__ import annotations

import re
from dataclasses import fields, is_dataclass

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` with every surrogate code point replaced by U+FFFD: encodable as UTF-8."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def clean_message(text: str) -> str:
    """A one-line message for a person: surrogates and control characters (newlines included,
    tabs aside) replaced by U+FFFD."""
    text = text.replace("\r\n", " ").replace("\n", " ")
    return _CONTROL.sub("\ufffd", text) if _CONTROL.search(text) else text


_NAMES: dict[type, tuple[str, ...] | None] = {}


def _names(kind: type) -> tuple[str, ...] | None:
    """The field names of a dataclass, None for any other type."""
    if kind not in _NAMES:
        _NAMES[kind] = tuple(f.name for f in fields(kind)) if is_dataclass(kind) else None
    return _NAMES[kind]


def fields_of(value) -> dict:
    """A dataclass's fields, by name, in order (their values as they are)."""
    return {name: getattr(value, name) for name in _names(type(value)) or ()}


_SCALARS = (int, float, bool, type(None))


def clean_tree(value):
    """``value`` as JSON-like data with every string, keys included, made encodable: dicts,
    lists, tuples (as lists) and dataclasses (as dicts: what ``asdict`` gives, in one walk and
    without its deep copies, which cost more than the rest of a record)."""
    kind = type(value)   # the exact types first: a record is a few thousand of them
    if kind is str:
        return _SURROGATE.sub("\ufffd", value) if not value.isascii() and _SURROGATE.search(value) else value
    if kind in _SCALARS:
        return value
    # a leaf (a number, an ASCII string: most of a record) kept without a call of its own
    if kind is dict:
        return {k if type(k) is str and k.isascii() else clean_tree(k):
                v if (t := type(v)) in _SCALARS or t is str and v.isascii() else clean_tree(v)
                for k, v in value.items()}
    if kind is list or kind is tuple:
        return [v if (t := type(v)) in _SCALARS or t is str and v.isascii() else clean_tree(v) for v in value]
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_tree(k): clean_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_tree(v) for v in value]
    names = _names(kind)
    return value if names is None else {k: clean_tree(getattr(value, k)) for k in names}
