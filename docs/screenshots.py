#!/usr/bin/env python3
"""Regenerate the terminal screenshots in docs/img from the real exo commands.

Each image is made by running `python -m exocli ARGS` (with the interpreter
running this script) on a real pseudo-terminal of a fixed width, capturing
the bytes the terminal receives, decoding them with `rich.text.Text.from_ansi`
and exporting them with rich's own `Console.export_svg`.

    python docs/screenshots.py              # write docs/img/*.svg
    python docs/screenshots.py --out DIR    # write somewhere else
    python docs/screenshots.py --check      # exit 1 if docs/img is out of date
    python docs/screenshots.py --check --out DIR

Every captured frame is checked before anything is written: exit code 0, no
"Traceback", and no line wider than the terminal (measured in cells, after
escape sequences are removed). If any check fails, nothing is written and the
script exits 1.

--check writes nothing. A picture is out of date when it shows other text,
colours or styles than the terminal does now, cell by cell; the same picture
in other SVG markup (another rich version) is up to date (see "--check"
below). CI runs it (.ci/run).
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


# -- --check: the picture, not the bytes ------------------------------------------
#
# NOTE: --check compares what a picture shows, not its bytes: the SVG markup
# (fonts, CSS, ids, number formats, element order) is rich's and changes with
# rich releases (pyproject only asks for rich>=13), so a byte comparison would
# fail CI on a rich upgrade that leaves every picture as it was. Both the
# committed SVG and one made now from the terminal's bytes are read back into
# a Screen, the text and look of every cell, and those are compared. The
# reader knows rich's export_svg layout (one <text> per run of a row, its row
# in the clip-path, x in cells times the character width, CSS classes for the
# colour, backgrounds as crispEdges rects); a layout it cannot read is
# reported, never passed.

SVG = "{http://www.w3.org/2000/svg}"
CSS_RULE = re.compile(r"\.([\w-]+)\s*\{([^}]*)\}")
LINE_CLIP = re.compile(r"-line-(\d+)\)")
# What a space shows: only these words of its look are kept for a space.
SPACE_LOOKS = ("underline", "strike", "overline")

Cell = tuple[str, tuple[str, ...]]


@dataclass(frozen=True)
class Screen:
    """What a screenshot shows: its title and its rows of cells.

    A cell is (character, look), the look a sorted tuple of words such as
    "fill #68a0b3", "bold" or "background #ffff5f"; a wide character's second
    cell is ("", look). A space keeps only what shows on a space (background,
    underline, strike). Trailing plain spaces and trailing empty rows are
    dropped.
    """

    title: str
    rows: tuple[tuple[Cell, ...], ...]


def css_looks(declarations: str) -> tuple[str, ...]:
    """The words of a look from CSS declarations ("fill: #c5c8c6;font-weight: bold")."""
    words = []
    for decl in declarations.split(";"):
        prop, _, value = decl.partition(":")
        prop, value = prop.strip().lower(), " ".join(value.split()).lower()
        if prop == "fill":
            words.append("fill " + value)
        elif prop == "font-weight" and (value in ("bold", "bolder") or (value.isdigit() and int(value) >= 600)):
            words.append("bold")
        elif prop == "font-style" and value in ("italic", "oblique"):
            words.append("italic")
        elif prop == "text-decoration":
            words += ["strike" if w == "line-through" else w for w in value.split() if w in ("underline", "line-through", "overline")]
    return tuple(words)


def read_svg(svg: str) -> Screen:
    """The Screen a rich export_svg picture shows; ValueError when it cannot be read as one."""
    import xml.etree.ElementTree as ET

    from rich.cells import cell_len

    try:
        root = ET.fromstring(svg)
    except ET.ParseError as e:
        raise ValueError(f"not XML: {e}") from None
    css: dict[str, tuple[str, ...]] = {}
    for style in root.iter(SVG + "style"):
        for name, body in CSS_RULE.findall(style.text or ""):
            css[name] = css_looks(body)

    title = ""
    cells: dict[int, dict[int, Cell]] = {}
    baselines: dict[int, float] = {}
    char_width = None
    try:
        for el in root.iter(SVG + "text"):
            classes = (el.get("class") or "").split()
            text = (el.text or "").replace("\u00a0", " ")  # export_svg writes spaces as &#160;
            m = LINE_CLIP.search(el.get("clip-path") or "")
            if m is None:
                if any(c.endswith("-title") for c in classes):
                    title = text
                continue
            row = int(m.group(1))
            x, y = float(el.get("x")), float(el.get("y"))
            baselines.setdefault(row, y)
            if not text.strip():
                continue
            # textLength is the character width times the number of characters
            char_width = float(el.get("textLength")) / len(text)
            look = tuple(w for c in classes for w in css.get(c, ()))
            line = cells.setdefault(row, {})
            col = round(x / char_width)
            for ch in text:
                n = cell_len(ch)
                if n == 0 and col - 1 in line:  # a combining mark joins the cell before it
                    line[col - 1] = (line[col - 1][0] + ch, look)
                    continue
                line[col] = (ch, look)
                for k in range(1, n):
                    line[col + k] = ("", look)
                col += n
        for el in root.iter(SVG + "rect"):
            if el.get("shape-rendering") != "crispEdges":
                continue
            x, y = float(el.get("x")), float(el.get("y"))
            width, height = float(el.get("width")), float(el.get("height"))
            row = next((r for r, base in baselines.items() if y <= base <= y + height), None)
            if row is None or char_width is None:
                raise ValueError(f"a background at x={x:g} y={y:g} is on no row of text")
            line = cells.setdefault(row, {})
            first = round(x / char_width)
            for col in range(first, first + round(width / char_width)):
                ch, look = line.get(col, (" ", ()))
                line[col] = (ch, (*look, "background " + (el.get("fill") or "").lower()))
    except (TypeError, ZeroDivisionError) as e:  # an attribute missing or empty
        raise ValueError(f"not laid out as rich's export_svg lays out a terminal ({e})") from None
    if not cells:
        raise ValueError("no terminal text in it")

    rows = []
    for r in range(max(baselines) + 1):
        line = cells.get(r, {})
        row = []
        for col in range(max(line, default=-1) + 1):
            ch, look = line.get(col, (" ", ()))
            if ch == " ":
                look = tuple(w for w in look if w in SPACE_LOOKS or w.startswith("background "))
            row.append((ch, tuple(sorted(look))))
        while row and row[-1] == (" ", ()):
            row.pop()
        rows.append(tuple(row))
    while rows and not rows[-1]:
        rows.pop()
    return Screen(title, tuple(rows))


def _clip(a: str, b: str) -> tuple[str, str]:
    """Two long texts cut to the neighbourhood of their first difference."""
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    start = max(0, i - 30)

    def cut(t: str) -> str:
        return ("…" if start else "") + t[start : i + 40] + ("…" if len(t) > i + 40 else "")

    return cut(a), cut(b)


def difference(picture: Screen, terminal_now: Screen) -> str | None:
    """The first way the picture differs from what the terminal shows now (None: it does not)."""
    if picture.title != terminal_now.title:
        return f"its title is {picture.title!r}, the command is {terminal_now.title!r}"
    rows = max(len(picture.rows), len(terminal_now.rows))
    for r in range(rows):
        a = picture.rows[r] if r < len(picture.rows) else ()
        b = terminal_now.rows[r] if r < len(terminal_now.rows) else ()
        ta, tb = "".join(ch for ch, _ in a).rstrip(), "".join(ch for ch, _ in b).rstrip()
        if ta != tb:
            ta, tb = _clip(ta, tb)
            return f"row {r + 1} shows {ta!r}, the terminal now {tb!r}"
        blank: Cell = (" ", ())
        for c in range(max(len(a), len(b))):
            ca = a[c] if c < len(a) else blank
            cb = b[c] if c < len(b) else blank
            if ca[1] != cb[1]:
                return (
                    f"row {r + 1}, column {c + 1} ({ca[0]!r}) is {' '.join(ca[1]) or 'plain'}, "
                    f"the terminal now {' '.join(cb[1]) or 'plain'}"
                )
    return None


def stale(cap: Capture, path: Path) -> tuple[str | None, bool]:
    """Why the picture at ``path`` is not what ``cap``'s terminal showed (None: it is),
    and whether its bytes are those this rich version writes."""
    new_svg = to_svg(cap)
    if not path.exists():
        return "missing", False
    old_svg = path.read_text("utf-8", "replace")
    try:
        now = read_svg(new_svg)
    except ValueError as e:
        return f"cannot read the SVG this rich version writes ({e}); read_svg needs updating", False
    try:
        picture = read_svg(old_svg)
    except ValueError as e:
        return f"cannot read it as a screenshot ({e})", False
    why = difference(picture, now)
    return (None if why is None else "out of date: " + why), old_svg == new_svg


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Regenerate exo's terminal screenshots (SVG) from the real commands.")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"folder for the images (default: {DEFAULT_OUT})")
    ap.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if any image in --out shows other text, colours or styles than the terminal does now "
        "(the SVG markup may differ: it is rich's)",
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
    for cap in caps:
        path = opts.out / f"{cap.name}.svg"
        why, same_bytes = stale(cap, path)
        if why is not None:
            differ.append(f"{path}: {why}")
        elif not same_bytes:
            print(f"screenshots: note: {path}: the same picture in other SVG markup (another rich version?)", file=sys.stderr)
    if differ:
        for d in differ:
            print("screenshots: " + d, file=sys.stderr)
        again = f"{Path(sys.executable).name} {os.path.relpath(__file__)}"
        if opts.out.resolve() != DEFAULT_OUT:
            again += f" --out {shlex.quote(str(opts.out))}"
        print(f"screenshots: run `{again}` to regenerate", file=sys.stderr)
        return 1
    print(f"screenshots: {len(caps)} images up to date in {opts.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
