"""One exception base for everything nianbao raises on purpose.

``InputError`` is the user's file: it cannot be read as a report (not a PDF, encrypted, truncated,
over a limit). ``SetupError`` is the installation: something nianbao needs is not installed (the
``ocr`` extra, a model file). ``ModelError`` and ``LabelError`` are files a person gave besides
the report. Anything else that escapes is a defect in nianbao, never the user's fault, and the
front ends report it as such.
"""


class NianbaoError(Exception):
    """The message is one line, written for the user: what is wrong and, where it helps, what to do."""


class InputError(NianbaoError):
    """The file cannot be read as a report PDF."""


class SetupError(NianbaoError):
    """This installation lacks something the report needs (e.g. OCR for a scanned page)."""


class ModelError(NianbaoError):
    """A layout model file that cannot be used: not a model, untrusted content, another feature version."""


class LabelError(NianbaoError):
    """A label file (``nianbao label``) that cannot be used."""


class LimitExceeded(InputError):
    """The file is beyond a limit the user can set (``extractor.limits``); the message names the
    limit and its option. ``limit`` is its name (``max_pages``), ``found`` what the file has."""

    def __init__(self, message: str, limit: str = "", found: float | None = None):
        super().__init__(message)
        self.limit = limit
        self.found = found

    def __reduce__(self):
        return type(self), (str(self), self.limit, self.found)
