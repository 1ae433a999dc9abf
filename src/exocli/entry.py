"""The `exo` console script: catch Ctrl-C before anything else is imported.

Importing the CLI (Typer and Click) takes tens of milliseconds; a Ctrl-C in
that time would otherwise end in a KeyboardInterrupt traceback. The one
handler (`signals`) is in place from this module's first statements, so
from exo's first instruction on, Ctrl-C ends it quietly with 130.
"""

from __future__ import annotations

# NOTE: the interpreter's C module, already loaded: Ctrl-C is ignored for the
# fraction of a millisecond it takes to read `signals`, never a traceback.
import _signal

_signal.signal(_signal.SIGINT, _signal.SIG_IGN)

from .signals import install  # noqa: E402 - after Ctrl-C is held off

install()


def main() -> None:
    from .cli import main as run

    run()
