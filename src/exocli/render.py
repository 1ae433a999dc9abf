"""The one renderer: every listing in every format goes through `render`.

Formats are a closed set (`Format`). Machine formats (json, jsonl, csv, tsv,
keys) use only the standard library, so piping to jq never imports rich.
`plain` is what a pipe gets by default: one record per line, tab-separated,
no colour, no box drawing. `table` uses rich, with every cell a `Text` so
brackets in data are never read as markup, and control characters from data
neutralised first. JSON keeps data intact.
"""

from __future__ import annotations

import enum
import re
from typing import Sequence, TextIO

from . import model
from .errors import UsageError, quoted
from .text import ascii_json, can_encode, cells, chop, json_text, one_line, pad, printable


class Format(str, enum.Enum):
    TABLE = "table"
    PLAIN = "plain"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"
    TSV = "tsv"
    KEYS = "keys"
    MARKDOWN = "markdown"


# Columns a person sees by default, per entity type; "hit" is a search result.
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "study": ("key", "year", "authors", "title"),
    "disease": ("key", "name", "category", "aliases"),
    "source": ("key", "abbreviation", "name", "tissue", "msc"),
    "company": ("key", "name", "areas", "products"),
    "term": ("key", "abbreviation", "expansion"),
    "topic": ("key", "title", "parent"),
    "review": ("key", "year", "authors", "title"),
    "hit": ("type", "key", "label", "score", "matched"),
    "tag": ("key", "count", "records"),
}


def default_columns(type_name: str) -> tuple[str, ...]:
    """The columns of a type: its own choice, else its key and label field
    (so a new entity type lists without an entry here)."""
    if type_name in DEFAULT_COLUMNS:
        return DEFAULT_COLUMNS[type_name]
    from . import model

    et = model.BY_NAME.get(type_name)
    return ("key", et.label_field) if et is not None else ("key",)


# Objects that are not records: their fields.
OTHER_COLUMNS = {"tag": ("type", "key", "count", "records")}
EXTRA_FIELDS = {"hit": ("score", "matched", "label")}


def object_for(record: dict, extra: dict | None = None) -> dict:
    """The public JSON object of a record: type, key, every schema field, then
    the user's ``tags`` and ``user_note`` (annotations.toml)."""
    et = model.BY_NAME[record["type"]]
    obj = {"type": record["type"], "key": record["key"]}
    for f in et.fields:
        value = record.get(f.name)
        if value is None and f.kind == "list":
            value = []
        if value is None and f.kind == "bool":
            value = False
        obj[f.name] = value
    obj["tags"] = list(record.get("tags") or [])
    obj["user_note"] = record.get("user_note")
    if extra:
        obj.update(extra)
    return obj


def curated_object(obj: dict) -> dict:
    """A study object without the values `exo import` suggested (`--curated`)."""
    for name in obj.get("suggested") or ():
        if name in obj:
            obj[name] = [] if isinstance(obj[name], list) else None
    return obj


def hit_objects(cat, hits) -> list[dict]:
    """Search hits as public objects: the record plus score, matched and label."""
    out = []
    for h in hits:
        rec = cat.record(h.rid)
        out.append(object_for(rec, {"score": h.score, "matched": h.matched, "label": model.label(rec)}))
    return out


def valid_fields(types: Sequence[str], hit: bool = False) -> list[str]:
    names: dict[str, None] = {"type": None, "key": None}
    for t in types:
        if t in OTHER_COLUMNS:
            names.update(dict.fromkeys(OTHER_COLUMNS[t]))
            continue
        for f in model.BY_NAME[t].fields:
            names[f.name] = None
        names.update(dict.fromkeys(model.ANNOTATION_FIELDS))
    if hit:
        for f in EXTRA_FIELDS["hit"]:
            names[f] = None
    return list(names)


def parse_fields(spec: str | None, types: Sequence[str], hit: bool = False) -> list[str] | None:
    """`--fields a,b,c` checked against the fields of the listed types."""
    if spec is None:
        return None
    wanted = list(dict.fromkeys(f.strip().lower() for f in spec.split(",") if f.strip()))
    valid = valid_fields(types, hit)
    bad = [f for f in wanted if f not in valid]
    if bad or not wanted:
        raise UsageError(
            f"unknown field{'s' if len(bad) > 1 else ''}: {', '.join(quoted(b, 40) for b in bad[:5]) or '(none given)'}",
            "valid fields: " + ", ".join(valid),
        )
    return wanted


def _short_authors(authors: list[str], et_al: bool) -> str:
    if not authors:
        return ""
    first = authors[0].split(",")[0]
    if len(authors) == 1 and not et_al:
        return first
    if len(authors) == 2 and not et_al:
        return f"{first} and {authors[1].split(',')[0]}"
    return f"{first} et al."


def cell_text(obj: dict, name: str, human: bool) -> str:
    """One value as text; lists joined; people get short author lists."""
    value = obj.get(name)
    if name == "authors" and human and isinstance(value, list):
        return _short_authors(value, bool(obj.get("et_al")))
    if value is None:
        return ""
    if isinstance(value, bool):
        return ("yes" if value else "no") if human else ("true" if value else "false")
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ("; " if not human else ", ").join(str(v) for v in value)
    return str(value)


def columns_for(objs: list[dict], fields: list[str] | None, hit: bool, types: Sequence[str] = ()) -> list[str]:
    if fields:
        return fields
    types = list(dict.fromkeys(o["type"] for o in objs)) or list(types) or ["study"]
    if hit:
        cols = list(DEFAULT_COLUMNS["hit"])
    else:
        cols = list(default_columns(types[0])) if len(types) == 1 else ["type", "key", "label"]
    if types[0] not in OTHER_COLUMNS and any(o.get("tags") for o in objs):
        cols.append("tags")  # the user's own tags, once there are any to show
    return cols


def render(
    objs: list[dict],
    fmt: Format,
    out: TextIO,
    *,
    fields: list[str] | None = None,
    hit: bool = False,
    color: bool = True,
    width: int | None = None,
    title: str | None = None,
    terminal: bool = False,
    types: Sequence[str] = (),
) -> None:
    """Write objects (from `object_for`) in one format.

    ``terminal``: the output is a terminal, so even machine formats get
    control characters from the data neutralised.
    """
    if fmt in (Format.JSON, Format.JSONL):
        write_json([{k: o.get(k) for k in fields} for o in objs] if fields else objs, fmt, out)
        return
    if fmt is Format.KEYS:
        for o in objs:
            out.write(one_line(o["key"]) + "\n")
        return
    cols = columns_for(objs, fields, hit, types)
    if fmt is Format.CSV:
        safe = printable if terminal else str
        write_csv(out, [cols], ([safe(sheet_cell(cell_text(o, c, False))) for c in cols] for o in objs))
        return
    if fmt is Format.TSV:
        safe = printable if terminal else str
        out.write("\t".join(cols) + "\n")
        for o in objs:
            out.write("\t".join(safe(tsv_cell(cell_text(o, c, False))) for c in cols) + "\n")
        return
    if fmt is Format.PLAIN:
        for o in objs:
            out.write("\t".join(one_line(cell_text(o, c, True)) for c in cols) + "\n")
        return
    if fmt is Format.MARKDOWN:
        out.write("| " + " | ".join(cols) + " |\n")
        out.write("|" + "|".join("---" for _ in cols) + "|\n")
        for o in objs:
            out.write("| " + " | ".join(md_cell(cell_text(o, c, True)) for c in cols) + " |\n")
        return
    if fmt is Format.TABLE:
        _table(objs, cols, out, color=color, width=width, title=title)
        return
    raise AssertionError(fmt)  # pragma: no cover - Format is closed


def wrap_lines(text: str, width: int, indent: int = 4) -> str:
    """Wrap each line to ``width`` with a hanging indent, never splitting a word
    (a DOI or URL stays whole). For long citations on a terminal."""
    import textwrap

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


def write_csv(out: TextIO, *parts) -> None:
    """Rows as CSV, one line each: fields holding the delimiter, a quote or a
    line break are quoted (rows with a carriage return quoted whole: the csv
    module leaves a lone CR bare when lines end in LF)."""
    import csv

    w = csv.writer(out, lineterminator="\n")
    all_quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for rows in parts:
        for row in rows:
            (all_quoted if any("\r" in c for c in row) else w).writerow(row)


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


def _table(objs: list[dict], cols: list[str], out: TextIO, *, color: bool, width: int | None, title: str | None) -> None:
    """A table laid out by exo and drawn with rich's Text and Console.

    NOTE: widths are computed here rather than left to rich's Table, whose
    shrinking squeezed names to five letters beside a long key column; the
    layout is then simple enough to draw directly, which also spares
    importing rich's table machinery on every terminal listing.
    """
    from rich.text import Text

    con = console(out, color, width)
    rows = [[printable(cell_text(o, c, True)) for c in cols] for o in objs]
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
    import textwrap

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
    import re

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
