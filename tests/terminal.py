"""The one place that runs a program on a real pseudo-terminal.

It opens a pty and sets its window size, starts a command with its standard
streams on it, and reads what the command writes until every writer has
closed the terminal, within a deadline. The tests use it, and so do
docs/screenshots.py (the README's pictures) and benchmarks/run.py (the
timings on a terminal), which put this folder on sys.path; it therefore
stays standard library only and imports nothing from the tests.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import selectors
import shlex
import struct
import subprocess
import sys
import termios
import time

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)")


class DrainTimeout(TimeoutError):
    """A writer still had a descriptor open when the deadline passed.

    ``output`` holds what was read until then, one bytes per descriptor.
    """

    def __init__(self, timeout: float, output: list[bytes]) -> None:
        super().__init__(f"still written to after {timeout:g} s")
        self.output = output


def open_pty(columns: int, rows: int) -> tuple[int, int]:
    """A new pseudo-terminal with a window of ``columns`` x ``rows``: (master, slave)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    return master, slave


def drain_all(fds: list[int], timeout: float | None = None) -> list[bytes]:
    """Everything written to each of ``fds`` (pty masters or pipes' read ends)
    until every writer has closed it; one bytes per descriptor, in order.

    The descriptors are read side by side, so a writer never blocks on one
    while another is read. Raises DrainTimeout once ``timeout`` seconds have
    passed. The caller closes the descriptors.
    """
    chunks: dict[int, list[bytes]] = {fd: [] for fd in fds}
    deadline = None if timeout is None else time.monotonic() + timeout
    # NOTE: a selector (epoll or poll), not select(): a test process that has
    # opened many files gets descriptors above select()'s limit of 1024.
    with selectors.DefaultSelector() as sel:
        for fd in fds:
            sel.register(fd, selectors.EVENT_READ)
        while sel.get_map():
            if deadline is None:
                events = sel.select()
            else:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise DrainTimeout(timeout, [b"".join(chunks[fd]) for fd in fds])
                events = sel.select(left)
            for key, _ in events:
                fd = key.fd
                try:
                    data = os.read(fd, 65536)
                except OSError as e:
                    if e.errno != errno.EIO:  # Linux: EIO on a pty master once every slave end is closed
                        raise
                    data = b""
                if data:
                    chunks[fd].append(data)
                else:
                    sel.unregister(fd)
    return [b"".join(chunks[fd]) for fd in fds]


def drain(master: int, timeout: float | None = None) -> bytes:
    """Everything a pty's programs write until they have all closed it (see drain_all)."""
    return drain_all([master], timeout)[0]


def start_on_pty(
    argv: list[str], *, env: dict, columns: int, rows: int, new_session: bool = False
) -> tuple[subprocess.Popen, int]:
    """Start ``argv`` with stdin, stdout and stderr on a new pty: (process, master).

    The caller drains and closes the master. ``new_session`` starts the
    command in a session of its own, away from the caller's terminal.
    """
    master, slave = open_pty(columns, rows)
    try:
        proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True, start_new_session=new_session
        )
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)
    return proc, master


def run_command(
    argv: list[str], *, env: dict, columns: int, rows: int, timeout: float | None = None, new_session: bool = False
) -> tuple[int, bytes]:
    """Run ``argv`` on a new pty to the end: (exit code, bytes the terminal got).

    After ``timeout`` seconds the command is killed and TimeoutError raised.
    """
    proc, master = start_on_pty(argv, env=env, columns=columns, rows=rows, new_session=new_session)
    try:
        out = drain(master, timeout)
    except DrainTimeout:
        proc.kill()
        proc.wait()
        raise TimeoutError(f"{shlex.join(argv)} did not finish in {timeout:g} s") from None
    finally:
        os.close(master)
    return proc.wait(timeout=timeout), out


def run_on_pty(args: list[str], columns: int = 100, env: dict | None = None, timeout: float = 30) -> tuple[int, str]:
    """Run `python -m exocli ARGS` with stdin, stdout and stderr on a pty; (exit code, output)."""
    full_env = {**os.environ, "COLUMNS": str(columns), "LINES": "50", "TERM": "xterm-256color"}
    full_env.pop("NO_COLOR", None)
    full_env.update(env or {})
    code, out = run_command([sys.executable, "-m", "exocli", *args], env=full_env, columns=columns, rows=50, timeout=timeout)
    return code, out.decode("utf-8", "replace")


def visible(text: str) -> str:
    """The text without terminal escape sequences, with pty line endings."""
    return ANSI.sub("", text).replace("\r\n", "\n")
