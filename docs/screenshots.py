#!/usr/bin/env python3
"""Regenerate the terminal screenshots in docs/img from the real exo commands.

Each image is made by running `python -m exocli ARGS` (with the interpreter
running this script) on a real pseudo-terminal of a fixed width, capturing
the bytes the terminal receives, decoding them with `rich.text.Text.from_ansi`
and exporting them with rich's own `Console.export_svg`.

    python docs/screenshots.py              # write docs/img/*.svg
    python docs/screenshots.py --out DIR    # write somewhere else
    python docs/screenshots.py --check      # exit 1 if docs/img is out of date

Every captured frame is checked before anything is written: exit code 0, no
"Traceback", and no line wider than the terminal (measured in cells, after
escape sequences are removed). If any check fails, nothing is written and the
script exits 1.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shlex
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
# NOTE: the pseudo-terminal helper is the tests' (tests/terminal.py), the one
# place that opens, sizes and reads a pty for the tests, these pictures and
# benchmarks/run.py.
sys.path.insert(0, str(HERE.parent / "tests"))
import terminal  # noqa: E402

DEFAULT_OUT = HERE / "img"
ROWS = 60
TIMEOUT = 60.0

# (file name without .svg, arguments as typed after `exo`, terminal columns)
SHOTS: list[tuple[str, str, int]] = [
    ("search-gvhd", "search gvhd", 100),
    ("show-gvhd", "show gvhd", 100),
    ("show-Bruno2009", "show Bruno2009", 100),
    ("studies-t2dm", 'studies --disease "type 2 diabetes"', 100),
    ("map", "map", 120),
    ("stats", "stats", 100),
    ("companies-diagnostics", "companies --area diagnostics", 100),
    ("cite-Bruno2009-apa", "cite Bruno2009 --style apa", 100),
]

# Shots whose lines may be wider than the terminal, and why. Their long lines
# are reported as notes, not failures, and drawn wrapped at the last column as
# the terminal wraps them (mid-word).
LONG_LINES_OK: dict[str, str] = {}

# CSI sequences (colours, cursor), OSC sequences (hyperlinks, titles), other ESC x.
ANSI = re.compile(r"\x1b\[[0-9;?:<=>]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")

# Variables that would change what exo or rich print, removed for reproducibility.
DROP_ENV = (
    "NO_COLOR",
    "FORCE_COLOR",
    "COLORTERM",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "TTY_COMPATIBLE",
    "TTY_INTERACTIVE",
    "EXO_DATA_PATH",
    "EXO_DEBUG",
    "XDG_CACHE_HOME",
    "JUPYTER_COLUMNS",
    "JUPYTER_LINES",
)


@dataclass
class Capture:
    name: str
    args: str
    columns: int
    code: int
    raw: bytes

    @property
    def text(self) -> str:
        """What the terminal received, with pty line endings made plain."""
        return self.raw.decode("utf-8", "replace").replace("\r\n", "\n")


def run_on_pty(args: list[str], columns: int, cache_dir: str) -> tuple[int, bytes]:
    """Run `python -m exocli ARGS` with stdin, stdout and stderr on a fresh pty."""
    env = {k: v for k, v in os.environ.items() if k not in DROP_ENV}
    env.update(
        COLUMNS=str(columns),
        LINES=str(ROWS),
        TERM="xterm-256color",
        EXO_CACHE_DIR=cache_dir,
        # A library folder that does not exist: the user's own imported
        # studies would otherwise appear in every listing.
        EXO_LIBRARY=os.path.join(cache_dir, "no-library"),
        PYTHONIOENCODING="utf-8",
    )
    return terminal.run_command(
        [sys.executable, "-m", "exocli", *args], env=env, columns=columns, rows=ROWS, timeout=TIMEOUT, new_session=True
    )


def capture_all(shots: list[tuple[str, str, int]]) -> list[Capture]:
    caps = []
    with tempfile.TemporaryDirectory(prefix="exo-shots-cache-") as cache_dir:
        for name, args, columns in shots:
            code, raw = run_on_pty(shlex.split(args), columns, cache_dir)
            caps.append(Capture(name, args, columns, code, raw))
    return caps


def problems(cap: Capture, notes: list[str] | None = None) -> list[str]:
    """What is wrong with one captured frame (empty when it is fine).

    Long lines in a shot listed in LONG_LINES_OK go to `notes` instead.
    """
    from rich.cells import cell_len

    found = []
    long_ok = LONG_LINES_OK.get(cap.name)
    where = f"exo {cap.args} ({cap.columns} columns)"
    if cap.code != 0:
        found.append(f"{where}: exit code {cap.code}")
    text = cap.text
    if "Traceback" in text:
        found.append(f"{where}: output contains a Traceback")
    plain = ANSI.sub("", text)
    if not plain.strip():
        found.append(f"{where}: no output")
    for n, line in enumerate(plain.split("\n"), 1):
        line = line.rsplit("\r", 1)[-1]  # a carriage return rewrites the line
        width = cell_len(line)
        if width > cap.columns:
            msg = f"{where}: line {n} is {width} cells wide: {line[:60]!r}..."
            if long_ok is None:
                found.append(msg)
            elif notes is not None:
                notes.append(f"{msg} (allowed: {long_ok})")
    return found


def terminal_lines(text, columns: int):
    """Split a decoded frame into screen rows as a terminal shows them: every
    line longer than the terminal continues on the next row, cut at the last
    column (not at a word)."""
    from rich.cells import cell_len

    rows = []
    for line in text.split("\n", allow_blank=True):
        if cell_len(line.plain) <= columns:
            rows.append(line)
            continue
        cuts, used = [], 0
        for i, ch in enumerate(line.plain):
            w = cell_len(ch)
            if used + w > columns:
                cuts.append(i)
                used = 0
            used += w
        rows.extend(line.divide(cuts))
    return rows


def to_svg(cap: Capture) -> str:
    from rich.console import Console
    from rich.text import Text

    console = Console(
        record=True,
        width=cap.columns,
        force_terminal=True,
        color_system="truecolor",
        file=io.StringIO(),
        highlight=False,
        markup=False,
        emoji=False,
    )
    for row in terminal_lines(Text.from_ansi(cap.text), cap.columns):
        console.print(row, no_wrap=True, overflow="ignore", crop=False)
    # A fixed id keeps the file byte-for-byte stable (class names embed it).
    uid = "exo-" + re.sub(r"[^A-Za-z0-9-]", "-", cap.name).lower()
    return console.export_svg(title="exo " + cap.args, unique_id=uid)


def render_all(caps: list[Capture], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for cap in caps:
        path = out / f"{cap.name}.svg"
        path.write_text(to_svg(cap), encoding="utf-8", newline="\n")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Regenerate exo's terminal screenshots (SVG) from the real commands.")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"folder for the images (default: {DEFAULT_OUT})")
    ap.add_argument(
        "--check",
        action="store_true",
        help="regenerate into a temporary folder and exit 1 if any image differs from the one in --out",
    )
    opts = ap.parse_args(argv)

    caps = capture_all(SHOTS)
    notes: list[str] = []
    bad = [p for cap in caps for p in problems(cap, notes)]
    for n in notes:
        print("screenshots: note: " + n, file=sys.stderr)
    if bad:
        for p in bad:
            print("screenshots: " + p, file=sys.stderr)
        print("screenshots: nothing written", file=sys.stderr)
        return 1

    if not opts.check:
        for path in render_all(caps, opts.out):
            print(path)
        return 0

    differ = []
    with tempfile.TemporaryDirectory(prefix="exo-shots-") as tmp:
        for new in render_all(caps, Path(tmp)):
            old = opts.out / new.name
            if not old.exists():
                differ.append(f"{old}: missing")
            elif old.read_bytes() != new.read_bytes():
                differ.append(f"{old}: out of date")
    if differ:
        for d in differ:
            print("screenshots: " + d, file=sys.stderr)
        print(f"screenshots: run `{Path(sys.executable).name} {os.path.relpath(__file__)}` to regenerate", file=sys.stderr)
        return 1
    print(f"screenshots: {len(caps)} images up to date in {opts.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
