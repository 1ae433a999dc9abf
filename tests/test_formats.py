"""Every format of every command that takes `-o`, read back with its real reader.

JSON is the truth. CSV is read by the csv module, TSV by the csv module
and its escapes undone, Markdown by markdown-it's table parser, keys and
plain line by line; then what they say is held against each other: the CSV
cells equal the TSV cells, the Markdown cells equal the plain cells, and
every format names the records the JSON holds.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from exocli.cli import app
from exocli.output import Format

from conftest import ROOT, exo

ODD = str(ROOT / "tests" / "data" / "folders" / "odd")

# The arguments each command runs with here; every command with `-o` must have some.
CASES = {
    "search": [["search", "gvhd"], ["search", "--data", ODD, "odd"]],
    "studies": [["studies", "--disease", "gvhd"], ["studies", "--data", ODD, "--year", "2020"]],
    "diseases": [["diseases"]],
    "sources": [["sources"]],
    "companies": [["companies"]],
    "terms": [["terms"]],
    "topics": [["topics"]],
    "tags": [["tags"]],
    "show": [["show", "gvhd"], ["show", "Bruno2009"], ["show", "--data", ODD, "Odd2020"]],
    "map": [["map"], ["map", "--rows", "disease", "--cols", "year"]],
    "stats": [["stats"]],
}
CITE_FORMATS = "cite"  # exo cite has formats of its own (text, bibtex, ris, csl-json): tests/test_cite.py


def _commands_with_output() -> set[str]:
    names = set()
    for c in app.registered_commands:
        import inspect

        params = inspect.signature(c.callback).parameters
        if "format_" in params:
            names.add(c.name or c.callback.__name__.rstrip("_"))
    return names


def test_every_command_with_an_output_format_is_covered():
    assert _commands_with_output() - {CITE_FORMATS} == set(CASES)


def _tsv_rows(text: str) -> list[list[str]]:
    unescape = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\r": "\r"}
    rows = list(csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))
    return [[re.sub(r"\\[\\tnr]", lambda m: unescape[m.group()], c) for c in row] for row in rows]


def _markdown_rows(text: str) -> list[list[str]]:
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    rows, row = [], None
    for i, t in enumerate(tokens):
        if t.type == "tr_open":
            row = []
        elif t.type in ("th_open", "td_open"):
            inline = tokens[i + 1]
            row.append("".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline")))
        elif t.type == "tr_close":
            rows.append(row)
    return rows


def _truth_keys(cmd: str, data) -> list[str]:
    """The keys a command's JSON names, as `-o keys` should print them."""
    if cmd == "show":
        return [data["key"]]
    if cmd == "map":
        rows_axis = next(k for k in data[0] if k not in ("count", "studies"))
        return list(dict.fromkeys(cell[rows_axis] for cell in data))
    if cmd == "stats":
        names = list(data["counts"]) + list(data["years"])
        names += [x["key"] for x in data["top_diseases"] + data["top_sources"]]
        return names + list(data["evidence"]) + list(data["company_areas"])
    return [o["key"] for o in data]


def _plain_rows(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.splitlines()]


def _table_text(text: str) -> str:
    assert text.strip(), "an empty table"
    return text


# The real reader of each format; a new Format fails here until it has one.
READERS = {
    Format.JSON: json.loads,
    Format.JSONL: lambda text: [json.loads(line) for line in text.splitlines()],
    Format.CSV: lambda text: list(csv.reader(io.StringIO(text))),
    Format.TSV: _tsv_rows,
    Format.MARKDOWN: _markdown_rows,
    Format.PLAIN: _plain_rows,
    Format.KEYS: str.splitlines,
    Format.TABLE: _table_text,
}


def test_every_format_has_its_reader():
    assert set(READERS) == set(Format)


@pytest.fixture()
def tagged():
    r = exo("tag", "Bruno2009", "kidney", "to-read")
    assert r.code == 0, r
    r = exo("tag", "gvhd", "to-read")
    assert r.code == 0, r


def _run(args, fmt: Format):
    r = exo(*args, "-o", fmt.value, env={"COLUMNS": "250"})
    assert r.code == 0, r
    if args[0] != "search":  # search may say "20 of 203 shown" on stderr
        assert r.stderr == "", r
    assert r.stdout.endswith("\n"), r
    return r.stdout


@pytest.mark.parametrize("args", [a for cases in CASES.values() for a in cases], ids=lambda a: " ".join(a).replace(ODD, "odd"))
def test_every_format_reads_back(args, tagged):
    cmd = args[0]
    out = {fmt: _run(args, fmt) for fmt in Format}
    read = {fmt: READERS[fmt](text) for fmt, text in out.items()}
    data = read[Format.JSON]
    assert data, args
    # JSONL: the same data, one item a line.
    assert read[Format.JSONL] == (data if isinstance(data, list) else [data])
    keys = _truth_keys(cmd, data)
    assert read[Format.KEYS] == keys
    # CSV and TSV: the same cells, a header and rows of one width.
    csv_rows = read[Format.CSV]
    assert read[Format.TSV] == csv_rows
    assert len({len(row) for row in csv_rows}) == 1, csv_rows[:3]
    header, body = csv_rows[0], csv_rows[1:]
    # Markdown and plain: the same cells for people.
    md = read[Format.MARKDOWN]
    plain = read[Format.PLAIN]
    assert md[0] == header if cmd != "map" else md[0][0] == header[0]
    assert plain == (md if cmd == "map" else md[1:]), (plain[:3], md[:3])
    # Each names what the JSON holds.
    if cmd == "show":
        assert dict(body)["key"] == data["key"] and dict(body)["type"] == data["type"]
        for name, linked in data["links"].items():
            assert dict(body)[name] == "; ".join(linked)
    elif cmd == "map":
        cols = header[1:-1]
        rows_axis, cols_axis = header[0], next(k for k in data[0] if k not in ("count", "studies", header[0]))
        counts = {(c[rows_axis], c[cols_axis]): c["count"] for c in data}
        for row in body:
            for col, n in zip(cols, row[1:-1]):
                assert int(n) == counts.get((row[0], col), 0), (row[0], col)
        assert [row[0] for row in body] == keys
    elif cmd == "stats":
        assert [row[1] for row in body] == keys
        assert {row[1]: int(row[2]) for row in body if row[0] == "count"} == data["counts"]
    else:
        assert [row[header.index("key")] for row in body] == keys
        for row, obj in zip(body, data):
            for name, cell in zip(header, row):
                value = obj.get(name)
                want = "; ".join(map(str, value)) if isinstance(value, list) else "" if value is None else str(value)
                if isinstance(value, bool):
                    want = "true" if value else "false"
                if isinstance(value, float):
                    want = f"{value:g}"
                if want.startswith(("=", "+", "-", "@", "\t", "\r")):
                    want = "'" + want  # formula-safe, as OWASP advises
                assert cell == want, (obj["key"], name)
    # A terminal table shows every key.
    for key in keys:
        assert key in read[Format.TABLE], (key, read[Format.TABLE][:500])


def test_nothing_found_keeps_the_empty_shape_where_a_format_has_one():
    for fmt in Format:
        r = exo("studies", "--year", "1900", "-o", fmt.value)
        assert r.code == 1 and "Error: no studies match" in r.stderr, (fmt, r)
        if fmt is Format.JSON:
            assert json.loads(r.stdout) == []
        elif fmt is Format.CSV:
            assert list(csv.reader(io.StringIO(r.stdout))) == [["key", "year", "authors", "title"]]
        elif fmt is Format.TSV:
            assert r.stdout == "key\tyear\tauthors\ttitle\n"
        elif fmt is Format.MARKDOWN:
            assert _markdown_rows(r.stdout) == [["key", "year", "authors", "title"]]
        else:
            assert r.stdout == "", (fmt, r)
        assert fmt.keeps_empty_shape == (r.stdout != ""), fmt
