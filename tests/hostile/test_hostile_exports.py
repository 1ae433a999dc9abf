"""Exports that another program reads cannot be taken over by the data.

A user's data file holds values written to break out of their place: a DOI
that closes its BibTeX field and opens a new entry, titles that a spreadsheet
would run as formulas, HTML and links for a Markdown viewer, a group author
holding " and ", keys that BibTeX escaping would make equal, and line breaks
in a title. Each export is read back by a real consumer (bibtexparser and
pybtex for BibTeX, the csv module as a spreadsheet's parser, markdown-it as a
Markdown viewer) and must hold exactly the records exo meant to write.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from exocli.output import Format

from exo_hostile import toml_str
from helpers import ok, ok_json

DOI_ATTACK = "10.1000/x},note={pwned}}@misc{Evil2021,"
TITLE_ATTACK = "Closing } brace {alone}} and a \\ backslash, % and #"
FORMULAS = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(1+1)", "\tTAB", "\rCR"]
HTML = "<img src=x onerror=alert(1)>"
LINK = "[x](javascript:alert(1))"
GROUP = "Society for Research and Education"


def study(key: str, **fields: object) -> str:
    body = {"title": "A study", "authors": ["Doe, J."], "year": 2020} | fields
    lines = [f"[{toml_str(key)}]"]
    for name, value in body.items():
        if isinstance(value, list):
            lines.append(f"{name} = [{', '.join(toml_str(v) for v in value)}]")
        elif isinstance(value, int):
            lines.append(f"{name} = {value}")
        else:
            lines.append(f"{name} = {toml_str(value)}")
    return "\n".join(lines) + "\n\n"


@pytest.fixture
def hostile(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    folder.mkdir()
    text = study("Inject2020", title=TITLE_ATTACK, journal="J. {Evil}}.", volume="1}", issue="{2", pages="1}--{2")
    text += study("Group2020", authors=[GROUP, "Doe, J.", "others"], title="Line one\nline two\r\nline three\u2028four")
    text += study("O'Brien2020", title="Apostrophe key", authors=["O'Brien, P."])
    text += study("O-Brien2020", title="Hyphen key", authors=["O'Brien, P."])
    for i, f in enumerate(FORMULAS):
        text += study(f"Formula{i}", title=f, authors=[f], journal=f)
    text += study("Markup2020", title=f"{HTML} {LINK} ![i](javascript:alert(2)) <b>&amp;</b>", journal=HTML)
    (folder / "studies.toml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("EXO_DATA_PATH", str(folder))
    return folder


def bibtexparser_entries(text: str) -> list[dict]:
    """Entries as bibtexparser 2 reads them (the parser `exo import` uses), values unbraced."""
    import bibtexparser
    from bibtexparser.middlewares import RemoveEnclosingMiddleware

    library = bibtexparser.parse_string(text, parse_stack=[RemoveEnclosingMiddleware()])
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    return [{"ID": e.key, "ENTRYTYPE": e.entry_type, **{f.key: f.value for f in e.fields}} for e in library.entries]


HOSTILE_KEYS = ["Inject2020", "Group2020", "O'Brien2020", "O-Brien2020", "Markup2020"] + [f"Formula{i}" for i in range(len(FORMULAS))]


# -- BibTeX -----------------------------------------------------------------------------


def assert_read_back(text: str, n: int, key: str, fields: set[str]) -> None:
    """``text`` holds ``n`` @article entries, and ``key`` exactly ``fields``,
    in two independent BibTeX readers."""
    from pybtex.database import parse_string

    entries = bibtexparser_entries(text)
    assert len(entries) == n, [e["ID"] for e in entries]
    assert all(e["ENTRYTYPE"] == "article" for e in entries)
    entry = next(e for e in entries if e["ID"] == key)
    assert set(entry) - {"ID", "ENTRYTYPE"} == fields, entry
    db = parse_string(text, "bibtex")
    assert len(db.entries) == n
    assert set(db.entries[key].fields) | ({"author"} if db.entries[key].persons else set()) == fields


@pytest.mark.parametrize("latex", ["--latex", "--utf8"])
def test_no_value_can_close_its_bibtex_field(hostile, latex):
    """Issue 12 item 2: a title, journal, volume, number or pages holding
    braces that do not pair up yields one entry per record with exactly
    exo's fields."""
    r = ok("cite", *HOSTILE_KEYS, "--format", "bibtex", latex)
    assert_read_back(r.stdout, len(HOSTILE_KEYS), "Inject2020", {"author", "title", "journal", "year", "volume", "number", "pages"})


def test_a_doi_cannot_close_its_bibtex_field():
    """Issue 12 item 2, the DOI written verbatim: braces, a backslash and
    spaces cannot end the field or add an entry, whatever the loader lets through."""
    from exocli.cite import format_bibtex

    rec = {"type": "study", "key": "Evil2020", "title": "T", "authors": ["Doe, J."], "year": 2020, "doi": DOI_ATTACK + " \\x"}
    text = format_bibtex([rec, {**rec, "key": "Next2020", "doi": "10.1000/{a\\"}])
    assert_read_back(text, 2, "Evil2020", {"author", "title", "year", "doi"})
    doi = bibtexparser_entries(text)[0]["doi"]
    assert "pwned" in doi and "Evil2021" in doi and "{" not in doi and "}" not in doi


def test_the_doi_pattern_refuses_what_bibtex_cannot_hold():
    """Issue 12 item 2, the data rule: a DOI with { } or \\ is invalid (the
    pattern the loader checks DOIs with)."""
    from exocli.model import DOI_RE

    for bad in (DOI_ATTACK, "10.1000/a\\b", "10.1000/a{b", "10.1000/a b", "10.1000/x\n", "10.1000/a\u200bb", "10.1000/"):
        assert not DOI_RE.fullmatch(bad), bad
    for good in ("10.1038/leu.2014.41", "10.3389/fphar.2020.590470", "10.1002/(SICI)1097-4636<1::AID>3.0.CO;2-#"):
        assert DOI_RE.fullmatch(good), good


# The LaTeX text commands for the characters of TITLE_ATTACK (neither
# bibtexparser's nor pybtex's LaTeX decoder knows the brace commands).
LATEX_TEXT = {r"\textbraceleft{}": "{", r"\textbraceright{}": "}", r"\textbackslash{}": "\\", r"\%": "%", r"\#": "#"}


def test_bibtex_title_with_lone_braces_reads_back_as_written(hostile):
    r = ok("cite", "Inject2020", "--format", "bibtex", "--utf8")
    title = bibtexparser_entries(r.stdout)[0]["title"]
    for command, char in LATEX_TEXT.items():
        title = title.replace(command, char)
    assert title == TITLE_ATTACK


def test_bibtex_group_author_with_and_stays_one_author(hostile):
    """Issue 12 item 11: "Society for Research and Education" is one author,
    not two; the name "others" in the data is a person, not BibTeX's et al."""
    from pybtex.database import parse_string

    r = ok("cite", "Group2020", "--format", "bibtex")
    people = parse_string(r.stdout, "bibtex").entries["Group2020"].persons["author"]
    assert len(people) == 3, [str(p) for p in people]
    assert str(people[0]).strip("{}") == GROUP
    assert str(people[2]).strip("{}") == "others"


def test_bibtex_keys_stay_unique_after_escaping(hostile):
    """Issue 12 item 11: O'Brien2020 and O-Brien2020 both escape to
    O-Brien2020; the export must still hold two distinct keys, and the key
    that needed no escaping keeps its form."""
    r = ok("cite", "O'Brien2020", "O-Brien2020", "--format", "bibtex")
    ids = [e["ID"] for e in bibtexparser_entries(r.stdout)]
    assert len(ids) == 2 and len({i.casefold() for i in ids}) == 2, ids
    assert "O-Brien2020" in ids
    titles = {e["ID"]: e["title"] for e in bibtexparser_entries(r.stdout)}
    assert titles["O-Brien2020"] == "Hyphen key"


# -- one line per citation ----------------------------------------------------------------


@pytest.mark.parametrize("style", ["review", "apa", "vancouver", "harvard"])
def test_a_title_with_line_breaks_gives_one_line_per_citation(hostile, style):
    """Issue 12 item 29: \\n, \\r\\n and U+2028 inside a title, in a pipe."""
    r = ok("cite", "Group2020", "Inject2020", "--style", style)
    assert "\r" not in r.stdout and "\u2028" not in r.stdout
    assert len(r.stdout.splitlines()) == 2, r.stdout
    assert "Line one line two line three four" in r.stdout


def test_ris_keeps_one_line_per_tag(hostile):
    r = ok("cite", "Group2020", "--format", "ris")
    assert [line for line in r.stdout.splitlines() if line.startswith("TI")] == ["TI  - Line one line two line three four"]
    assert all(re.fullmatch(r"[A-Z][A-Z0-9]  -( .*)?", line) for line in r.stdout.splitlines()), r.stdout


# -- CSV and TSV in a spreadsheet -------------------------------------------------------------


def formula_cells(rows: list[list[str]]) -> list[str]:
    return [c for row in rows for c in row if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


@pytest.mark.parametrize(
    "args",
    [["studies", "--fields", "key,title,authors,journal"], ["search", "formula", "--fields", "key,title,label"]],
    ids=["studies", "search"],
)
def test_csv_cells_never_start_a_formula(hostile, args):
    """Issue 12 item 3: OWASP's rule, read back with the csv module."""
    r = ok(*args, "-o", "csv")
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0] and not formula_cells(rows), formula_cells(rows)
    titles = [row[1] for row in rows[1:]]
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in titles and "'@SUM(1+1)" in titles and "'-2+3" in titles


def test_tsv_cells_never_start_a_formula(hostile):
    r = ok("studies", "--fields", "key,title,authors,journal", "-o", "tsv")
    rows = [line.split("\t") for line in r.stdout.rstrip("\n").split("\n")]
    assert len(rows) > len(FORMULAS) and all(len(row) == 4 for row in rows), rows
    assert not formula_cells(rows), formula_cells(rows)


# The formats a spreadsheet opens.
@pytest.mark.parametrize("fmt", [Format.CSV.value, Format.TSV.value])
def test_show_csv_and_tsv_values_never_start_a_formula(hostile, fmt):
    r = ok("show", "Formula0", "-o", fmt)
    rows = list(csv.reader(io.StringIO(r.stdout), delimiter="," if fmt == Format.CSV.value else "\t"))
    assert rows and any(FORMULAS[0] in c for row in rows for c in row), rows
    assert not formula_cells(rows), rows


def test_json_keeps_formula_text_as_written(hostile):
    data = ok_json("studies", "--json")
    assert {o["title"] for o in data} >= set(FORMULAS)


# -- Markdown in a viewer ------------------------------------------------------------------------


def markdown_html(text: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").render(text)


@pytest.mark.parametrize("args", [["studies", "markup", "--fields", "key,title,journal"], ["show", "Markup2020"]], ids=["studies", "show"])
def test_markdown_has_no_html_or_links_from_data(hostile, args):
    """Issue 12 item 3: markdown-it (html on, as CommonMark has it) renders
    no tag, image or link that came from the data, and shows the text."""
    r = ok(*args, "-o", "markdown")
    html = markdown_html(r.stdout)
    assert "<table>" in html
    for tag in ("<img", "<a ", "<b>"):
        assert tag not in html, (tag, html)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "[x](javascript:alert(1))" in html
    assert "&lt;b&gt;&amp;amp;&lt;/b&gt;" in html
