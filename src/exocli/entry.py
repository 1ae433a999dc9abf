"""The `exo` console script: catch Ctrl-C before anything else is imported.

Importing the CLI (Typer and Click) takes tens of milliseconds; a Ctrl-C in
that time would otherwise end in a KeyboardInterrupt traceback. The handler
is installed by this module's first statement, so from exo's first
instruction on, Ctrl-C ends it quietly with 130.
"""

from __future__ import annotations

# NOTE: the C module, not `signal`, which imports enum (milliseconds in which
# a Ctrl-C would still print a traceback).
import _signal


def _exit_interrupted(signum, frame):  # noqa: ARG001
    raise SystemExit(130)  # EXIT_INTERRUPTED, before errors.py can be imported


_signal.signal(_signal.SIGINT, _exit_interrupted)

import sys  # noqa: E402

from .errors import EXIT_INTERRUPTED, Interrupted  # noqa: E402


def _on_sigint(signum, frame):  # noqa: ARG001
    raise Interrupted


def main() -> None:
    _signal.signal(_signal.SIGINT, _on_sigint)
    try:
        from .cli import main as run
    except Interrupted:
        sys.exit(EXIT_INTERRUPTED)
    run()
