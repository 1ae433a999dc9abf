"""The one output layer: every command's result reaches the user through here.

A command's result is data: a `Listing` of records (listings and search),
or a view from `views` (`Detail`, `EvidenceMap`, `Stats`). `Output` picks
the format from the options and the terminal, wraps the result in its
shape, and `formats.write` (the one switch over `Format`) hands it to the
format's writer. Citations keep their own formats (`cite`) and are written
by `write_citations`.

    formats    Format, Sheet, the writers and their escaping
    records    public objects of records, fields, columns, Listing
    detail, evmap, stats    the shapes of show, map and stats
    terminal   drawing for `table`: console, widths, wrapping (rich);
               imported only to draw
"""

from __future__ import annotations

import os
from typing import TextIO

from ..errors import UsageError, quoted
from .formats import Format, Shape, isatty, write, write_empty
from .records import Listing, curated_object, hit_objects, object_for, parse_fields

__all__ = [
    "Format",
    "Listing",
    "Output",
    "curated_object",
    "hit_objects",
    "isatty",
    "object_for",
    "shape_of",
    "write_citations",
    "write_text",
]


def shape_of(result) -> Shape:
    """The shape the writers take for a command's result."""
    if isinstance(result, Listing):
        return result
    from .. import views

    if isinstance(result, views.Detail):
        from .detail import DetailShape

        return DetailShape(result)
    if isinstance(result, views.EvidenceMap):
        from .evmap import MapShape

        return MapShape(result)
    if isinstance(result, views.Stats):
        from .stats import StatsShape

        return StatsShape(result)
    raise TypeError(f"no output shape for {type(result).__name__}")


def parse_format(value: str | None, json_: bool, tty: bool) -> Format:
    """`-o FORMAT` and `--json` as a Format: table on a terminal, plain in a pipe."""
    if json_:
        if value not in (None, "json"):
            raise UsageError("--json and --format disagree", "use one of them")
        return Format.JSON
    if value is None:
        return Format.TABLE if tty else Format.PLAIN
    try:
        return Format(value.lower())
    except ValueError:
        raise UsageError(f"unknown format {quoted(value)}", "choose from: " + ", ".join(f.value for f in Format)) from None


class Output:
    """Where and how a command writes: stream, format, fields, colour."""

    def __init__(self, stream: TextIO, fmt: str | None, json_: bool = False, fields=None, no_color: bool = False) -> None:
        self.stream = stream
        self.tty = isatty(stream)
        self.format = parse_format(fmt, json_, self.tty)
        self.fields_spec = ",".join(fields) if isinstance(fields, list) else fields
        self.color = self.tty and not no_color and not os.environ.get("NO_COLOR")

    def fields(self, types, hit: bool = False) -> list[str] | None:
        """`--fields`, checked against the fields of ``types`` (a UsageError if one is unknown)."""
        return parse_fields(self.fields_spec, types, hit)

    @property
    def keys_only(self) -> bool:
        """`-o keys` with no --fields: a listing needs only the records' keys."""
        return self.format is Format.KEYS and not self.fields_spec

    def listing(self, objects: list[dict], types, hit: bool = False) -> Listing:
        return Listing(objects, list(types), hit, self.fields(types, hit))

    def emit(self, result) -> None:
        write(shape_of(result), self.format, self.stream, color=self.color, terminal=self.tty)
        self.stream.flush()

    def empty(self, result) -> None:
        """The empty shape of a result with nothing in it (`[]`, a header), where the format has one."""
        write_empty(shape_of(result), self.format, self.stream)
        self.stream.flush()


def write_text(text: str, stream: TextIO) -> None:
    """Text as it is (a note, a link, TOML): on a terminal, with control
    characters from the data shown rather than obeyed."""
    if isatty(stream):
        from ..text import printable

        text = printable(text)
    stream.write(text)
    stream.flush()


def write_citations(text: str, fmt: str, stream: TextIO, columns: int | None = None) -> None:
    """Citations as `cite` made them: on a terminal with control characters
    shown and text citations wrapped with a hanging indent; CSL-JSON under a
    locale that cannot hold every character as \\u escapes, not "?"."""
    from ..text import ascii_json, can_encode, printable

    if fmt == "csl-json" and not can_encode(stream, text):
        text = ascii_json(text)
    if isatty(stream):
        text = printable(text)
        if fmt == "text":
            import shutil

            from .terminal import wrap_lines

            text = wrap_lines(text, columns or shutil.get_terminal_size().columns)
    stream.write(text)
    stream.flush()
