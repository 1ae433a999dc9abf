"""The `exo` console script: catch Ctrl-C before anything heavy is imported.

Importing the CLI (Typer and Click) takes tens of milliseconds; a Ctrl-C in
that time would otherwise end in a KeyboardInterrupt traceback.
"""

from __future__ import annotations

import signal
import sys

from .errors import EXIT_INTERRUPTED, Interrupted


def _on_sigint(signum, frame):  # noqa: ARG001
    raise Interrupted


def main() -> None:
    signal.signal(signal.SIGINT, _on_sigint)
    try:
        from .cli import main as run
    except Interrupted:
        sys.exit(EXIT_INTERRUPTED)
    run()
