"""The ``nianbao`` command's entry point.

``nianbao extract`` starts its worker process first of all (``workers.prestart``): the worker
imports the pipeline (PyMuPDF, NumPy: about 0.15 s) while this process imports Typer and parses
the options, instead of after. The other commands start their workers when they need them.
"""

import gc
import sys


def run() -> None:
    # The imports' objects live as long as the command: no collection need walk them (a tenth of
    # the imports' time), and none will once they are frozen.
    gc.disable()
    if sys.argv[1:2] == ["extract"] and not {"--help", "-h"} & set(sys.argv[2:]):
        from extractor.apps.workers import prestart
        prestart()
    from extractor.apps.cli import app
    gc.freeze()
    gc.enable()
    app()


if __name__ == "__main__":
    run()
