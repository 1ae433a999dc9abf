"""Ctrl-C, SIGTERM and SIGHUP: the one handler, installed from exo's first instruction.

It uses only the interpreter's C module `_signal` (the `signal` module
imports enum: milliseconds in which a Ctrl-C would still print a
traceback), so `entry` can install it before anything else is imported.
"""

from __future__ import annotations

import _signal

EXIT_INTERRUPTED = 130

_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")


class Interrupted(SystemExit):
    """Ctrl-C (exit 130), or SIGTERM or SIGHUP (128 + the signal), raised past
    click so it cannot turn it into 'Aborted!', and so that every `finally`
    runs: a store being built is removed, not left half-written.

    NOTE: a SystemExit, so one landing before the command has started (while
    exo is still being imported) ends the run quietly with its code.
    """

    def __init__(self, code: int = EXIT_INTERRUPTED) -> None:
        super().__init__(code)


def _on_signal(signum, frame) -> None:  # noqa: ARG001
    raise Interrupted(EXIT_INTERRUPTED if signum == _signal.SIGINT else 128 + signum)


def install() -> None:
    """Make Ctrl-C, SIGTERM and SIGHUP raise `Interrupted`."""
    for name in _SIGNALS:
        if hasattr(_signal, name):
            _signal.signal(getattr(_signal, name), _on_signal)


def block() -> None:
    """Hold the signals back: the work is done and exo is about to leave."""
    if hasattr(_signal, "pthread_sigmask"):
        _signal.pthread_sigmask(_signal.SIG_BLOCK, {getattr(_signal, n) for n in _SIGNALS if hasattr(_signal, n)})
