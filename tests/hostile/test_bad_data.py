"""Bad data folders: a clear error and exit 2, naming file, record, field and line.

Every case goes through the commands a user runs (a data folder in
EXO_DATA_PATH, or given with --data) and through `exo validate`; nothing may
end in a traceback or in exit 3 ("a bug in exo"), and nothing is ever written
into a data folder.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from conftest import write
from exo_hostile import exo, snapshot, toml_str
from helpers import ok, ok_json

GOOD = '[Smith2020]\ntitle = "A made-up study"\nauthors = ["Smith, J."]\nyear = 2020\n'




def assert_data_error(folder: Path, monkeypatch, *patterns: str) -> str:
    """``folder`` fails `exo validate` with exit 2 and the located problem; every
    other command leaves the bad records out with a warning and answers from
    the rest, the bundled data included.

    Returns the stderr of the validate run.
    """
    before = snapshot(folder) if folder.is_dir() else None
    runs = {}
    monkeypatch.setenv("EXO_DATA_PATH", str(folder))
    runs["EXO_DATA_PATH: studies"] = exo("studies", "--disease", "gvhd", "-o", "keys")
    runs["EXO_DATA_PATH: search"] = exo("search", "gvhd", "--json")
    monkeypatch.delenv("EXO_DATA_PATH")
    runs["--data: show"] = exo("show", "gvhd", "--data", str(folder))
    for how, r in runs.items():
        assert r.code == 0, (how, r)
        assert r.stdout, (how, r)
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr, (how, r)
        assert "warning" in r.stderr and "exo validate" in r.stderr, (how, r)
    assert "Kordelas2014" in runs["EXO_DATA_PATH: studies"].stdout.split()
    assert json.loads(runs["EXO_DATA_PATH: search"].stdout)[0]["key"] == "gvhd"
    assert "graft-versus-host" in runs["--data: show"].stdout
    r = exo("validate", str(folder))
    assert r.code == 2, r
    assert r.stdout == "", r
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r
    assert "problem" in r.stderr, r
    for pat in patterns:
        assert re.search(pat, r.stderr), (pat, r.stderr)
    if before is not None:
        assert snapshot(folder) == before, "exo wrote into a data folder"
    return r.stderr


def loc(path: Path, line: int, record: str | None = None, field: str | None = None) -> str:
    """The pattern of a located problem: FILE:LINE [record] field:"""
    pat = re.escape(f"{path}:{line}")
    if record is not None:
        pat += re.escape(f" [{record}]")
    if field is not None:
        pat += re.escape(f" {field}:")
    return pat


def test_toml_syntax_error_names_file_and_line(tmp_path, monkeypatch):
    path = write(tmp_path, "studies.toml", GOOD + "broken = \n")
    assert_data_error(tmp_path, monkeypatch, loc(path, 5), "syntax")


def test_toml_syntax_error_deep_in_a_file_names_its_line(tmp_path, monkeypatch):
    text = "".join(GOOD.replace("Smith2020", f"Smith{i}") + "\n" for i in range(30)) + '[Last2020]\ntitle = "unterminated\n'
    path = write(tmp_path, "studies.toml", text)
    line = text.count("\n", 0, text.index('title = "unterminated')) + 1
    assert_data_error(tmp_path, monkeypatch, loc(path, line), "syntax")


def test_wrong_type_names_file_record_field_and_line(tmp_path, monkeypatch):
    path = write(tmp_path, "studies.toml", GOOD.replace("year = 2020", 'year = "2020"'))
    assert_data_error(tmp_path, monkeypatch, loc(path, 4, "Smith2020", "year"), "integer")


def test_wrong_type_inside_a_list_names_the_field(tmp_path, monkeypatch):
    path = write(tmp_path, "studies.toml", GOOD + 'sources = ["bmsc", 3]\n')
    assert_data_error(tmp_path, monkeypatch, loc(path, 5, "Smith2020", "sources"), "list of strings")


def test_missing_required_field_names_record_and_field(tmp_path, monkeypatch):
    path = write(tmp_path, "studies.toml", GOOD.replace('authors = ["Smith, J."]\n', ""))
    assert_data_error(tmp_path, monkeypatch, loc(path, 1, "Smith2020", "authors"), "missing required field")


def test_unknown_field_names_record_field_and_line(tmp_path, monkeypatch):
    path = write(tmp_path, "studies.toml", GOOD + 'titel = "typo"\n')
    assert_data_error(tmp_path, monkeypatch, loc(path, 5, "Smith2020", "titel"), "unknown field", "did you mean 'title'")


def test_unknown_tag_names_record_field_and_value(tmp_path, monkeypatch):
    path = write(tmp_path, "studies.toml", GOOD + 'diseases = ["gvhd", "no-such-disease"]\n')
    assert_data_error(tmp_path, monkeypatch, loc(path, 5, "Smith2020", "diseases"), "unknown disease 'no-such-disease'")


def test_value_outside_a_closed_vocabulary_names_record_and_field(tmp_path, monkeypatch):
    path = write(tmp_path, "studies.toml", GOOD + 'evidence = "mice"\n')
    assert_data_error(tmp_path, monkeypatch, loc(path, 5, "Smith2020", "evidence"), "'mice' is not allowed")


def test_duplicate_key_across_folders_names_both_files(tmp_path, monkeypatch):
    a = write(tmp_path / "a", "studies.toml", GOOD)
    b = write(tmp_path / "b", "studies.toml", GOOD.replace("Smith2020", "smith2020"))
    monkeypatch.setenv("EXO_DATA_PATH", f"{tmp_path / 'a'}:{tmp_path / 'b'}")
    before = snapshot(tmp_path)
    for args in (["studies", "-o", "keys"], ["search", "smith", "-o", "keys"], ["validate", str(tmp_path / "a"), str(tmp_path / "b")]):
        r = exo(*args)
        assert str(a) in r.stderr and str(b) in r.stderr, r
        assert "already defined" in r.stderr and "smith2020" in r.stderr.lower(), r
        assert "Traceback" not in r.stderr
        if args[0] == "validate":
            assert r.code == 2 and r.stdout == "", r
        else:
            # The first one stays; the second is left out with a warning.
            assert r.code == 0 and "Smith2020" in r.stdout.split() and "warning" in r.stderr, r
            assert "smith2020" not in r.stdout.split(), r
    assert snapshot(tmp_path) == before


def test_duplicate_of_a_bundled_key_names_both_files(tmp_path, monkeypatch):
    path = write(tmp_path, "studies.toml", GOOD.replace("Smith2020", "bruno2009"))
    from exocli.catalog import bundled_data_dir

    bundled = bundled_data_dir() / "studies.toml"
    assert_data_error(tmp_path, monkeypatch, re.escape(str(path)), "already defined", re.escape(str(bundled)))


def test_duplicate_key_in_one_file_names_its_line(tmp_path, monkeypatch):
    path = write(tmp_path, "studies.toml", GOOD + "\n" + GOOD)
    assert_data_error(tmp_path, monkeypatch, loc(path, 6), "Smith2020")


def _assert_bad_folder(folder: Path, monkeypatch, *patterns: str) -> None:
    """In EXO_DATA_PATH a one-line warning; named with --data or to validate, an error."""
    monkeypatch.setenv("EXO_DATA_PATH", str(folder))
    r = exo("studies", "--disease", "gvhd", "-o", "keys")
    assert r.code == 0 and "Kordelas2014" in r.stdout.split(), r
    assert r.stderr.count("\n") == 1 and "warning" in r.stderr, r
    monkeypatch.delenv("EXO_DATA_PATH")
    for args in (["show", "gvhd", "--data", str(folder)], ["validate", str(folder)]):
        r = exo(*args)
        assert r.code == 2 and r.stdout == "", (args, r)
        assert "Traceback" not in r.stderr, r
        for pat in patterns:
            assert re.search(pat, r.stderr), (args, pat, r.stderr)


def test_data_folder_that_does_not_exist(tmp_path, monkeypatch):
    missing = tmp_path / "no" / "such" / "folder"
    _assert_bad_folder(missing, monkeypatch, re.escape(str(missing)), "does not exist")
    assert not missing.exists(), "exo created a data folder"


def test_data_folder_that_is_a_file(tmp_path, monkeypatch):
    path = write(tmp_path, "not-a-folder.toml", GOOD)
    _assert_bad_folder(path, monkeypatch, re.escape(str(path)), "not a folder")
    assert path.read_text("utf-8") == GOOD


def test_data_file_that_is_a_folder(tmp_path, monkeypatch):
    (tmp_path / "studies.toml").mkdir()
    assert_data_error(tmp_path, monkeypatch, re.escape(str(tmp_path / "studies.toml")), "cannot read")


def test_file_not_utf8_names_file_and_line(tmp_path, monkeypatch):
    path = write(tmp_path, "studies.toml", GOOD.encode() + b'note = "caf\xe9 latin-1"\n')
    assert_data_error(tmp_path, monkeypatch, loc(path, 5), "not UTF-8")


def test_utf16_file_is_not_utf8(tmp_path, monkeypatch):
    path = write(tmp_path, "studies.toml", GOOD.encode("utf-16"))
    assert_data_error(tmp_path, monkeypatch, re.escape(str(path)), "not UTF-8")


@pytest.mark.parametrize(
    "text",
    [b"", b"\n\n  \n", b"# nothing here yet\n", b"\xef\xbb\xbf"],
    ids=["empty", "blank-lines", "comment-only", "bom-only"],
)
def test_empty_file_is_fine_no_records(tmp_path, monkeypatch, text):
    for name in ("studies.toml", "diseases.toml", "sources.toml", "companies.toml", "glossary.toml", "review.toml"):
        write(tmp_path, name, text)
    plain = ok("studies", "--json")
    assert len(json.loads(plain.stdout)) == 114
    monkeypatch.setenv("EXO_DATA_PATH", str(tmp_path))
    r = ok("studies", "--json")
    assert r.stdout == plain.stdout, "an empty file changed the catalog"
    v = exo("validate", str(tmp_path))
    assert v.code == 0, v
    assert v.stdout == "" and re.fullmatch(r"exo: 2 folders OK \(.*\)\n", v.stderr), v


def test_plain_value_where_a_record_belongs(tmp_path, monkeypatch):
    write(tmp_path, "studies.toml", 'title = "a value, not a [record]"\n' + GOOD)
    assert_data_error(tmp_path, monkeypatch, re.escape("[title]"), "table")


def test_year_out_of_range_is_a_data_error(tmp_path, monkeypatch):
    """A year too big for any calendar must be reported, not crash the index."""
    path = write(tmp_path, "studies.toml", GOOD.replace("year = 2020", "year = 99999999999999999999"))
    assert_data_error(tmp_path, monkeypatch, re.escape(f"{path}:4 [Smith2020] year"))


def test_deeply_nested_value_is_a_data_error(tmp_path, monkeypatch):
    """Valid-looking TOML nested 5,000 deep: a located error, not a RecursionError."""
    path = write(tmp_path, "studies.toml", GOOD + "model = " + "[" * 5000 + "]" * 5000 + "\n")
    assert_data_error(tmp_path, monkeypatch, re.escape(str(path)))


def test_topic_parent_cycle_is_a_data_error(tmp_path, monkeypatch):
    """Sections whose parents loop (x -> y -> x) pass validation today and then
    crash `exo studies --topic x` with a RecursionError (exit 3)."""
    write(tmp_path, "review.toml", '[sections.x]\ntitle = "X"\nparent = "y"\n\n[sections.y]\ntitle = "Y"\nparent = "x"\n')
    monkeypatch.setenv("EXO_DATA_PATH", str(tmp_path))
    r = exo("studies", "--topic", "x")
    assert r.code in (1, 2), r
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr, r
    assert r.stdout == "" and "x -> y -> x" in r.stderr, r
    v = exo("validate", str(tmp_path))
    assert v.code == 2, v
    assert "[x] parent" in v.stderr or "[y] parent" in v.stderr, v


def test_every_problem_in_every_folder_is_reported_at_once(tmp_path, monkeypatch):
    write(tmp_path / "a", "studies.toml", GOOD + 'titel = "typo"\n')
    write(tmp_path / "a", "companies.toml", '[acme]\nname = "Acme"\nareas = ["magic"]\n')
    write(tmp_path / "b", "diseases.toml", b"[flu]\nname = \"influenza\"\ncategory = \"\xff\"\n")
    monkeypatch.setenv("EXO_DATA_PATH", f"{tmp_path / 'a'}:{tmp_path / 'b'}:{tmp_path / 'c'}")
    r = exo("validate")
    assert r.code == 2, r
    assert "4 problems" in r.stderr, r
    for part in ("[Smith2020] titel", "[acme] areas", "diseases.toml:3", "not UTF-8", str(tmp_path / "c"), "does not exist"):
        assert part in r.stderr, (part, r.stderr)


def test_hostile_text_in_bad_data_is_neutralised_in_the_error(tmp_path, monkeypatch):
    """Keys, field names and values quoted in errors cannot reach stderr raw."""
    esc = "\x1b]0;pwned\x07\x1b[2J"
    write(
        tmp_path,
        "studies.toml",
        f"[{toml_str(esc + 'Key')}]\ntitle = 1\n\n"
        f"[Smith2020]\ntitle = {toml_str('[bold]x[/]')}\nauthors = [\"S, J.\"]\nyear = {toml_str(esc)}\n"
        f"{toml_str(esc + 'field')} = 1\ndiseases = [{toml_str(esc)}]\n",
    )
    monkeypatch.setenv("EXO_DATA_PATH", str(tmp_path))
    for args in (["studies"], ["validate", str(tmp_path)]):
        r = exo(*args)
        assert r.code == (2 if args[0] == "validate" else 0), r
        assert "\x1b" not in r.stderr and "\x07" not in r.stderr, repr(r.stderr)
        assert "pwned" in r.stderr and "Traceback" not in r.stderr
        if args[0] == "studies":  # the bundled studies, the bad ones left out
            assert "Bruno2009" in r.stdout and "pwned" not in r.stdout, r


def test_bad_data_is_not_cached_and_fixing_it_is_seen(tmp_path, monkeypatch):
    path = write(tmp_path, "studies.toml", GOOD.replace("year = 2020", 'year = "2020"'))
    monkeypatch.setenv("EXO_DATA_PATH", str(tmp_path))
    for _ in range(2):  # cold, then warm: the same answer and the same warning
        r = exo("show", "Smith2020", "--json")
        assert r.code == 1 and "1 record of" in r.stderr and "left out" in r.stderr, r
    path.write_text(GOOD + "\n# fixed\n", encoding="utf-8")
    assert ok_json("show", "Smith2020", "--json")["year"] == 2020
    path.write_text(GOOD + 'titel = "a new typo"\n', encoding="utf-8")
    r = exo("show", "Smith2020", "--json")
    assert r.code == 1 and "titel" in r.stderr, "a stale cache hid a new error"


# -- paths the system refuses ---------------------------------------------------------------


def assert_one_line_error(r, *patterns: str) -> None:
    assert r.code == 2, r
    assert r.stdout == "", r
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r
    assert len(r.stderr.splitlines()) == 1, r.stderr
    for pat in patterns:
        assert re.search(pat, r.stderr), (pat, r.stderr)


def test_a_data_folder_name_too_long_is_a_located_problem(tmp_path, monkeypatch):
    """The OSError carries the file name; it was re-raised as a traceback.
    Named with --data or to validate it is an error; in EXO_DATA_PATH a warning."""
    folder = tmp_path / ("x" * 300)
    for args in (["studies", "--data", str(folder)], ["validate", str(folder)]):
        r = exo(*args)
        assert r.code == 2 and r.stdout == "", r
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r
        assert "File name too long" in r.stderr and "xxxx" in r.stderr, r
    monkeypatch.setenv("EXO_DATA_PATH", str(folder))
    r = exo("search", "gvhd", "-o", "keys")
    assert r.code == 0 and "gvhd" in r.stdout.split(), r
    assert len(r.stderr.splitlines()) == 1 and "warning" in r.stderr and "File name too long" in r.stderr, r


@pytest.mark.skipif(os.geteuid() == 0, reason="root may enter any folder")
def test_a_data_folder_without_search_permission_is_one_line_exit_2(tmp_path):
    locked = tmp_path / "locked"
    write(locked / "inner", "studies.toml", GOOD)
    locked.chmod(0o600)
    try:
        r = exo("studies", "--data", str(locked / "inner"))
    finally:
        locked.chmod(0o700)
    assert r.code == 2, r
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r
    assert "ermission denied" in r.stderr, r
