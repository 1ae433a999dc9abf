"""Your own library through the real CLI: exo import, tag, untag, note, tags and open.

Every test has its own library folder (EXO_LIBRARY, set in conftest) and
reads what exo wrote back with the loader users get (`exo show`, `exo
validate`), and each export with the reader its format's users have
(bibtexparser 2, rispy, json).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, exo
from helpers import ok, ok_json, validated

SAMPLES = ROOT / "tests" / "data" / "import"


def library() -> Path:
    return Path(os.environ["EXO_LIBRARY"])


def imported(*args: str, input: str | None = None) -> str:
    """`exo import ARGS`, asserted to succeed; its summary on stderr."""
    r = exo("import", *args, input=input)
    assert r.code == 0, r
    assert r.stdout == "" or "--dry-run" in args, r
    assert re.search(r"^exo: (would import|imported) [\d,]+ stud(y|ies) into ", r.stderr, re.M), r
    return r.stderr


def tomllib():
    try:
        import tomllib as t
    except ModuleNotFoundError:  # Python 3.10
        import tomli as t
    return t


# -- exo import ------------------------------------------------------------------


def test_import_writes_the_library_and_exo_reads_it_back():
    r = exo("import", str(SAMPLES / "pubmed.txt"), str(SAMPLES / "zotero.bib"))
    assert r.code == 0 and r.stdout == "", r
    assert "exo: imported 3 studies into " in r.stderr and "Griffin2020, Penalver2023, Celletti2022" in r.stderr
    written = library() / "studies.toml"
    data = tomllib().loads(written.read_text("utf-8"))
    assert list(data) == ["Griffin2020", "Penalver2023", "Celletti2022"]
    obj = ok_json("show", "Griffin2020", "--json")
    assert obj["pmid"] == "30922926" and obj["doi"] == "10.1016/j.ejmg.2019.03.004"
    assert obj["authors"] == ["Griffin, D. K.", "Larkin, D. M.", "O'Connor, R. E."]
    assert "Dinosaur" in obj["keywords"] and obj["abstract"].startswith("For the purpose of this review")
    validated(library())
    # The abstract is searched (at a low weight).
    s = ok("search", "karyotype", "-o", "keys")
    assert s.stdout.split()[0] == "Griffin2020", s


def test_importing_again_skips_every_duplicate_and_exits_1():
    assert "imported 2 studies into " in imported(str(SAMPLES / "pubmed.txt"))
    before = (library() / "studies.toml").read_bytes()
    r = exo("import", str(SAMPLES / "pubmed.txt"))
    assert r.code == 1, r
    assert "exo: skipped Griffin2020: same DOI as PMID 30922926" in r.stderr
    assert r.stderr.endswith("Error: nothing to import (2 skipped as already there)\n"), r
    assert (library() / "studies.toml").read_bytes() == before


def test_exos_own_export_from_stdin_is_a_duplicate_of_the_bundled_study():
    ris = ok("cite", "Bruno2009", "--format", "ris").stdout
    assert ris.startswith("TY  - JOUR") and "10.1681/asn.2008070798" in ris, ris
    r = exo("import", "-", input=ris)
    assert r.code == 1, r
    assert "exo: skipped Bruno2009: same DOI" in r.stderr
    assert not (library() / "studies.toml").exists()


def test_bad_entries_are_named_and_the_good_ones_written():
    # JabRef's test file: its entries lack a title, authors and a year.
    r = exo("import", str(SAMPLES / "zotero.bib"), str(SAMPLES / "jabref-months.bib"))
    assert r.code == 2, r
    bad = [line for line in r.stderr.splitlines() if line.startswith("exo: bad entry: ")]
    assert [b.split(": no ")[0] for b in bad] == [
        f"exo: bad entry: {SAMPLES / 'jabref-months.bib'}:2 [constant]",
        f"exo: bad entry: {SAMPLES / 'jabref-months.bib'}:6 [text]",
    ]
    assert "imported 1 study into" in r.stderr and "(2 bad)" in r.stderr
    assert r.stderr.splitlines()[-2:] == [
        "Error: 2 bad entries left out (named above)",
        "  fix them and import the file again; what was imported is skipped as already there",
    ], r
    keys = tomllib().loads((library() / "studies.toml").read_text("utf-8"))
    assert list(keys) == ["Celletti2022"]
    validated(library())


def test_strict_writes_nothing_when_an_entry_is_bad():
    r = exo("import", "--strict", str(SAMPLES / "zotero.bib"), str(SAMPLES / "jabref-months.bib"))
    assert r.code == 2, r
    assert "Error: nothing written (--strict) (2 bad)" in r.stderr, r
    assert "drop --strict to import the good ones (1 study)" in r.stderr, r
    assert not (library() / "studies.toml").exists()


def test_unreadable_and_unknown_files_are_bad_input(tmp_path):
    (tmp_path / "notes.txt").write_text("just some words\n", encoding="utf-8")
    r = exo("import", str(tmp_path / "missing.bib"), str(tmp_path / "notes.txt"))
    assert r.code == 2, r
    assert "missing.bib: cannot read" in r.stderr
    assert "notes.txt: not a reference file exo can read" in r.stderr
    assert not library().exists()


def test_dry_run_prints_the_toml_and_writes_nothing():
    r = exo("import", "--dry-run", str(SAMPLES / "zotero.bib"))
    assert r.code == 0, r
    data = tomllib().loads(r.stdout)
    assert list(data) == ["Celletti2022"] and data["Celletti2022"]["year"] == 2022
    assert r.stderr == f"exo: would import 1 study into {library() / 'studies.toml'}: Celletti2022\n", r
    assert not library().exists()


def test_into_a_folder_of_its_own(tmp_path):
    target = tmp_path / "mine"
    r = exo("import", "--into", str(target), str(SAMPLES / "zotero.bib"))
    assert r.code == 0, r
    assert (target / "studies.toml").exists() and not library().exists()
    assert f"exo does not read {target}" in r.stderr
    assert "exo: imported 1 study into " in r.stderr, r
    assert "Celletti2022" in ok("show", "Celletti2022", "--data", str(target)).stdout
    # Its keys count when importing into it again.
    again = exo("import", "--into", str(target), str(SAMPLES / "zotero.bib"))
    assert again.code == 1 and "same DOI" in again.stderr, again


RIS = """TY  - JOUR
AU  - Doe, Jane
TI  - Exosomes from bone marrow MSCs ease graft-versus-host disease in mice
PY  - 2024
DO  - 10.9999/example.1
ER  - 
"""


def test_suggested_annotations_are_marked_shown_and_left_out_by_curated():
    assert ": Doe2024" in imported("-", input=RIS)
    obj = ok_json("show", "Doe2024", "--json")
    assert obj["diseases"] == ["gvhd"] and obj["sources"] == ["bmsc"] and obj["evidence"] == "animal"
    assert obj["suggested"] == ["diseases", "sources", "evidence"]
    plain = ok("show", "Doe2024", "-o", "plain").stdout
    assert "diseases (suggested from the title/abstract)\tgvhd" in plain
    assert "evidence (suggested from the title/abstract)\tanimal" in plain
    assert "Doe2024" in ok("studies", "--disease", "gvhd", "-o", "keys").stdout.split()
    assert "Doe2024" in ok("studies", "--evidence", "animal", "-o", "keys").stdout.split()
    curated = ok("studies", "--disease", "gvhd", "--curated", "-o", "keys")
    assert "Doe2024" not in curated.stdout.split() and "Kordelas2014" in curated.stdout.split()
    animal = ok("studies", "--evidence", "animal", "--curated", "-o", "keys").stdout.split()
    assert animal and "Doe2024" not in animal
    every = ok_json("studies", "--year", "2024", "--curated", "--json")
    doe = next(o for o in every if o["key"] == "Doe2024")
    assert doe["diseases"] == [] and doe["evidence"] is None and doe["suggested"] == ["diseases", "sources", "evidence"]


@pytest.mark.slow
def test_a_big_import_shows_a_progress_bar_on_a_terminal(tmp_path):
    from terminal import run_on_pty, visible

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import medline
    finally:
        sys.path.pop(0)
    path = tmp_path / "big.nbib"
    medline.write(3000, path)
    code, out = run_on_pty(["import", str(path)], env={"EXO_LIBRARY": str(tmp_path / "lib")}, timeout=120)
    assert code == 0, out
    text = visible(out)
    assert "exo: annotating [" in text and "100% (3,000 of 3,000)" in text
    assert "exo: imported 3,000 studies" in text
    # Piped, no bar.
    r = exo("import", str(path))
    assert r.code == 0, r
    assert "exo: imported 3,000 studies" in r.stderr and "%" not in r.stderr, r


# -- tags and notes -----------------------------------------------------------------


def test_tag_untag_note_and_tags():
    r = ok("tag", "bruno2009", "kidney", "to-read", stderr="exo: Bruno2009: tags kidney, to-read\n")
    assert r.stdout == ""
    ok("tag", "Bruno2009", "Kidney", stderr="exo: Bruno2009: tags kidney, to-read\n")
    ok("tag", "gvhd", "immune", stderr="exo: gvhd: tags immune\n")
    ok("note", "Bruno2009", "Compare", "with the AKI studies of 2018.", stderr="exo: Bruno2009: note saved\n")
    obj = ok_json("show", "Bruno2009", "--json")
    assert obj["tags"] == ["kidney", "to-read"] and obj["user_note"] == "Compare with the AKI studies of 2018."
    assert ok("note", "Bruno2009").stdout == "Compare with the AKI studies of 2018.\n"
    tags = ok_json("tags", "--json")
    assert tags == [
        {"type": "tag", "key": "immune", "count": 1, "records": ["gvhd"]},
        {"type": "tag", "key": "kidney", "count": 1, "records": ["Bruno2009"]},
        {"type": "tag", "key": "to-read", "count": 1, "records": ["Bruno2009"]},
    ]
    assert ok("tags", "-o", "keys").stdout == "immune\nkidney\nto-read\n"
    assert ok("untag", "Bruno2009", "TO-READ", stderr="exo: Bruno2009: tags kidney\n").stdout == ""
    assert ok("note", "Bruno2009", "--clear", stderr="exo: Bruno2009: note removed\n").stdout == ""
    ann = tomllib().loads((library() / "annotations.toml").read_text("utf-8"))
    assert ann == {"Bruno2009": {"tags": ["kidney"]}, "gvhd": {"tags": ["immune"]}}


def test_a_note_from_stdin_and_a_key_shared_by_two_types():
    ok("note", "Bruno2009", "-", input="Line one.\nLine two.\n", stderr="exo: Bruno2009: note saved\n")
    assert ok_json("show", "Bruno2009", "--json")["user_note"] == "Line one.\nLine two."
    # gvhd is a disease and a term: term:gvhd tags the term only.
    r = exo("tag", "term:gvhd", "glossary-word")
    assert r.code == 0 and r.stdout == "", r
    assert re.fullmatch(r"exo: (term:)?gvhd: tags glossary-word\n", r.stderr), r
    assert ok_json("show", "term:gvhd", "--json")["tags"] == ["glossary-word"]
    assert ok_json("show", "gvhd", "--json")["tags"] == []
    assert ok("terms", "--tag", "glossary-word", "-o", "keys").stdout == "gvhd\n"


def test_an_unknown_key_or_tag_writes_nothing_and_exits_1():
    for args in (["tag", "Brunno2009", "x"], ["note", "Brunno2009", "text"], ["untag", "Brunno2009", "x"], ["open", "Brunno2009"]):
        r = exo(*args)
        assert r.code == 1, (args, r)
        assert "no key matches 'Brunno2009'" in r.stderr and "did you mean Bruno2009?" in r.stderr, (args, r)
        assert r.stdout == "", (args, r)
    assert not library().exists()
    ok("tag", "Bruno2009", "kidney", stderr="exo: Bruno2009: tags kidney\n")
    before = (library() / "annotations.toml").read_bytes()
    r = exo("untag", "Bruno2009", "kidny")
    assert r.code == 1 and "did you mean kidney?" in r.stderr, r
    r = exo("studies", "--tag", "kidny")
    assert r.code == 1 and "no tag matches 'kidny'" in r.stderr and "did you mean kidney?" in r.stderr, r
    assert (library() / "annotations.toml").read_bytes() == before
    assert "kidney" in ok("tags").stdout


def test_no_tags_yet():
    r = exo("tags", "--json")
    assert r.code == 1 and r.stdout.strip() == "[]" and "no tags yet" in r.stderr, r


@pytest.mark.parametrize(
    "listing, key",
    [("studies", "Bruno2009"), ("diseases", "gvhd"), ("sources", "bmsc"), ("companies", "capricor-therapeutics"), ("terms", "GMP"), ("topics", "immunoregulation")],
)
def test_every_listing_takes_tag(listing, key):
    real = ok_json("show", key, "--json")["key"]
    ok("tag", real, "mine", "other", stderr=f"exo: {real}: tags mine, other\n")
    ok("tag", "Fujii2018", "elsewhere", stderr="exo: Fujii2018: tags elsewhere\n")  # a study
    r = ok(listing, "--tag", "elsewhere", "--tag", "MINE", "-o", "keys")
    assert sorted(r.stdout.split()) == sorted([real] + (["Fujii2018"] if listing == "studies" else []))
    # Tables and plain output gain a tags column once there are tags to show.
    plain = ok(listing, "--tag", "mine").stdout
    assert plain.rstrip("\n").endswith("\tmine, other")


def test_search_finds_tags_and_notes_and_takes_tag():
    ok("tag", "Fujii2018", "favourite-paper", stderr="exo: Fujii2018: tags favourite-paper\n")
    ok("note", "Kordelas2014", "Zebrafinch reminder: reread the dosing table.", stderr="exo: Kordelas2014: note saved\n")
    hit = ok_json("search", "favourite", "--json")[0]
    assert hit["key"] == "Fujii2018" and "tags: favourite-paper" in hit["matched"], hit
    hit = ok_json("search", "zebrafinch", "--json")[0]
    assert hit["key"] == "Kordelas2014" and any(m.startswith("user_note:") for m in hit["matched"]), hit
    # --tag keeps only the tagged records among the hits.
    r = ok("search", "gvhd", "--tag", "favourite-paper", "-o", "keys")
    assert r.stdout.split() == ["Fujii2018"], r


def test_tagging_never_rebuilds_the_store():
    assert "gvhd" in ok("search", "gvhd", "-o", "keys").stdout.split()  # builds the store
    cache = Path(os.environ["EXO_CACHE_DIR"])

    def state():
        return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in cache.rglob("*.sqlite3")}

    before = state()
    assert before
    for args in (["tag", "Bruno2009", "kidney"], ["note", "Bruno2009", "A note."], ["untag", "Bruno2009", "kidney"]):
        r = exo(*args)
        assert r.code == 0 and r.stdout == "" and r.stderr.startswith("exo: Bruno2009: "), r
        assert "Bruno2009" in ok("studies", "--disease", "aki", "-o", "keys").stdout.split()
        assert state() == before, args


def test_a_broken_annotations_file_is_a_warning_and_tag_refuses_to_write():
    library().mkdir(parents=True)
    (library() / "annotations.toml").write_text("[Bruno2009]\ntags = 'not a list'\n", encoding="utf-8")
    r = exo("search", "gvhd", "-o", "keys")
    assert r.code == 0, r
    assert "gvhd" in r.stdout.split(), r
    assert "annotations.toml:1 [Bruno2009] tags: expected a list of strings" in r.stderr, r
    t = exo("tag", "Bruno2009", "x")
    assert t.code == 2 and "expected a list of strings" in t.stderr, t
    v = exo("validate", str(library()))
    assert v.code == 2 and "annotations.toml:1 [Bruno2009] tags: expected a list of strings" in v.stderr, v
    assert (library() / "annotations.toml").read_text("utf-8") == "[Bruno2009]\ntags = 'not a list'\n"


# -- exports carry tags and notes -------------------------------------------------------


@pytest.fixture
def annotated():
    ok("tag", "Bruno2009", "kidney", "to-read", stderr="exo: Bruno2009: tags kidney, to-read\n")
    ok("note", "Bruno2009", "Compare with {AKI} & 50% of 2018.", stderr="exo: Bruno2009: note saved\n")


def test_bibtex_carries_keywords_and_annote(annotated):
    import bibtexparser
    from bibtexparser.middlewares import RemoveEnclosingMiddleware

    text = ok("cite", "Bruno2009", "--format", "bibtex").stdout
    lib = bibtexparser.parse_string(text, parse_stack=[RemoveEnclosingMiddleware()])
    assert not lib.failed_blocks
    fields = {f.key: f.value for f in lib.entries[0].fields}
    assert fields["keywords"] == "kidney, to-read"
    assert fields["annote"] == r"Compare with \{AKI\} \& 50\% of 2018."


def test_ris_carries_kw_and_n1(annotated):
    import rispy

    text = ok("cite", "Bruno2009", "--format", "ris").stdout
    entry = rispy.loads(text)[0]
    assert entry["keywords"] == ["kidney", "to-read"]
    assert "Compare with {AKI} & 50% of 2018." in entry["notes"]


def test_csl_json_carries_keyword_and_note(annotated):
    item = ok_json("cite", "Bruno2009", "--format", "csl-json")[0]
    assert item["keyword"] == "kidney, to-read"
    assert item["note"].split("\n") == [
        "Author list truncated: the review printed only the first 6 authors, then et al.",
        "Compare with {AKI} & 50% of 2018.",
    ]


@pytest.mark.parametrize("fmt", ["bibtex", "ris", "csl-json"])
def test_imported_studies_export_and_import_back_with_every_field_equal(fmt, tmp_path):
    imported(str(SAMPLES / "pubmed.txt"))
    first = {k: ok_json("show", k, "--json") for k in ("Griffin2020", "Penalver2023")}
    export = tmp_path / f"out.{fmt}"
    export.write_text(ok("cite", "Griffin2020", "Penalver2023", "--format", fmt).stdout, encoding="utf-8")
    r = exo("import", "--dry-run", "--into", str(tmp_path / "other"), str(export))
    # The same DOIs are loaded, so they are duplicates; read them through the importer instead.
    assert r.code == 1 and r.stderr.count("same DOI") == 2, r
    from exocli import importer

    back = {e.origin.entry: e.study for e in importer.read_path(export).entries}
    assert set(back) == set(first), back
    for key, obj in first.items():
        study = back[key]
        for name in ("title", "authors", "year", "journal", "volume", "issue", "pages", "doi", "pmid", "abstract", "keywords"):
            assert study.get(name) == obj.get(name), (fmt, key, name)


# -- exo open -------------------------------------------------------------------------


def test_open_print_and_no_doi():
    r = ok("open", "Bruno2009", "--print")
    assert r.stdout == "https://doi.org/10.1681/asn.2008070798\n"
    r = exo("open", "gvhd")
    assert r.code == 1 and r.stdout == "" and "gvhd has no DOI to open" in r.stderr, r


def test_open_runs_the_browser_named_by_BROWSER(tmp_path):
    seen = tmp_path / "seen.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" > {seen}\n', encoding="utf-8")
    browser.chmod(0o755)
    env = {**os.environ, "BROWSER": str(browser), "EXO_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("DISPLAY", None)
    r = subprocess.run([sys.executable, "-m", "exocli", "open", "Bruno2009"], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", r
    # NOTE: webbrowser waits for a $BROWSER command to end.
    assert seen.read_text() == "https://doi.org/10.1681/asn.2008070798\n"


def test_annotations_of_records_not_loaded_now_are_kept_and_named_by_tags(tmp_path):
    mine = tmp_path / "mine"
    assert ": Celletti2022" in imported("--into", str(mine), str(SAMPLES / "zotero.bib"))
    ok("tag", "Celletti2022", "chaos", "--data", str(mine), stderr="exo: Celletti2022: tags chaos\n")
    assert ok("studies", "--tag", "chaos", "-o", "keys", "--data", str(mine)).stdout == "Celletti2022\n"
    r = ok("search", "gvhd", "-o", "keys")  # without the folder: no warning, nothing lost
    assert "gvhd" in r.stdout.split()
    t = exo("tags")
    assert t.code == 1 and "annotations.toml names 1 record not loaded now (Celletti2022)" in t.stderr, t
    assert "Celletti2022" in (library() / "annotations.toml").read_text("utf-8")
