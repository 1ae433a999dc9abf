"""Run exo on a real pseudo-terminal and return what the terminal received."""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)")


def run_on_pty(args: list[str], columns: int = 100, env: dict | None = None, timeout: float = 30) -> tuple[int, str]:
    """Run `python -m exocli ARGS` with stdout and stderr on a pty; (exit code, output)."""
    master, slave = os.openpty()
    import fcntl
    import struct
    import termios

    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    full_env = {**os.environ, "COLUMNS": str(columns), "LINES": "50", "TERM": "xterm-256color"}
    full_env.pop("NO_COLOR", None)
    full_env.update(env or {})
    proc = subprocess.Popen(
        [sys.executable, "-m", "exocli", *args], stdin=slave, stdout=slave, stderr=slave, env=full_env, close_fds=True
    )
    os.close(slave)
    out = drain(master)
    code = proc.wait(timeout=timeout)
    return code, out.decode("utf-8", "replace")


def drain(master: int) -> bytes:
    """Everything a pty's program writes until it closes its end; closes ``master``."""
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError as e:
            if e.errno == errno.EIO:  # Linux: the other end was closed
                break
            raise
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return b"".join(chunks)


def visible(text: str) -> str:
    """The text without terminal escape sequences, with pty line endings."""
    return ANSI.sub("", text).replace("\r\n", "\n")
