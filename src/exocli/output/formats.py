"""The output formats and their writers: the one switch over `Format`.

Every result reaches the user through `write`. A result is given as a
`Shape`: its data (JSON), its keys, a `Sheet` of text cells (CSV, TSV,
plain, Markdown) and a drawing for a terminal (table). Each format has one
writer, and that writer alone does the format's escaping, so a value reads
the same in every command. Standard library only: piping JSON never imports
rich.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Protocol, TextIO

from ..text import ascii_json, can_encode, json_text, one_line, printable


def isatty(stream) -> bool:
    """Whether a stream is a terminal (False for a closed or odd one)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Format(str, enum.Enum):
    TABLE = "table"
    PLAIN = "plain"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"
    TSV = "tsv"
    KEYS = "keys"
    MARKDOWN = "markdown"

    @property
    def keeps_empty_shape(self) -> bool:
        """Whether "nothing found" still writes the format's empty shape
        (`[]`, a header row), so `| jq length` says 0 rather than failing."""
        return _KEEPS_EMPTY_SHAPE[self]


# Every format says (a new one without an entry fails every test of "nothing found").
_KEEPS_EMPTY_SHAPE = {
    Format.TABLE: False,
    Format.PLAIN: False,
    Format.JSON: True,
    Format.JSONL: False,  # no line is the empty list
    Format.CSV: True,
    Format.TSV: True,
    Format.KEYS: False,
    Format.MARKDOWN: True,
}


@dataclass
class Sheet:
    """A result as rows of text cells, for the formats that are tables of text."""

    columns: list[str]
    rows: Iterable[list[str]]
    title: str | None = None  # a Markdown heading above the table
    plain_header: bool = False  # plain output keeps the header (a matrix cannot be read without it)


class Shape(Protocol):
    """What every result offers the writers."""

    def data(self) -> object: ...  # JSON-ready: lists, dicts, strings, numbers

    def each_key(self) -> Iterable[str]: ...

    def sheet(self, human: bool) -> Sheet: ...  # human: for people (plain, Markdown), not data (CSV, TSV)

    def draw(self, con, color: bool) -> None: ...  # on a rich Console, for `table`


def write(shape: Shape, fmt: Format, out: TextIO, *, color: bool = False, width: int | None = None, terminal: bool = False) -> None:
    """Write a result in one format.

    ``terminal``: the output is a terminal, so even the data formats get
    control characters from the data neutralised.
    """
    if fmt is Format.JSON or fmt is Format.JSONL:
        write_json(shape.data(), fmt, out)
    elif fmt is Format.KEYS:
        for key in shape.each_key():
            out.write(one_line(key) + "\n")
    elif fmt is Format.CSV:
        write_csv(shape.sheet(human=False), out, terminal)
    elif fmt is Format.TSV:
        write_tsv(shape.sheet(human=False), out, terminal)
    elif fmt is Format.PLAIN:
        write_plain(shape.sheet(human=True), out)
    elif fmt is Format.MARKDOWN:
        write_markdown(shape.sheet(human=True), out)
    elif fmt is Format.TABLE:
        from .terminal import console

        shape.draw(console(out, color, width), color)
    else:  # pragma: no cover - Format is closed; tests run every member
        raise AssertionError(f"no writer for {fmt!r}")


def write_empty(shape: Shape, fmt: Format, out: TextIO) -> None:
    """The empty shape of a result with nothing in it, where the format has one."""
    if fmt.keeps_empty_shape:
        write(shape, fmt, out)


def write_json(data: object, fmt: Format, out: TextIO) -> None:
    """JSON: the data, indented. JSONL: one line per item of a list, else one line.

    An output whose encoding cannot hold every character (an ISO-8859-1
    locale) gets them as \\u escapes: the same data, nothing replaced.
    """
    safe = (lambda t: t) if can_encode(out, "\u2013\U0001f9ec") else ascii_json
    if fmt is Format.JSON:
        out.write(safe(json_text(data, indent=2)) + "\n")
    else:
        for item in data if isinstance(data, list) else [data]:
            out.write(safe(json_text(item)) + "\n")


def _safe(terminal: bool) -> Callable[[str], str]:
    return printable if terminal else str


def write_csv(sheet: Sheet, out: TextIO, terminal: bool = False) -> None:
    """RFC 4180 CSV with a header row; every cell formula-safe (`sheet_cell`)."""
    safe = _safe(terminal)
    write_csv_rows(out, ([safe(sheet_cell(c)) for c in row] for row in _with_header(sheet)))


def _with_header(sheet: Sheet) -> Iterable[list[str]]:
    yield list(sheet.columns)
    yield from sheet.rows


def write_csv_rows(out: TextIO, *parts: Iterable[list[str]]) -> None:
    """Rows as CSV, one line each: fields holding the delimiter, a quote or a
    line break are quoted (rows with a carriage return quoted whole: the csv
    module leaves a lone CR bare when lines end in LF)."""
    import csv

    w = csv.writer(out, lineterminator="\n")
    all_quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for rows in parts:
        for row in rows:
            (all_quoted if any("\r" in c for c in row) else w).writerow(row)


def write_tsv(sheet: Sheet, out: TextIO, terminal: bool = False) -> None:
    """Tab-separated values with a header row; cells escaped by `tsv_cell`."""
    safe = _safe(terminal)
    out.write("\t".join(tsv_cell(c) for c in sheet.columns) + "\n")
    for row in sheet.rows:
        out.write("\t".join(safe(tsv_cell(c)) for c in row) + "\n")


def write_plain(sheet: Sheet, out: TextIO) -> None:
    """One line per row, cells tab-separated and each on one line: for pipes."""
    if sheet.plain_header:
        out.write("\t".join(sheet.columns) + "\n")
    for row in sheet.rows:
        out.write("\t".join(one_line(c) for c in row) + "\n")


def write_markdown(sheet: Sheet, out: TextIO) -> None:
    """A Markdown (GFM) table, under a heading if the sheet has a title."""
    if sheet.title:
        out.write(f"## {md_cell(sheet.title)}\n\n")
    out.write("| " + " | ".join(md_cell(c) for c in sheet.columns) + " |\n")
    out.write("|" + "|".join("---" for _ in sheet.columns) + "|\n")
    for row in sheet.rows:
        out.write("| " + " | ".join(md_cell(c) for c in row) + " |\n")


# What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def sheet_cell(text: str) -> str:
    """A CSV or TSV cell a spreadsheet shows as text: one that would start a
    formula (=HYPERLINK(...), @SUM(...)) gets a leading apostrophe, as OWASP
    advises; JSON keeps the data as it is."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def tsv_cell(text: str) -> str:
    """A TSV cell: formula-safe, with backslash, tab and line breaks escaped."""
    text = sheet_cell(text)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


# Markdown that could become HTML, an entity, a link or an image, or end a
# table cell. A link needs "](" or "][" (a bare [ref] links only to a
# definition, which cannot start a line of exo's output), so brackets are
# escaped only there and markup-like text ([bold]) reads the same raw.
_MD_SPECIAL = re.compile(r"[\\|<>&]|\](?=[(\[])")


def md_cell(text: str) -> str:
    """Text for a Markdown table cell: one line, and HTML tags, entities and
    link syntax backslash-escaped so they print as written (no <img> tag,
    no [x](javascript:...) link)."""
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(), one_line(text))
