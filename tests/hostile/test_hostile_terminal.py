"""Odd terminals and locales: Latin-1 output, wide characters, narrow windows,
and a record linked to a hundred thousand others.

Real processes only: a locale is read at start-up, and widths and the
progress line only matter on a real pseudo-terminal.
"""

from __future__ import annotations

import json
import re

import pytest

from exocli.output import Format

from exo_hostile import base_env, run, run_on_pty, toml_str, visible

# Text outside Latin-1: Japanese, an emoji, Greek, an en dash (the bundled
# data has en dashes in page ranges: Kordelas2014 is 970–973).
WIDE_TITLE = "間葉系幹細胞由来エクソソームによる移植片対宿主病の治療効果に関する研究と臨床応用への展望について詳しく述べる"
EMOJI_TITLE = "🧬🦠 Exosome 🧪 cargo 🧫 in 🐭 models of graft-versus-host 🩸 disease with 🔬🔬🔬🔬🔬🔬🔬🔬🔬🔬🔬🔬🔬🔬 imaging"
MIXED_TITLE = "幹細胞exosome混合タイトルwith英語とCJKの長い長い単語なしテキストがここに続きます β–catenin"


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wide-data")
    records = [
        ("Wide2020", WIDE_TITLE, ["山田, 太郎", "李, 明"]),
        ("Emoji2021", EMOJI_TITLE, ["Emoji, E."]),
        ("Mixed2022", MIXED_TITLE, ["Wang, W."]),
    ]
    (folder / "studies.toml").write_text(
        "".join(
            f"[{key}]\ntitle = {toml_str(title)}\nauthors = [{', '.join(toml_str(a) for a in authors)}]\n"
            f'year = 2020\ndiseases = ["gvhd"]\njournal = "J. Ω–Δ."\n\n'
            for key, title, authors in records
        ),
        encoding="utf-8",
    )
    return folder


# -- a Latin-1 locale ------------------------------------------------------------------------

LATIN1 = {"PYTHONIOENCODING": "iso-8859-1", "LANG": "en_US.ISO-8859-1", "LC_ALL": "en_US.ISO-8859-1"}

LATIN1_CASES = {
    "cite": ["cite", "Kordelas2014", "Wide2020"],
    "cite-apa": ["cite", "Emoji2021", "--style", "apa"],
    "cite-bibtex-utf8": ["cite", "Wide2020", "--format", "bibtex", "--utf8"],
    "search": ["search", "exosome", "graft"],
    "studies-table": ["studies", "--disease", "gvhd", "-o", "table"],
    "show-panel": ["show", "Wide2020", "-o", "table"],
    "show-plain": ["show", "Kordelas2014"],
    "stats-table": ["stats", "-o", "table"],
    "map-table": ["map", "-o", "table"],
    "studies-csv": ["studies", "--disease", "gvhd", "-o", "csv"],
}


@pytest.mark.parametrize("args", list(LATIN1_CASES.values()), ids=list(LATIN1_CASES))
def test_a_latin1_locale_prints_what_it_can(tmp_path, wide, args):
    """Issue 12 item 21: characters the locale cannot encode are replaced,
    never a UnicodeEncodeError (exit 3)."""
    p = run(args, base_env(cache=tmp_path / "cache", data_path=wide, **LATIN1))
    assert p.returncode == 0, p.stderr
    assert p.stderr == b"", p.stderr
    text = p.stdout.decode("iso-8859-1")
    assert any(name in text for name in ("Kordelas", "Wide2020", "Emoji", "exosome", "studies", "gvhd", "wide", "bmsc"))


@pytest.mark.parametrize(
    "args",
    [
        ["show", "Wide2020", "--json"],
        ["studies", "--disease", "gvhd", "--json"],
        ["search", "exosome", "-o", Format.JSONL.value],
        ["cite", "Wide2020", "Kordelas2014", "--format", "csl-json"],
    ],
    ids=["show", "studies", "search-jsonl", "csl-json"],
)
def test_json_in_a_latin1_locale_keeps_every_character(tmp_path, wide, args):
    """JSON escapes what Latin-1 cannot hold (\\u escapes): the same data as
    in a UTF-8 locale, nothing replaced."""
    env = base_env(cache=tmp_path / "cache", data_path=wide)
    latin1 = run(args, {**env, **LATIN1})
    utf8 = run(args, {**env, "PYTHONIOENCODING": "utf-8"})
    assert latin1.returncode == utf8.returncode == 0, (latin1.stderr, utf8.stderr)
    assert latin1.stderr == utf8.stderr, (latin1.stderr, utf8.stderr)
    if args[0] == "search":  # cut at 20 by default, and says so
        assert re.fullmatch(rb"exo: 20 of [\d,]+ shown; use -n to see more\n", utf8.stderr), utf8.stderr
    else:
        assert utf8.stderr == b"", utf8.stderr
    assert latin1.stdout.isascii()

    def parse(raw: bytes, encoding: str):
        text = raw.decode(encoding)
        return [json.loads(line) for line in text.splitlines()] if Format.JSONL.value in args else json.loads(text)

    data = parse(utf8.stdout, "utf-8")
    assert data and not utf8.stdout.isascii()  # there was something Latin-1 cannot hold
    assert parse(latin1.stdout, "iso-8859-1") == data


def test_a_latin1_terminal_gets_a_table_and_no_traceback(tmp_path, wide):
    code, raw = run_on_pty(["studies", "--disease", "gvhd"], base_env(cache=tmp_path / "cache", data_path=wide, **LATIN1), columns=100)
    text = raw.decode("iso-8859-1")
    assert code == 0, text
    assert "Traceback" not in text and "internal error" not in text
    assert "Wide2020" in text and "Kordelas2014" in text
    assert "-" * 40 in text  # the rule under the head, in a character Latin-1 has


# -- wide characters on an 80-column terminal -------------------------------------------------


def display_cells(line: str) -> int:
    from rich.cells import cell_len

    return cell_len(line)


WIDE_CASES = {
    "studies": ["studies", "--disease", "gvhd"],
    "studies-narrow-columns": ["studies", "--disease", "gvhd", "--fields", "key,title,authors,journal,year"],
    "search": ["search", "exosome", "graft", "-n", "8"],
    "show-study": ["show", "Wide2020"],
    "show-disease": ["show", "gvhd"],
    "cite": ["cite", "Wide2020", "Emoji2021", "Mixed2022"],
    "cite-apa": ["cite", "Wide2020", "Emoji2021", "Mixed2022", "--style", "apa"],
}


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("args", list(WIDE_CASES.values()), ids=list(WIDE_CASES))
def test_wide_characters_never_overflow_a_line(tmp_path, wide, args, columns):
    """Issue 12 item 27: CJK and emoji take two cells; rows were measured in
    characters and came out 94-105 cells wide on 80 columns. Nothing is cut:
    every character of the Japanese title reaches the screen, in order."""
    code, raw = run_on_pty(args, base_env(cache=tmp_path / "cache", data_path=wide), columns=columns)
    text = visible(raw)
    assert code == 0, text
    wide_lines = [(display_cells(line), line) for line in text.splitlines() if display_cells(line) > columns]
    assert not wide_lines, wide_lines
    if args[0] != "search" and "gvhd" not in args[1:2]:
        flat = "".join(text.split())
        pos = 0
        for ch in WIDE_TITLE if "Wide2020" in args else "":
            pos = flat.find(ch, pos)
            assert pos >= 0, (ch, text)


# -- the first-run progress line ----------------------------------------------------------------


@pytest.mark.parametrize("parts", [["data-" + "x" * 150], ["データ" * 20, "フォルダ" * 15]], ids=["long-ascii", "long-wide"])
def test_progress_line_fits_the_terminal(tmp_path, parts):
    """Issue 12 item 28: a progress line wider than the terminal wraps, and
    each "\\r" update then leaves a stale line behind. Every update is
    narrower than the terminal and keeps the file name."""
    from exo_hostile import synthetic_studies

    folder = synthetic_studies(tmp_path.joinpath(*parts), 9000)
    assert (folder / "studies.toml").stat().st_size > 1_000_000
    code, raw = run_on_pty(["studies", "--year", "2001", "-o", "keys"], base_env(cache=tmp_path / "cache", data_path=folder), columns=60)
    assert code == 0, raw[-500:]
    updates = [visible(part).replace("\x1b[K", "") for part in raw.split(b"\r")]
    progress = [u for u in updates if u.startswith("exo: first run")]
    assert progress, updates[:5]
    for line in progress:
        assert display_cells(line) < 60, (display_cells(line), line)
        assert "studies.toml" in line and "MB)" in line, line


# -- a record linked to thousands -----------------------------------------------------------------


@pytest.fixture(scope="module")
def crowded(tmp_path_factory):
    """5,000 studies tagged gvhd and bmsc, with a warm cache."""
    folder = tmp_path_factory.mktemp("crowded-data")
    (folder / "studies.toml").write_text(
        "".join(
            f'[Crowd{i}]\ntitle = "Synthetic study {i} of exosome kinetics"\nauthors = ["Doe, J."]\n'
            f'year = {2000 + i % 20}\ndiseases = ["gvhd"]\nsources = ["bmsc"]\n\n'
            for i in range(5000)
        ),
        encoding="utf-8",
    )
    env = base_env(cache=tmp_path_factory.mktemp("crowded-cache"), data_path=folder)
    assert run(["studies", "-o", "keys"], env).returncode == 0
    return env


@pytest.mark.parametrize(
    "args, hint",
    [(["show", "gvhd"], "`exo studies --disease gvhd` lists them"), (["show", "bmsc"], "`exo studies --source bmsc` lists them")],
    ids=["disease", "source"],
)
def test_show_caps_a_long_link_list_with_a_count(crowded, args, hint):
    """Issue 12 item 32: `exo show gvhd` drew every one of 100,000 linked
    studies in a rich grid (56 s on a terminal). The terminal gets the first
    ones, then how many more and the command that lists them."""
    listed = run(["studies", "--disease" if "gvhd" in args else "--source", args[1], "-o", "keys"], crowded)
    assert listed.returncode == 0 and listed.stderr == b"", listed
    total = len(listed.stdout.split())
    assert total > 5000
    code, raw = run_on_pty(args, crowded, columns=100)
    text = visible(raw)
    assert code == 0, text[-2000:]
    lines = text.splitlines()
    assert len(lines) < 400, len(lines)
    assert all(display_cells(line) <= 100 for line in lines)
    m = re.search(r"… and ([\d,]+) more; " + re.escape(hint), text)
    assert m, text[-3000:]
    from exocli.output.detail import MAX_LINKS

    assert int(m.group(1).replace(",", "")) == total - MAX_LINKS
    assert len(re.findall(r"\bCrowd\d+\b", text)) <= MAX_LINKS


def test_show_json_and_pipes_keep_every_link(crowded):
    shown = run(["show", "gvhd", "--json"], crowded)
    assert shown.returncode == 0 and shown.stderr == b"", shown
    data = json.loads(shown.stdout)
    assert len(data["links"]["studies"]) == len(set(data["links"]["studies"])) > 5000
    piped = run(["show", "gvhd"], crowded)
    assert piped.returncode == 0 and piped.stderr == b"", piped
    plain = piped.stdout.decode()
    studies = next(line for line in plain.splitlines() if line.startswith("studies\t"))
    assert len(studies.split("\t")[1].split(", ")) == len(data["links"]["studies"])
