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

from exo_hostile import (
    EVIL_NOTE,
    EVIL_TITLE,
    CLEAR,
    MARKUP,
    OSC_TITLE,
    base_env,
    evil_data,  # noqa: F401 - a fixture, used by name
    exo,
    raw_escapes,
    run_on_pty,
    synthetic_studies,
    toml_str,
    visible,
)

FORMATS = ["table", "plain", "json", "jsonl", "csv", "tsv", "markdown"]


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
    r = exo(*args, "-o", fmt)
    assert r.code == 0, r
    out = r.stdout
    if fmt == "json":
        data = json.loads(out)
        titles = [data["title"]] if isinstance(data, dict) else [o.get("title") for o in data]
        assert EVIL_TITLE in titles
        return
    if fmt == "jsonl":
        assert EVIL_TITLE in [json.loads(line).get("title") for line in out.splitlines()]
        return
    if fmt == "table":
        assert_markup_tokens(out)
        return
    assert MARKUP in out, (fmt, out)


@pytest.mark.parametrize("style", ["review", "apa", "vancouver", "harvard"])
def test_markup_in_data_is_literal_in_citations(evil, style):
    r = exo("cite", "Evil2020", "--style", style)
    assert r.code == 0, r
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


PTY_CASES = {
    "studies-table": ["studies", "wipe"],
    "studies-plain": ["studies", "wipe", "-o", "plain"],
    "studies-csv": ["studies", "wipe", "-o", "csv", "--fields", "key,title,note"],
    "studies-tsv": ["studies", "wipe", "-o", "tsv", "--fields", "key,title,note"],
    "studies-markdown": ["studies", "wipe", "-o", "markdown", "--fields", "key,title,note"],
    "studies-keys": ["studies", "wipe", "-o", "keys"],
    "search-table": ["search", "evil", "-t", "study"],
    "search-csv": ["search", "evil", "-t", "study", "-o", "csv"],
    "show-panel": ["show", "Evil2020"],
    "show-plain": ["show", "Evil2020", "-o", "plain"],
    "show-csv": ["show", "Evil2020", "-o", "csv"],
    "show-markdown": ["show", "Evil2020", "-o", "markdown"],
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
    if "keys" not in args:
        assert b"pwned" in raw, "the hostile record was not shown at all"


@pytest.mark.parametrize(
    "args",
    [["studies", "wipe", "--json"], ["studies", "wipe", "-o", "jsonl"], ["search", "evil", "--json"], ["show", "Evil2020", "--json"], ["cite", "Evil2020", "--format", "csl-json"]],
    ids=["studies-json", "studies-jsonl", "search-json", "show-json", "cite-csl-json"],
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
    r = exo(*args)
    assert r.code == 0, r
    data = json.loads(r.stdout)
    obj = data if isinstance(data, dict) else data[0]
    assert obj["title"] == EVIL_TITLE
    assert obj["note"] == EVIL_NOTE


def test_control_characters_stay_intact_in_jsonl_and_csl_json(evil):
    line = exo("studies", "wipe", "-o", "jsonl").stdout.splitlines()
    assert len(line) == 1 and json.loads(line[0])["note"] == EVIL_NOTE
    csl = json.loads(exo("cite", "Evil2020", "--format", "csl-json").stdout)
    assert csl[0]["title"] == EVIL_TITLE


def test_csv_round_trips_the_text(evil):
    rows = list(csv.DictReader(io.StringIO(exo("studies", "wipe", "-o", "csv", "--fields", "key,title,note").stdout)))
    assert len(rows) == 1
    assert rows[0]["key"] == "Evil2020"
    assert "pwned" in rows[0]["title"] and MARKUP in rows[0]["title"]


@pytest.mark.parametrize("fmt", ["plain", "tsv", "markdown", "keys"])
def test_piped_line_formats_keep_one_record_per_line(evil, fmt):
    """A newline or tab inside data must not split a record or shift its columns."""
    r = exo("studies", "wipe", "-o", fmt, "--fields", "key,title,note")
    assert r.code == 0, r
    lines = r.stdout.splitlines()
    header = {"plain": 0, "tsv": 1, "markdown": 2, "keys": 0}[fmt]
    assert len(lines) == header + 1, lines
    if fmt in ("plain", "tsv"):
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


INVISIBLE_CASES = {
    "table": ["studies", "hidden"],
    "plain": ["studies", "hidden", "-o", "plain"],
    "csv": ["studies", "hidden", "-o", "csv", "--fields", "key,title,authors,note"],
    "tsv": ["studies", "hidden", "-o", "tsv", "--fields", "key,title,authors,note"],
    "markdown": ["studies", "hidden", "-o", "markdown"],
    "show": ["show", "Hidden2020"],
    "search": ["search", "hidden"],
    "cite": ["cite", "Hidden2020"],
    "cite-bibtex": ["cite", "Hidden2020", "--format", "bibtex", "--utf8"],
    "cite-ris": ["cite", "Hidden2020", "--format", "ris"],
    "json": ["studies", "hidden", "--json"],
}


@pytest.mark.parametrize("args", list(INVISIBLE_CASES.values()), ids=list(INVISIBLE_CASES))
def test_invisible_characters_never_reach_a_terminal_raw(invisible, args):
    code, raw = run_on_pty(args, base_env(data_path=invisible), columns=250)
    assert code == 0, raw
    text = raw.decode("utf-8")
    assert not [ch for ch in INVISIBLE if ch in text], [f"U+{ord(ch):04X}" for ch in INVISIBLE if ch in text]
    if "--json" in args:
        assert json.loads(text)[0]["title"] == INVISIBLE_TITLE
    else:
        assert "<U+200B>" in text or "U+200B" in text, text[:2000]


def test_invisible_characters_are_shown_in_plain_output_in_a_pipe(invisible, monkeypatch):
    monkeypatch.setenv("EXO_DATA_PATH", str(invisible))
    r = exo("studies", "hidden")
    assert r.code == 0, r
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
