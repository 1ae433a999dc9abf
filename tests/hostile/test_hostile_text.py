"""Text from data is printed as data, everywhere.

A user's data file holds a study whose title carries rich markup, an OSC
"set window title" sequence (ESC ] 0; ... BEL) and a "clear screen" (ESC [2J),
and whose note carries a C1 CSI, a right-to-left override, a newline and a
tab (see exo_hostile.EVIL_TITLE and EVIL_NOTE).

- Markup appears literally in every output format and on a terminal.
- On a real pseudo-terminal no escape sequence from the data arrives raw,
  whatever the command or --format (rich's own colour codes are fine).
- JSON keeps the text intact: it reads back exactly as written.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from exocli.output import Format

from exo_hostile import (
    EVIL_NOTE,
    EVIL_TITLE,
    CLEAR,
    MARKUP,
    OSC_TITLE,
    base_env,
    evil_data,  # noqa: F401 - a fixture, used by name
    raw_escapes,
    run_on_pty,
    synthetic_studies,
    toml_str,
    visible,
)
from helpers import ok, ok_json

# Every format that writes a title: `keys` writes only the key.
FORMATS = [f.value for f in Format if f is not Format.KEYS]


def assert_markup_tokens(text: str) -> None:
    """Each markup tag of MARKUP, literally. A table may wrap a cell at spaces
    (and interleave neighbouring cells), but never inside a tag."""
    for token in MARKUP.split():
        assert token in text, (token, text)
    assert "Tregs" in text and "[bold]" in text

@pytest.fixture
def evil(evil_data, monkeypatch):
    monkeypatch.setenv("EXO_DATA_PATH", str(evil_data))
    return evil_data


# -- markup ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "args",
    [["studies", "wipe"], ["search", "evil", "-t", "study"], ["show", "Evil2020"], ["studies", "--disease", "gvhd"]],
    ids=["studies", "search", "show", "studies-by-disease"],
)
def test_markup_in_data_is_literal_in_every_format(evil, args, fmt):
    out = ok(*args, "-o", fmt).stdout
    if fmt == Format.JSON.value:
        data = json.loads(out)
        titles = [data["title"]] if isinstance(data, dict) else [o.get("title") for o in data]
        assert EVIL_TITLE in titles
        return
    if fmt == Format.JSONL.value:
        assert EVIL_TITLE in [json.loads(line).get("title") for line in out.splitlines()]
        return
    if fmt == Format.TABLE.value:
        assert_markup_tokens(out)
        return
    assert MARKUP in out, (fmt, out)


@pytest.mark.parametrize("style", ["review", "apa", "vancouver", "harvard"])
def test_markup_in_data_is_literal_in_citations(evil, style):
    r = ok("cite", "Evil2020", "--style", style)
    assert MARKUP in r.stdout, r


@pytest.mark.parametrize(
    "args",
    [["studies", "wipe"], ["search", "evil", "-t", "study"], ["show", "Evil2020"], ["cite", "Evil2020"], ["studies", "wipe", "-o", "markdown"]],
    ids=["studies-table", "search-table", "show-panel", "cite", "studies-markdown"],
)
def test_markup_in_data_is_literal_on_a_terminal(evil, args):
    code, raw = run_on_pty(args, base_env(data_path=evil), columns=250)
    assert code == 0, raw
    assert_markup_tokens(visible(raw))


# -- escape sequences on a terminal ----------------------------------------------------


def studies_on_a_terminal(fmt: Format) -> list[str]:
    """`studies` showing the hostile title and note in one format (the table
    is a terminal's default; keys has no fields to pick)."""
    if fmt is Format.TABLE:
        return ["studies", "wipe"]
    if fmt is Format.KEYS:
        return ["studies", "wipe", "-o", fmt.value]
    return ["studies", "wipe", "-o", fmt.value, "--fields", "key,title,note"]


# `studies` in every format but JSON and JSONL, which keep the text intact and
# escape only C0 controls (test_json_on_a_terminal_escapes_c0_controls).
JSON_FORMATS = {Format.JSON, Format.JSONL}
PTY_CASES = {
    **{f"studies-{fmt.value}": studies_on_a_terminal(fmt) for fmt in Format if fmt not in JSON_FORMATS},
    "search-table": ["search", "evil", "-t", "study"],
    "search-csv": ["search", "evil", "-t", "study", "-o", Format.CSV.value],
    "show-panel": ["show", "Evil2020"],
    "show-plain": ["show", "Evil2020", "-o", Format.PLAIN.value],
    "show-csv": ["show", "Evil2020", "-o", Format.CSV.value],
    "show-markdown": ["show", "Evil2020", "-o", Format.MARKDOWN.value],
    "disease-links-panel": ["show", "gvhd"],
    "cite-review": ["cite", "Evil2020"],
    "cite-apa": ["cite", "Evil2020", "--style", "apa"],
    "cite-ris": ["cite", "Evil2020", "--format", "ris"],
    "cite-bibtex": ["cite", "Evil2020", "--format", "bibtex"],
}


@pytest.mark.parametrize("args", list(PTY_CASES.values()), ids=list(PTY_CASES))
def test_escape_sequences_from_data_never_reach_a_terminal(evil, args):
    code, raw = run_on_pty(args, base_env(data_path=evil), columns=250)
    assert code == 0, raw
    assert b"Traceback" not in raw
    assert not raw_escapes(raw), (raw_escapes(raw), raw[:2000])
    if Format.KEYS.value in args:
        assert visible(raw).split() == ["Evil2020"], raw
    else:
        assert b"pwned" in raw, "the hostile record was not shown at all"


@pytest.mark.parametrize(
    "args",
    [
        *(["studies", "wipe", "-o", fmt.value] for fmt in Format if fmt in JSON_FORMATS),
        ["search", "evil", "--json"],
        ["show", "Evil2020", "--json"],
        ["cite", "Evil2020", "--format", "csl-json"],
    ],
    ids=[*(f"studies-{fmt.value}" for fmt in Format if fmt in JSON_FORMATS), "search-json", "show-json", "cite-csl-json"],
)
def test_json_on_a_terminal_escapes_c0_controls(evil, args):
    code, raw = run_on_pty(args, base_env(data_path=evil), columns=250)
    assert code == 0, raw
    assert not raw_escapes(raw, strict=False), raw[:2000]
    assert b"\\u001b]0;pwned\\u0007" in raw


def test_progress_and_notes_on_a_terminal_carry_no_data_escapes(evil):
    """stderr shares the terminal: notes about loose filter values stay clean."""
    code, raw = run_on_pty(["studies", "--disease", "graft versus host", "-o", "keys"], base_env(data_path=evil))
    assert code == 0, raw
    assert not raw_escapes(raw), raw


def test_hostile_data_folder_name_never_reaches_the_terminal_raw(tmp_path):
    """A data folder named with an escape sequence (a cloned repository can
    hold any name): neither the "reading ..." progress line of a big first
    parse nor an error message may send it raw to the terminal."""
    folder = synthetic_studies(tmp_path / f"data{OSC_TITLE}{CLEAR}", 9000)
    assert (folder / "studies.toml").stat().st_size > 1_000_000
    env = base_env(cache=tmp_path / "cache", data_path=folder)
    code, raw = run_on_pty(["studies", "--year", "2001", "-o", "keys"], env)
    assert code == 0, raw
    assert not raw_escapes(raw), raw[:400]
    (folder / "studies.toml").write_text("[A2020]\ntitle = 1\n", encoding="utf-8")
    code, raw = run_on_pty(["studies"], env)
    assert code == 0 and b"warning" in raw, raw  # the bad record is left out, with a warning
    assert not raw_escapes(raw), raw[:400]
    code, raw = run_on_pty(["validate", str(folder)], env)
    assert code == 2, raw
    assert not raw_escapes(raw), raw[:400]


# -- intact in JSON, one record per line in pipes ------------------------------------------


@pytest.mark.parametrize(
    "args",
    [["studies", "wipe", "--json"], ["search", "evil", "-t", "study", "--json"], ["show", "Evil2020", "--json"]],
    ids=["studies", "search", "show"],
)
def test_control_characters_stay_intact_in_json(evil, args):
    data = ok_json(*args)
    obj = data if isinstance(data, dict) else data[0]
    assert obj["title"] == EVIL_TITLE
    assert obj["note"] == EVIL_NOTE


def test_control_characters_stay_intact_in_jsonl_and_csl_json(evil):
    line = ok("studies", "wipe", "-o", Format.JSONL.value).stdout.splitlines()
    assert len(line) == 1 and json.loads(line[0])["note"] == EVIL_NOTE
    csl = ok_json("cite", "Evil2020", "--format", "csl-json")
    assert len(csl) == 1 and csl[0]["title"] == EVIL_TITLE


def test_csv_round_trips_the_text(evil):
    rows = list(csv.DictReader(io.StringIO(ok("studies", "wipe", "-o", Format.CSV.value, "--fields", "key,title,note").stdout)))
    assert len(rows) == 1
    assert rows[0]["key"] == "Evil2020"
    assert rows[0]["title"] == EVIL_TITLE and rows[0]["note"] == EVIL_NOTE


# The formats of one line per record, with the lines of header each writes
# first. (CSV may quote a newline inside a cell; JSON and a table span lines.)
LINE_FORMATS = {Format.PLAIN: 0, Format.TSV: 1, Format.MARKDOWN: 2, Format.KEYS: 0, Format.JSONL: 0}


@pytest.mark.parametrize("fmt", list(LINE_FORMATS), ids=lambda f: f.value)
def test_piped_line_formats_keep_one_record_per_line(evil, fmt):
    """A newline or tab inside data must not split a record or shift its columns."""
    r = ok("studies", "wipe", "-o", fmt.value, "--fields", "key,title,note")
    lines = r.stdout.splitlines()
    assert len(lines) == LINE_FORMATS[fmt] + 1, lines
    assert "Evil2020" in lines[-1], lines
    if fmt in (Format.PLAIN, Format.TSV):
        assert lines[-1].count("\t") == 2, lines[-1]


# -- invisible layout characters ------------------------------------------------------------

# Issue 12 item 5: an Arabic letter mark, a zero-width space, a word joiner,
# a byte order mark, and the line and paragraph separators.
INVISIBLE = "\u061c\u200b\u2060\ufeff\u2028\u2029"
INVISIBLE_TITLE = "Hidden " + " ".join(f"x{ch}y" for ch in INVISIBLE) + " marks"


@pytest.fixture
def invisible(tmp_path):
    folder = tmp_path / "invisible-data"
    folder.mkdir()
    (folder / "studies.toml").write_text(
        f'[Hidden2020]\ntitle = {toml_str(INVISIBLE_TITLE)}\nauthors = [{toml_str("Zero" + INVISIBLE + ", W.")}]\n'
        f'year = 2020\nnote = {toml_str(INVISIBLE)}\n',
        encoding="utf-8",
    )
    return folder


def studies_hidden(fmt: Format) -> list[str]:
    if fmt is Format.TABLE:
        return ["studies", "hidden"]
    if fmt in (Format.CSV, Format.TSV):
        return ["studies", "hidden", "-o", fmt.value, "--fields", "key,title,authors,note"]
    return ["studies", "hidden", "-o", fmt.value]


# `studies` in every format that writes the title (`keys` writes only the key).
INVISIBLE_CASES = {
    **{fmt.value: studies_hidden(fmt) for fmt in Format if fmt is not Format.KEYS},
    "show": ["show", "Hidden2020"],
    "search": ["search", "hidden"],
    "cite": ["cite", "Hidden2020"],
    "cite-bibtex": ["cite", "Hidden2020", "--format", "bibtex", "--utf8"],
    "cite-ris": ["cite", "Hidden2020", "--format", "ris"],
}


@pytest.mark.parametrize("args", list(INVISIBLE_CASES.values()), ids=list(INVISIBLE_CASES))
def test_invisible_characters_never_reach_a_terminal_raw(invisible, args):
    code, raw = run_on_pty(args, base_env(data_path=invisible), columns=250)
    assert code == 0, raw
    text = raw.decode("utf-8")
    assert not [ch for ch in INVISIBLE if ch in text], [f"U+{ord(ch):04X}" for ch in INVISIBLE if ch in text]
    if Format.JSON.value in args:
        assert json.loads(text)[0]["title"] == INVISIBLE_TITLE
    elif Format.JSONL.value in args:
        assert [json.loads(line)["title"] for line in text.splitlines()] == [INVISIBLE_TITLE]
    else:
        assert "<U+200B>" in text or "U+200B" in text, text[:2000]


def test_invisible_characters_are_shown_in_plain_output_in_a_pipe(invisible, monkeypatch):
    monkeypatch.setenv("EXO_DATA_PATH", str(invisible))
    r = ok("studies", "hidden")
    assert not [ch for ch in INVISIBLE if ch in r.stdout]
    assert "x<U+2028>y" in r.stdout and "x<U+FEFF>y" in r.stdout


def test_every_format_character_and_separator_is_neutralised():
    """Every Cf, Zl and Zp character of this Python's Unicode database is
    shown as <U+XXXX> on a terminal and escaped in JSON (which reads back
    to the same text)."""
    import sys
    import unicodedata

    from exocli.text import json_text, printable

    chars = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) in ("Cf", "Zl", "Zp")]
    assert len(chars) > 150
    missed = [f"U+{ord(ch):04X}" for ch in chars if printable(f"a{ch}b") != f"a<U+{ord(ch):04X}>b"]
    assert not missed, missed
    text = "".join(chars)
    encoded = json_text({"t": text})
    assert encoded.isascii(), [ch for ch in encoded if not ch.isascii()][:5]
    assert json.loads(encoded) == {"t": text}
