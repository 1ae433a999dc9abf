"""Drawing on a terminal (the `table` format): the console, column widths,
wrapping in terminal cells, and the table every listing is drawn as.

Data text reaches rich only as `Text`, never as markup, and control
characters from the data are neutralised first. rich is imported only when
something is drawn.
"""

from __future__ import annotations

import re
import textwrap
from typing import TextIO

from ..text import cells, chop, pad, printable


# The text a row is about: it keeps its width longest when space is short.
PRIMARY_COLUMNS = {"title", "label", "name", "expansion", "note", "summary", "focus"}

# Columns whose values are copied whole (keys, DOIs): they give way last.
WHOLE_COLUMNS = {"key", "doi"}

# Columns kept on one line (short values that read badly when broken).
SHORT_COLUMNS = {"type", "year", "score", "msc", "glossary", "et_al", "evidence", "kind"}

STYLE = {
    "key": "bold cyan",
    "type": "magenta",
    "year": "green",
    "score": "yellow",
    "category": "blue",
    "areas": "blue",
    "abbreviation": "bold",
}


def console(out: TextIO, color: bool, width: int | None = None):
    """A rich Console on ``out`` that reads no markup, highlights nothing,
    and ends quietly on a closed pipe."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # NOTE: rich would exit 1 (our "nothing found"); let the CLI end
            # quietly with 0 as it does for every other format.
            self.quiet = True
            raise BrokenPipeError

    return _Console(
        file=out,
        no_color=not color,
        color_system="auto" if color else None,
        width=width,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
    )


def glyph(con, fancy: str, plain: str) -> str:
    """``fancy`` if the console's encoding can write it, else ``plain``
    (box drawing on a Latin-1 terminal)."""
    try:
        fancy.encode(con.encoding)
    except (UnicodeEncodeError, LookupError):
        return plain
    return fancy


def column_widths(rows: list[list[str]], cols: list[str], avail: int) -> list[int]:
    """Widths in terminal cells that fit ``avail``: short columns keep their
    width, the rest shrink in proportion to their natural width, never below
    their longest word (up to 16) and never so far that a word is lost."""
    natural = [max([cells(c)] + [cells(row[i]) for row in rows]) for i, c in enumerate(cols)]
    if sum(natural) <= avail:
        return natural
    floor = []
    for i, c in enumerate(cols):
        if c in SHORT_COLUMNS:
            floor.append(natural[i])
        elif c in WHOLE_COLUMNS:
            # Keys and DOIs are copied from the screen: keep them whole
            # unless nothing else can give.
            floor.append(min(natural[i], 40))
        else:
            longest = max([cells(w) for row in rows for w in row[i].split()] or [1])
            # Wide enough for a phrase, not just a word: a column of one word
            # a line reads badly.
            floor.append(max(min(len(c), 12), min(longest, 16), min(natural[i], avail // 5)))
    # Secondary columns (lists, explanations) give way before the main text.
    widths = [
        n if c in PRIMARY_COLUMNS or c in SHORT_COLUMNS or c in WHOLE_COLUMNS else max(f, min(n, 30))
        for c, n, f in zip(cols, natural, floor)
    ]
    excess = sum(widths) - avail
    # Shrink in tiers: lists and explanations first, then the main text, and
    # keys and DOIs only as a last resort; each in proportion to what it can give.
    tiers = [
        [i for i, c in enumerate(cols) if c not in PRIMARY_COLUMNS and c not in SHORT_COLUMNS and c not in WHOLE_COLUMNS],
        [i for i, c in enumerate(cols) if c in PRIMARY_COLUMNS],
        [i for i, c in enumerate(cols) if c in WHOLE_COLUMNS],
    ]
    if excess > 0:
        # Last resort: let even keys and DOIs fold rather than overflow.
        floor = [f if c not in WHOLE_COLUMNS else min(f, 12) for c, f in zip(cols, floor)]
    for tier in tiers:
        flexible = [i for i in tier if widths[i] > floor[i]]
        while excess > 0 and flexible:
            room = sum(widths[i] - floor[i] for i in flexible)
            for i in flexible:
                cut = max(1, round(excess * (widths[i] - floor[i]) / room))
                cut = min(cut, widths[i] - floor[i], excess)
                widths[i] -= cut
                excess -= cut
            flexible = [i for i in flexible if widths[i] > floor[i]]
    return widths


GAP = "   "  # between columns


def draw_table(con, color: bool, cols: list[str], rows: list[list[str]], title: str | None = None) -> None:
    """Rows of text cells as a table laid out by exo and drawn with rich's Text.

    NOTE: widths are computed here rather than left to rich's Table, whose
    shrinking squeezed names to five letters beside a long key column; the
    layout is then simple enough to draw directly, which also spares
    importing rich's table machinery on every terminal listing.
    """
    from rich.text import Text

    rows = [[printable(v) for v in row] for row in rows]
    widths = column_widths(rows, cols, con.width - len(GAP) * (len(cols) - 1) - 1)
    right = [c in ("score", "year", "count") for c in cols]
    styles = [STYLE.get(c) if color else None for c in cols]

    def lines_of(c: str, v: str, w: int) -> list[str]:
        if cells(v) <= w and "\n" not in v:
            return [v]
        if c in SHORT_COLUMNS or c in WHOLE_COLUMNS:
            return chop(v, w)  # fold, never lose
        return _wrap(v, w).split("\n")

    text = Text()
    if title:
        text.append(title + "\n", style="bold" if color else None)
    head = [lines_of(c, c, w) for c, w in zip(cols, widths)]
    _rows_into(text, head, widths, right, ["bold" if color else None] * len(cols))
    text.append(glyph(con, "─", "-") * (sum(widths) + len(GAP) * (len(cols) - 1)) + "\n", style="dim" if color else None)
    for row in rows:
        _rows_into(text, [lines_of(c, v, w) for c, v, w in zip(cols, row, widths)], widths, right, styles)
    con.print(text, end="", no_wrap=True, overflow="ignore", crop=False, soft_wrap=True)


def _rows_into(text, parts: list[list[str]], widths: list[int], right: list[bool], styles: list) -> None:
    """Append one table row, as many lines tall as its tallest cell."""
    height = max(len(p) for p in parts)
    last = len(parts) - 1
    for n in range(height):
        line_cells = [(p[n] if n < len(p) else "") for p in parts]
        # Trailing blank cells are dropped so lines carry no padding at the end.
        end = max((i for i, v in enumerate(line_cells) if v), default=0)
        for i, v in enumerate(line_cells[: end + 1]):
            cell = pad(v, widths[i], right=True) if right[i] else (v if i == end else pad(v, widths[i]))
            text.append(cell, style=styles[i])
            if i < min(end, last):
                text.append(GAP)
        text.append("\n")


def _wrap(text: str, width: int) -> str:
    """Wrap at spaces and, failing that, after hyphens (graft-versus-/host),
    so long compound words break where a reader expects. Widths are terminal
    cells: a CJK character or an emoji takes two."""
    if cells(text) <= width:
        return text
    lines = []
    for para in text.split("\n"):
        if cells(para) == len(para):
            lines += textwrap.wrap(para, width=max(1, width), break_on_hyphens=True, break_long_words=True) or [""]
        else:
            lines += wrap_cells(para, max(1, width), break_words=True)
    return "\n".join(lines)


def wrap_cells(text: str, width: int, break_words: bool) -> list[str]:
    """``text`` wrapped to ``width`` terminal cells at spaces. A word wider
    than a line is broken after its hyphens and then anywhere if
    ``break_words``, else only where it holds wide (CJK) characters, which
    may break between any two; a DOI or URL stays whole."""
    lines: list[str] = []
    line, used = "", 0
    for word in text.split():
        n = cells(word)
        if n <= width:
            pieces = [word]
        elif break_words or n != len(word):
            pieces = [p for part in re.split(r"(?<=-)(?=.)", word) for p in chop(part, width)]
        else:
            pieces = [word]
        for i, piece in enumerate(pieces):
            sep = " " if i == 0 and line else ""
            n = cells(piece)
            if line and used + len(sep) + n > width:
                lines.append(line)
                line, used, sep = "", 0, ""
            line += sep + piece
            used += len(sep) + n
    lines.append(line)
    return lines


def wrap_lines(text: str, width: int, indent: int = 4) -> str:
    """Wrap each line to ``width`` with a hanging indent, never splitting a word
    (a DOI or URL stays whole). For long citations on a terminal."""
    width = max(20, width)
    out = []
    for line in text.splitlines():
        if cells(line) <= width:
            out.append(line)
        elif cells(line) == len(line):
            out.append(
                textwrap.fill(line, width=width, subsequent_indent=" " * indent, break_long_words=False, break_on_hyphens=False)
            )
        else:
            first, *rest = wrap_cells(line, width, break_words=False)
            rest = wrap_cells(" ".join(rest), width - indent, break_words=False) if rest else []
            out.append("\n".join([first] + [" " * indent + r for r in rest]))
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")
