"""The ``nianbao`` command's entry point.

``nianbao extract`` starts its worker process first of all (``workers.prestart``): the worker
imports the pipeline (PyMuPDF, NumPy: about 0.2 s) while this process imports Typer and parses
the options, instead of after. The other commands start their workers when they need them.
"""

import sys


def run() -> None:
    if sys.argv[1:2] == ["extract"] and not {"--help", "-h"} & set(sys.argv[2:]):
        from extractor.apps.workers import prestart
        prestart()
    from extractor.apps.cli import app
    app()


if __name__ == "__main__":
    run()
