"""`exo validate` and the loader: every class of data error is caught and located."""

from __future__ import annotations


import pytest

from conftest import data_dir, exo, write
from helpers import ok, validated




GOOD = """
[Smith2020]
title = "A made-up study of exosomes"
authors = ["Smith, J."]
year = 2020
diseases = ["gvhd"]
sources = ["bmsc"]
evidence = "animal"
"""


def test_bundled_data_is_clean():
    r = validated(data_dir())
    assert "1 folder OK" in r.stderr and "114 study" in r.stderr, r


def test_default_validates_bundled_and_env(tmp_path, monkeypatch):
    write(tmp_path / "mine", "studies.toml", GOOD)
    monkeypatch.setenv("EXO_DATA_PATH", str(tmp_path / "mine"))
    r = exo("validate")
    assert r.code == 0 and r.stdout == "", r
    assert "2 folders OK" in r.stderr and "115 study" in r.stderr, r


def test_user_folder_alone_may_link_to_bundled_keys_only_with_bundled(tmp_path):
    write(tmp_path, "studies.toml", GOOD)
    r = validated(data_dir(), tmp_path)
    assert "2 folders OK" in r.stderr and "115 study" in r.stderr, r


@pytest.mark.parametrize(
    "name, text, expect",
    [
        ("studies.toml", '[Smith2020]\ntitle = "x"\nauthors = ["A, B."]\nyear = 2020\nbroken = \n', ["studies.toml:5", "syntax"]),
        ("studies.toml", '[Smith2020]\ntitle = "x"\nauthors = ["A, B."]\nyear = "2020"\n', ["[Smith2020] year", "expected an integer"]),
        ("studies.toml", '[Smith2020]\ntitle = "x"\nauthors = ["A, B."]\nyear = 2020\ntitel = "y"\n', ["[Smith2020] titel", "unknown field", "did you mean 'title'"]),
        ("studies.toml", '[Smith2020]\ntitle = "x"\nauthors = ["A, B."]\nyear = 2020\ndiseases = ["gvdh"]\n', ["[Smith2020] diseases", "unknown disease 'gvdh'", "gvhd"]),
        ("studies.toml", '[Smith2020]\ntitle = "x"\nyear = 2020\n', ["[Smith2020] authors", "missing required field"]),
        ("studies.toml", '[Smith2020]\ntitle = "x"\nauthors = ["A, B."]\nyear = 2020\nevidence = "mice"\n', ["[Smith2020] evidence", "not allowed", "animal"]),
        ("studies.toml", '[Smith2020]\ntitle = "x"\nauthors = "A, B."\nyear = 2020\n', ["[Smith2020] authors", "a list of strings"]),
        ("companies.toml", '[acme]\nname = "Acme"\nareas = ["magic"]\n', ["[acme] areas", "'magic' is not allowed"]),
        ("diseases.toml", '[flu]\nname = "influenza"\n', ["[flu] category", "missing required field"]),
        ("studies.toml", b'[Smith2020]\ntitle = "caf\xe9"\n', ["not UTF-8", "studies.toml:2"]),
    ],
    ids=["syntax", "wrong-type", "unknown-field", "unknown-tag", "missing-required", "bad-choice", "list-type", "bad-area", "no-category", "not-utf8"],
)
def test_each_error_class_is_reported_with_location(tmp_path, name, text, expect):
    path = write(tmp_path, name, text)
    r = exo("validate", str(data_dir()), str(tmp_path))
    assert r.code == 2, r
    assert r.stdout == ""
    assert str(path) in r.stderr
    for e in expect:
        assert e in r.stderr, (e, r.stderr)
    assert "Error: 1 problem in the data" in r.stderr


def test_duplicate_key_across_folders_names_both_files(tmp_path):
    write(tmp_path / "a", "studies.toml", GOOD)
    write(tmp_path / "b", "studies.toml", GOOD.replace("Smith2020", "smith2020"))
    r = exo("validate", str(data_dir()), str(tmp_path / "a"), str(tmp_path / "b"))
    assert r.code == 2, r
    assert str(tmp_path / "a" / "studies.toml") in r.stderr
    assert str(tmp_path / "b" / "studies.toml") in r.stderr
    assert "already defined" in r.stderr


def test_collision_with_a_bundled_key(tmp_path):
    write(tmp_path, "studies.toml", GOOD.replace("Smith2020", "Bruno2009"))
    r = exo("validate", str(data_dir()), str(tmp_path))
    assert r.code == 2 and r.stdout == "", r
    assert "Bruno2009" in r.stderr and str(data_dir() / "studies.toml") in r.stderr


def test_all_problems_reported_at_once(tmp_path):
    write(tmp_path, "studies.toml", GOOD + '\n[Bad2020]\ntitle = 1\nauthors = ["A, B."]\nyear = 2020\nfoo = 1\n')
    write(tmp_path, "companies.toml", '[acme]\nname = "Acme"\nareas = ["magic"]\n')
    r = exo("validate", str(data_dir()), str(tmp_path))
    assert r.code == 2 and r.stdout == "", r
    assert "3 problems" in r.stderr
    assert "[Bad2020] title" in r.stderr and "[Bad2020] foo" in r.stderr and "[acme] areas" in r.stderr


def test_record_line_is_given(tmp_path):
    write(tmp_path, "studies.toml", GOOD + '\n\n[Bad2020]\ntitle = "x"\nauthors = ["A, B."]\nyear = 2020\nfoo = 1\n')
    r = exo("validate", str(data_dir()), str(tmp_path))
    assert r.code == 2 and r.stdout == "", r
    assert "studies.toml:15 [Bad2020] foo" in r.stderr, r


def test_missing_folder(tmp_path):
    r = exo("validate", str(tmp_path / "nope"))
    assert r.code == 2 and r.stdout == "", r
    assert "does not exist" in r.stderr


def test_empty_file_is_fine(tmp_path):
    write(tmp_path, "studies.toml", "")
    write(tmp_path, "companies.toml", "# nothing yet\n")
    r = validated(data_dir(), tmp_path)
    assert "114 study" in r.stderr, r


def test_user_records_join_the_bundled_ones(tmp_path, monkeypatch):
    write(tmp_path, "studies.toml", GOOD)
    monkeypatch.setenv("EXO_DATA_PATH", str(tmp_path))
    r = ok("studies", "--disease", "gvhd", "-o", "keys")
    assert "Smith2020" in r.stdout.split() and "Kordelas2014" in r.stdout.split()
    r = ok("studies", "--data", str(tmp_path), "-o", "keys")
    assert "Smith2020" in r.stdout.split() and "Bruno2009" in r.stdout.split()


def test_bad_user_folder_is_left_out_with_a_warning(tmp_path, monkeypatch):
    write(tmp_path, "studies.toml", "[x\n")
    monkeypatch.setenv("EXO_DATA_PATH", str(tmp_path))
    r = exo("search", "gvhd", "-o", "keys")
    assert r.code == 0, r
    assert "Kordelas2014" in r.stdout.split()
    assert f"warning: {tmp_path / 'studies.toml'} left out" in r.stderr and "syntax" in r.stderr, r
    assert f"run `exo validate {tmp_path}`" in r.stderr, r


def test_nothing_is_written_into_data_folders(tmp_path, monkeypatch):
    write(tmp_path, "studies.toml", GOOD)
    before = sorted(p.name for p in tmp_path.iterdir())
    monkeypatch.setenv("EXO_DATA_PATH", str(tmp_path))
    assert "Smith2020" in ok("search", "smith").stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_bad_field_does_not_hide_the_other_problems(tmp_path):
    write(tmp_path / "a", "studies.toml", '[Foo2020]\ntitle = "x"\nauthors = ["A, B."]\nyear = "2020"\ndiseases = ["nosuch"]\n')
    write(tmp_path / "b", "studies.toml", '[Foo2020]\ntitle = "y"\nauthors = ["B, C."]\nyear = 2020\n')
    r = exo("validate", str(tmp_path / "a"), str(tmp_path / "b"))
    assert r.code == 2 and r.stdout == "", r
    assert "3 problems" in r.stderr
    assert "expected an integer" in r.stderr and "unknown disease 'nosuch'" in r.stderr and "already defined" in r.stderr


def test_a_misnamed_data_file_is_reported(tmp_path):
    write(tmp_path, "study.toml", GOOD)
    r = exo("validate", str(tmp_path))
    assert r.code == 2 and r.stdout == "", r
    assert "study.toml: not a file exo reads; did you mean studies.toml?" in r.stderr


# -- big files are parsed in pieces -------------------------------------------------


def _pieces(text: str, size: int):
    import io

    from exocli.loader import _Pieces

    p = _Pieces(io.BytesIO(text.encode("utf-8")), size)
    return [(raw.decode("utf-8"), line) for raw, line in p], p


def test_pieces_parse_exactly_like_the_whole_file(monkeypatch):
    from exocli import loader

    whole, _ = loader.parse_dirs([data_dir()])
    text = (data_dir() / "studies.toml").read_text("utf-8")
    pieces, _ = _pieces(text, 2000)
    assert len(pieces) > 10
    assert "".join(p for p, _ in pieces) == text
    assert all(text.split("\n")[line - 1] == p.split("\n", 1)[0] for p, line in pieces)
    monkeypatch.setattr(loader, "CHUNK_BYTES", 2000)
    chunked, _ = loader.parse_dirs([data_dir()])
    assert chunked == whole


def test_a_repeated_table_leaves_the_verdict_to_the_whole_file(tmp_path, monkeypatch):
    from exocli import loader

    _, p = _pieces("[A]\nx = 1\n[A]\ny = 2\n", 1)
    assert p.repeated
    body = "".join(f'[Syn{i}]\ntitle = "t"\nauthors = ["A, B."]\nyear = 2020\n\n' for i in range(50))
    write(tmp_path, "studies.toml", body + '[Syn3]\ntitle = "again"\n')
    monkeypatch.setattr(loader, "CHUNK_BYTES", 200)
    r = exo("validate", str(tmp_path))
    assert r.code == 2 and "syntax" in r.stderr, r


def test_a_header_inside_a_multiline_string_is_not_a_cut():
    text = '[A]\nx = """\n[B]\n"""\n[C]\ny = 1\n'
    pieces, _ = _pieces(text, 1)
    assert "".join(p for p, _ in pieces) == text
    assert [p.split("\n", 1)[0] for p, _ in pieces] == ["[A]", "[C]"]


def test_pieces_cut_only_at_newlines_as_toml_does(tmp_path, monkeypatch):
    """U+0085 and U+2028 are line breaks to Python, not to TOML: a header after
    one inside a comment is no header, so nothing may be cut or read there."""
    from exocli import loader

    body = "".join(f'[Syn{i}]\ntitle = "t"\nauthors = ["A, B."]\nyear = 2020\n\n' for i in range(50))
    for brk in ("\u0085", "\u2028", "\u2029", "\x0c", "\x1c"):
        text = body + f"# comment{brk}[Evil2020]\ntitle = \"e\"\n"
        write(tmp_path, "studies.toml", text)
        try:
            import tomllib
        except ModuleNotFoundError:  # Python < 3.11
            import tomli as tomllib

        try:
            expected = sorted(tomllib.loads(text))
        except tomllib.TOMLDecodeError:
            expected = None
        monkeypatch.setattr(loader, "CHUNK_BYTES", 200)
        try:
            got = sorted(r["key"] for r in loader.parse_dirs([tmp_path])[0])
        except Exception:
            got = None
        assert (got is None) == (expected is None), (repr(brk), got, expected)
        assert got is None or "Evil2020" not in got, repr(brk)


def test_an_error_in_a_piece_is_reported_with_the_whole_file_line(tmp_path, monkeypatch):
    from exocli import loader

    body = "".join(f'[Syn{i}]\ntitle = "t"\nauthors = ["A, B."]\nyear = 2020\n\n' for i in range(50))
    write(tmp_path, "studies.toml", body + "[Bad]\ntitle = \n")
    monkeypatch.setattr(loader, "CHUNK_BYTES", 200)
    r = exo("validate", str(tmp_path))
    assert r.code == 2 and r.stdout == "", r
    assert f"studies.toml:{body.count(chr(10)) + 2}" in r.stderr and "syntax" in r.stderr


def test_a_malformed_doi_is_a_data_error(tmp_path):
    write(tmp_path, "studies.toml", GOOD + 'doi = "not a doi"\n')
    r = exo("validate", str(tmp_path))
    assert r.code == 2 and "[Smith2020] doi" in r.stderr and "is not a DOI" in r.stderr, r


def test_editing_a_data_file_replaces_its_cache(tmp_path, monkeypatch):
    import os

    write(tmp_path / "d", "studies.toml", GOOD)
    cache = tmp_path / "cache"
    monkeypatch.setenv("EXO_CACHE_DIR", str(cache))
    monkeypatch.setenv("EXO_DATA_PATH", str(tmp_path / "d"))
    for n in range(3):
        os.utime(tmp_path / "d" / "studies.toml", ns=(n * 10**9, n * 10**9))
        assert "Smith2020" in ok("search", "smith", "-o", "keys").stdout.split()
    assert len(list(cache.glob("exo-*.sqlite3"))) == 1
