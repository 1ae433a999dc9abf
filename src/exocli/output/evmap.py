"""`exo map`: the evidence map as a grid on a terminal, a matrix of counts
in the text formats, and one object per cell in JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..text import printable
from ..views import EvidenceMap
from .formats import Sheet
from .terminal import glyph


@dataclass
class MapShape:
    """A `views.EvidenceMap` as the writers take it."""

    view: EvidenceMap

    def data(self) -> list[dict]:
        return self.view.objects()

    def each_key(self) -> Iterable[str]:
        return self.view.row_keys

    def sheet(self, human: bool) -> Sheet:
        """A matrix: a row per row value, a column per column value, and "all".

        NOTE: data formats keep the keys; formats people read say what a
        broader value's row holds ("msc, tissue not stated"). Even plain
        output keeps the header row: a matrix without its column names
        cannot be read.
        """
        m = self.view
        name = (lambda k: m.labels.get(k, k)) if human else (lambda k: k)
        header = [m.rows] + [name(c) for c in m.col_keys] + ["all"]
        rows = [
            [name(r)] + [str(m.count(r, c)) for c in m.col_keys] + [str(len(m.row_studies(r)))] for r in m.row_keys
        ]
        return Sheet(header, rows, plain_header=True)

    def draw(self, con, color: bool) -> None:
        _map_grid(self.view, con, color)


HEAT = ("black on light_goldenrod1", "black on orange1", "white on dark_orange3", "bold white on red3")


def _heat(n: int, top: int) -> str:
    """A colour per count: four steps from the single study to the busiest cell."""
    if n == 0:
        return "dim"
    if n == 1 or top <= 1:
        return HEAT[0]
    step = min(3, 1 + int(3 * (n - 1) / top))
    return HEAT[step]


def _short_heads(cols: list[str], size: int) -> list[str]:
    """Column heads of at most ``size`` characters, unique, for a narrow grid."""
    if all(len(c) <= size for c in cols):
        return list(cols)
    cut = [c if len(c) <= size else c[: size - 1] + "." for c in cols] if size >= 4 else [c[:size] for c in cols]
    if len(set(cut)) == len(cut):
        return cut
    tail = [c[-size:] for c in cols]  # years: 2006 -> 06
    if len(set(tail)) == len(tail):
        return tail
    return [str(i + 1) for i in range(len(cols))]


def _map_grid(m: EvidenceMap, con, color: bool) -> None:
    """The grid, laid out by hand so it never overflows and never cuts a name.

    Narrow terminals get short column heads with a legend; if even those do
    not fit, the columns are split over several grids.
    """
    from rich.text import Text

    rows, cols = m.row_keys, m.col_keys
    cells = m.cells
    top = max((len(v) for v in cells.values()), default=0)
    totals = {r: len(m.row_studies(r)) for r in rows}
    # A broader value's row holds only its own studies; on a grid its name is
    # marked with * and explained below, so the columns keep their room.
    labels = m.labels
    names = {k: (k + "*" if labels.get(k, k) != k else k) for k in [*rows, *cols]}
    label_w = max([len(m.rows)] + [len(names[r]) for r in rows])
    num_w = max(2, len(str(top)))
    all_w = max(3, len(str(max(totals.values(), default=0))))
    avail = con.width - label_w - (all_w + 2)
    col_names = [names[c] for c in cols]
    full_w = sum(max(num_w, len(c)) + 2 for c in col_names)
    if full_w <= avail:
        heads = list(col_names)
    else:
        cap = max(len(c) for c in col_names)
        while cap > num_w and sum(max(num_w, min(len(c), cap)) + 2 for c in col_names) > avail:
            cap -= 1
        heads = _short_heads(col_names, cap)
    widths = [max(num_w, len(h)) for h in heads]
    # Split the columns into chunks that fit.
    chunks: list[list[int]] = [[]]
    used = 0
    for i, w in enumerate(widths):
        if chunks[-1] and used + w + 2 > avail:
            chunks.append([])
            used = 0
        chunks[-1].append(i)
        used += w + 2
    con.print(Text(f"studies by {m.rows} x {m.cols}", style="bold" if color else ""))
    for n, chunk in enumerate(chunks):
        last = n == len(chunks) - 1
        head = Text(m.rows.ljust(label_w), style="bold" if color else "")
        for i in chunk:
            head.append("  " + heads[i].rjust(widths[i]), style="bold" if color else "")
        if last:
            head.append("  " + "all".rjust(all_w), style="bold" if color else "")
        con.print(head, no_wrap=True, overflow="ignore", crop=False)
        rule = label_w + sum(widths[i] + 2 for i in chunk) + (all_w + 2 if last else 0)
        con.print(Text(glyph(con, "─", "-") * rule, style="dim" if color else ""), no_wrap=True, crop=False)
        for r in rows:
            line = Text(printable(names[r]).ljust(label_w), style="bold cyan" if color else "")
            for i in chunk:
                k = len(cells.get((r, cols[i]), []))
                line.append("  ")
                line.append((str(k) if k else "·").rjust(widths[i]), style=_heat(k, top) if color else "")
            if last:
                line.append("  " + str(totals[r]).rjust(all_w), style="bold" if color else "")
            con.print(line, no_wrap=True, crop=False)
        if not last:
            con.print(Text(""))
    if heads != col_names:
        con.print(Text(_legend(col_names, heads), style="dim" if color else ""))
    marked = [k for k in dict.fromkeys([*rows, *cols]) if names[k] != k]
    if marked:
        note = "; ".join(f"{names[k]}\u00a0=\u00a0{labels[k]}".replace(" ", "\u00a0") for k in marked)
        con.print(Text(note, style="dim" if color else ""))


def _legend(cols, heads) -> str:
    # Non-breaking spaces inside an entry: lines wrap only between entries.
    return "; ".join(f"{h}\u00a0=\u00a0{c}" for c, h in zip(cols, heads) if c != h)
