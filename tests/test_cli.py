"""The exo command through the real CLI: stdout, stderr and exit code apart."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from exocli.cli import app
from exocli.output import Format

from conftest import exo
from helpers import ok, ok_json

COMMANDS = ["search", "studies", "diseases", "sources", "companies", "terms", "topics", "show", "cite", "map", "stats", "validate"]


def test_version_names_data_release_and_doi():
    r = ok("--version")
    assert r.stdout.startswith("exo ")
    assert "data release" in r.stdout and "10.3389/fphar.2020.590470" in r.stdout


def test_help_leads_with_examples():
    r = ok("--help")
    assert "Examples:" in r.stdout and "exo search gvhd" in r.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    r = ok(command, "--help")
    assert "Examples:" in r.stdout, command
    assert f"exo {command}" in r.stdout, command
    first = r.stdout.split("\n\n")[1].strip()
    assert first and not first.startswith("Examples"), first


def test_every_command_is_registered():
    names = {c.name or c.callback.__name__ for c in app.registered_commands}
    assert set(COMMANDS) <= names


# -- search --------------------------------------------------------------------------


def test_search_gvhd_lists_disease_and_tagged_studies():
    r = ok("search", "gvhd", "--json")
    hits = json.loads(r.stdout)
    assert hits[0]["type"] == "disease" and hits[0]["key"] == "gvhd"
    studies = {h["key"] for h in hits if h["type"] == "study"}
    assert {"Kordelas2014", "Fujii2018", "Lai2018"} <= studies
    for h in hits:
        assert {"type", "key", "score", "matched"} <= set(h)
        assert h["matched"]


def test_search_typo_and_product():
    assert ok_json("search", "kordelass", "--json")[0]["key"] == "Kordelas2014"
    top = ok_json("search", "ExoDX", "--json")[0]
    assert top["key"] == "exosome-diagnostics" and "ExoDX Lung (ALK)" in top["products"]


def test_search_plain_when_piped():
    r = ok("search", "gvhd")
    lines = r.stdout.splitlines()
    assert lines[0].split("\t")[:2] == ["disease", "gvhd"]
    assert all("\t" in line for line in lines)
    assert "\x1b[" not in r.stdout and "─" not in r.stdout
    assert r.stderr == "", r


def test_search_nothing_exits_1():
    r = exo("search", "qqqzzzxx")
    assert r.code == 1, r
    assert r.stdout == ""
    assert "no match for" in r.stderr


def test_search_limit_and_type():
    r = exo("search", "exosomes", "-n", "3", "--type", "study", "-o", "keys")
    assert r.code == 0, r
    assert len(r.stdout.split()) == 3
    assert re.fullmatch(r"exo: 3 of \d+ shown; use -n to see more\n", r.stderr), r


def test_search_bad_type_is_usage_error():
    r = exo("search", "gvhd", "--type", "planet")
    assert r.code == 2, r
    assert "unknown type" in r.stderr and "disease" in r.stderr


# -- studies -------------------------------------------------------------------------


def keys(r):
    return r.stdout.split()


def test_studies_all():
    r = ok("studies", "-o", "keys")
    assert len(keys(r)) == 114


@pytest.mark.parametrize(
    "args, expected, note",
    [
        (["--disease", "gvhd"], {"Kordelas2014", "Fujii2018", "Lai2018", "Huang2017"}, None),
        (["--disease", "type 2 diabetes"], {"Sun2018", "Zhuang2019"}, None),
        (["--disease", "t2dm"], {"Sun2018", "Zhuang2019"}, None),
        (["--disease", "T2DM"], {"Sun2018", "Zhuang2019"}, None),
        (["--disease", "diabetis type 2"], {"Sun2018", "Zhuang2019"}, "-> t2dm"),
        (["--source", "BMSC", "--disease", "osteoporosis"], {"Yang2019b"}, None),
        (["--source", "adipose", "--disease", "obesity"], {"Zhao2018a"}, None),
        (["--source", "adipos", "--disease", "obesity"], {"Zhao2018a"}, "-> amsc"),
        (["--mechanism", "miR-379"], {"OBrien2018"}, None),
        (["--mechanism", "PTEN siRNA"], {"Guo2019"}, None),
        (["--topic", "cosmetics"], set(), None),
    ],
)
def test_studies_filters(args, expected, note):
    r = exo("studies", *args, "-o", "keys")
    if not expected:
        # A known value no study is tagged with: an empty result, not an
        # unknown value (which would name the closest ones).
        assert r.code == 1 and r.stdout == "", r
        assert r.stderr == "Error: no studies match\n", r
        return
    assert r.code == 0, r
    assert set(keys(r)) == expected, r
    if note:
        assert note in r.stderr, r
    else:
        assert r.stderr == "", r


def test_loose_value_said_on_stderr_and_quiet_silences_it():
    r = ok("studies", "--disease", "diabetes", "-o", "keys", stderr="exo: disease 'diabetes' -> t1dm, t2dm\n")
    assert {"Sun2018", "Zhuang2019"} <= set(keys(r))
    assert ok("studies", "--disease", "diabetes", "-o", "keys", "-q").stdout == r.stdout


def test_filters_combine_with_and():
    a = set(keys(ok("studies", "--source", "gmsc", "-o", "keys")))
    b = set(keys(ok("studies", "--evidence", "animal", "-o", "keys")))
    both = set(keys(ok("studies", "--source", "gmsc", "--evidence", "animal", "-o", "keys")))
    assert both == a & b and both
    assert both < a and both < b  # each filter leaves out something the other keeps


def test_year_and_ranges():
    every = ok_json("studies", "--json")

    def years(*args):
        return [s["year"] for s in ok_json("studies", *args, "--json")]

    def count(lo, hi):
        return sum(1 for s in every if lo <= s["year"] <= hi)

    assert years("--year", "2018") == [2018] * count(2018, 2018) and count(2018, 2018) > 10
    assert sorted(set(years("--year", "2017..2019"))) == [2017, 2018, 2019]
    assert len(years("--year", "2017..2019")) == count(2017, 2019)
    early, late = years("--year", "..2010"), years("--year", "2020..")
    assert early and max(early) <= 2010 and len(early) == count(0, 2010)
    assert late and min(late) >= 2020 and len(late) == count(2020, 9999)


@pytest.mark.parametrize("bad", ["20x", "2019..2017", "", "1..2"])
def test_bad_year_is_usage_error(bad):
    r = exo("studies", "--year", bad)
    assert r.code == 2, r
    assert r.stdout == ""
    assert "year" in r.stderr


def test_unknown_filter_value_suggests():
    r = exo("studies", "--disease", "xyzzy")
    assert r.code == 1 and r.stdout == "", r
    assert "no disease matches 'xyzzy'" in r.stderr
    r = ok("studies", "--evidence", "anmal", "-o", "keys", stderr="exo: evidence 'anmal' -> animal\n")
    assert keys(r) == keys(ok("studies", "--evidence", "animal", "-o", "keys")) and keys(r)


def test_sort_and_reverse():
    years = [s["year"] for s in ok_json("studies", "--sort", "year", "--json")]
    assert len(years) == 114 and years[0] < years[-1]
    assert years == sorted(years)
    years = [s["year"] for s in ok_json("studies", "--sort", "year", "-r", "--json")]
    assert len(years) == 114 and years[0] > years[-1]
    assert years == sorted(years, reverse=True)
    r = exo("studies", "--sort", "colour")
    assert r.code == 2 and "unknown sort" in r.stderr, r


def test_free_text_with_filters():
    r = ok("studies", "hydrogel", "--disease", "mi", "-o", "keys")
    assert keys(r) == ["Lv2019"]


# -- formats -------------------------------------------------------------------------


def test_json_objects_have_type_key_and_toml_fields():
    objs = ok_json("studies", "--disease", "gvhd", "--json")
    assert len(objs) == 4
    for o in objs:
        assert list(o)[:2] == ["type", "key"]
        for f in ("authors", "year", "title", "journal", "volume", "issue", "pages", "doi", "sources", "diseases", "topics", "mechanisms", "note"):
            assert f in o


def test_jsonl_one_object_per_line():
    lines = ok("studies", "--disease", "gvhd", "-o", "jsonl").stdout.splitlines()
    assert len(lines) == 4
    assert all(json.loads(line)["type"] == "study" for line in lines)


def test_csv_read_back_by_csv_module():
    out = ok("studies", "-o", "csv", "--fields", "key,title,authors,doi").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 114
    bruno = next(r for r in rows if r["key"] == "Bruno2009")
    assert bruno["title"] == "Mesenchymal stem cell-derived microvesicles protect against acute tubular injury"
    assert bruno["authors"].startswith("Bruno, S.; Grange, C.")
    assert bruno["doi"] == "10.1681/asn.2008070798"


def test_tsv_has_header_and_escapes(tmp_path):
    out = ok("companies", "-o", "tsv").stdout.splitlines()
    assert out[0].split("\t") == ["key", "name", "areas", "products"]
    assert len(out) == 27
    # A tab, a newline and a backslash in a value never split a row or a cell.
    (tmp_path / "studies.toml").write_text(
        '[Odd2020]\ntitle = "A\\tB\\nC \\\\ D"\nauthors = ["Odd, A."]\nyear = 2020\n', encoding="utf-8"
    )
    r = ok("studies", "--data", str(tmp_path), "--year", "2020", "odd", "-o", "tsv", "--fields", "key,title")
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and lines[1].count("\t") == 1, r.stdout
    assert lines[1].split("\t")[0] == "Odd2020" and "\n" not in lines[1].split("\t")[1]


def test_markdown_table():
    out = ok("companies", "--area", "diagnostics", "-o", "markdown").stdout.splitlines()
    assert out[0].startswith("| key | name |") and out[1].startswith("|---")
    assert len(out) > 2 and any("| exosome-diagnostics |" in line for line in out[2:]), out


def test_fields_pick_and_unknown_field_lists_valid_ones():
    objs = ok_json("studies", "--disease", "gvhd", "--json", "--fields", "key,doi")
    assert len(objs) == 4 and all(set(o) == {"key", "doi"} for o in objs)
    r = exo("studies", "--fields", "key,colour")
    assert r.code == 2 and "unknown field: 'colour'" in r.stderr and "doi" in r.stderr, r


def test_unknown_format():
    r = exo("studies", "-o", "yaml")
    assert r.code == 2 and r.stdout == "", r
    assert "unknown format 'yaml'" in r.stderr, r
    assert all(f.value in r.stderr for f in Format), r


def test_keys_pipe_into_cite():
    ks = ok("studies", "--disease", "gvhd", "-o", "keys").stdout
    r = ok("cite", "-", "--format", "bibtex", input=ks)
    assert r.stdout.count("@article{") == 4


# -- other listings ------------------------------------------------------------------


def test_companies_by_area():
    objs = ok_json("companies", "--area", "diagnostics", "--json")
    assert {"exosome-diagnostics", "biocept"} <= {o["key"] for o in objs}
    assert all("diagnostics" in o["areas"] for o in objs)
    r = exo("companies", "--area", "astrology")
    assert r.code == 1 and r.stdout == "" and "no area matches" in r.stderr, r


def test_diseases_sources_terms_topics():
    diseases = ok_json("diseases", "--json")
    assert len(diseases) == 46
    cancer = ok_json("diseases", "--category", "cancer", "--json")
    assert cancer and all(d["category"] == "cancer" for d in cancer)
    assert len(cancer) < len(diseases)
    sources = ok_json("sources", "--json")
    msc = ok_json("sources", "--msc", "--json")
    assert msc and all(s["msc"] for s in msc)
    assert len(msc) < len(sources)
    assert len(ok_json("terms", "--glossary", "--json")) == 31
    topics = ok_json("topics", "--json")
    assert len(topics) > 1
    assert [t["order"] for t in topics] == sorted(t["order"] for t in topics)


# -- show ----------------------------------------------------------------------------


def test_show_any_case_and_links():
    d = ok_json("show", "bruno2009", "--json")
    assert d["key"] == "Bruno2009"
    assert d["url"] == "https://doi.org/10.1681/asn.2008070798"
    assert "brief-description" in d["links"]["cited_in"]
    g = ok_json("show", "GVHD", "--json")
    assert g["type"] == "disease"
    assert set(g["links"]["studies"]) >= {"Kordelas2014", "Fujii2018"}
    assert g["evidence_summary"]["studies"] == len(g["links"]["studies"])
    t = ok_json("show", "term:gvhd", "--json")
    assert t["type"] == "term" and t["disease"] == "gvhd"


def test_show_unknown_key_suggests():
    r = exo("show", "Brunno2009")
    assert r.code == 1, r
    assert r.stdout == ""
    assert "did you mean Bruno2009?" in r.stderr


def test_show_plain_is_field_tab_value():
    out = ok("show", "bmsc").stdout.splitlines()
    assert out[0] == "type\tsource" and out[1] == "key\tbmsc"
    assert any(line.startswith("evidence summary\t") for line in out)


def test_markup_in_data_is_literal(tmp_path, monkeypatch):
    (tmp_path / "studies.toml").write_text(
        '[Evil2020]\ntitle = "Tregs [i] and [/i] CD4 [bold red]x[/]"\nauthors = ["Evil, E."]\nyear = 2020\n', "utf-8"
    )
    monkeypatch.setenv("EXO_DATA_PATH", str(tmp_path))
    # Every format that writes the title (`keys` writes only the key).
    for fmt in set(Format) - {Format.KEYS}:
        out = ok("show", "Evil2020", "-o", fmt.value).stdout
        assert "[i] and [/i] CD4 [bold red]x[/]" in out, (fmt, out)
        out = ok("studies", "Tregs", "-o", fmt.value).stdout
        assert "[i] and [/i] CD4 [bold red]x[/]" in out, (fmt, out)


def test_shell_completion_completes_keys(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "_EXO_COMPLETE": "complete_bash", "COMP_WORDS": "exo cite Chen", "COMP_CWORD": "2", "EXO_CACHE_DIR": str(tmp_path)}
    r = subprocess.run([sys.executable, "-m", "exocli"], env=env, capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == "", r
    assert r.stdout.split() == ["Chen2019a", "Chen2019b"], r
    env["COMP_WORDS"] = "exo show Kordel"
    r = subprocess.run([sys.executable, "-m", "exocli"], env=env, capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == "", r
    assert r.stdout.split() == ["Kordelas2014"], r


def test_repeated_year_is_or():
    both = set(keys(ok("studies", "--year", "2018", "--year", "2019", "-o", "keys")))
    assert both == set(keys(ok("studies", "--year", "2018..2019", "-o", "keys"))) and len(both) == 73


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_every_help_example_runs(command, tmp_path):
    import os
    import re
    import subprocess
    import sys

    text = ok(*([command] if command else []), "--help").stdout
    block = text.split("Examples:", 1)[1]
    lines = []
    for line in block.splitlines()[1:]:
        if not line.startswith("    exo ") and not line.startswith("  exo "):
            break
        lines.append(re.sub(r"\s+\(.*\)$", "", line.strip()))
    assert lines, command
    env = {**os.environ, "EXO_CACHE_DIR": str(tmp_path / "cache"), "PY": sys.executable}
    env.pop("EXO_DATA_PATH", None)
    for line in lines:
        if "~/my-exo-data" in line:
            continue
        script = 'exo() { "$PY" -m exocli "$@"; }\nset -o pipefail\n' + line + "\n"
        r = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, cwd=tmp_path)
        assert r.returncode == 0, (line, r.stderr)
        if line.startswith("exo validate"):
            # validate's verdict is a message, on stderr.
            assert r.stdout == "" and r.stderr.startswith("exo: 1 folder OK ("), (line, r)
            continue
        assert r.stderr == "", (line, r.stderr)
        redirect = re.search(r" > ([\w.-]+)$", line)
        out = (tmp_path / redirect.group(1)).read_text(encoding="utf-8") if redirect else r.stdout
        assert out.strip(), (line, r)


@pytest.mark.parametrize(
    "args, must_include, note",
    [
        (["--source", "MSC-exosomes"], {"Bruno2009", "Fujii2018", "Shi2017b"}, None),  # a glossary term, and every MSC source
        (["--source", "msc"], {"Fujii2018", "Zhao2018a"}, None),
        (["--disease", "cancer"], {"Bliss2016", "Zhao2018b", "Zhu2019", "Dong2018", "Mendt2018"}, None),  # subtypes too
        (["--disease", "NSCLC"], {"Zhao2018b"}, None),
        (["--mechanism", "AKT"], {"Ma2017", "Gangadaran2017"}, None),
        (["--mechanism", "microRNA-379"], {"OBrien2018"}, None),
        (["--mechanism", "miR-21"], {"Cui2018", "Mayourian2018"}, None),
        (["--disease", "diabets"], {"Sun2018", "Nojehdehi2018"}, "-> t1dm, t2dm"),
        (["--topic", "tumour therapy"], {"Bliss2016"}, None),
    ],
)
def test_filters_read_values_as_people_write_them(args, must_include, note):
    r = exo("studies", *args, "-o", "keys")
    assert r.code == 0, r
    assert must_include <= set(keys(r)), r
    if note:
        assert note in r.stderr, r
    else:
        assert r.stderr == "", r


def test_type_ii_diabetes_is_type_2_only():
    assert set(keys(ok("studies", "--disease", "type II diabetes", "-o", "keys"))) == {"Sun2018", "Zhuang2019"}


# A word the category is known by is taken silently; a prefix is said.
@pytest.mark.parametrize(
    "value, expected, said",
    [("cardiac", "cardiovascular", ""), ("musculo", "musculoskeletal", "exo: category 'musculo' -> musculoskeletal\n"), ("oncology", "cancer", "")],
)
def test_category_words(value, expected, said):
    objs = ok_json("diseases", "--category", value, "--json", stderr=said)
    assert objs and {o["category"] for o in objs} == {expected}


def test_empty_results_keep_their_machine_shape():
    r = exo("studies", "--year", "2030", "--json")
    assert r.code == 1 and json.loads(r.stdout) == [] and "no studies match" in r.stderr, r
    r = exo("studies", "--year", "2030", "-o", "csv", "--fields", "key,doi")
    assert r.code == 1 and r.stdout == "key,doi\n", r
    r = exo("studies", "--year", "2030")
    assert r.code == 1 and r.stdout == "" and "no studies match" in r.stderr, r


def test_search_fields_do_not_depend_on_what_is_found():
    r = exo("search", "gvhd", "-n", "2", "--fields", "key,title")
    assert r.code == 0, r
    assert [line.split("\t")[0] for line in r.stdout.splitlines()] == ["gvhd", "gvhd"], r  # the disease and its term
    assert re.fullmatch(r"exo: 2 of \d+ shown; use -n to see more\n", r.stderr), r
    r = exo("search", "gvhd", "--fields", "key,colour")
    assert r.code == 2 and r.stdout == "" and "unknown field: 'colour'" in r.stderr, r


def test_fields_repeat_and_ignore_case():
    r = ok("studies", "-n", "1", "--fields", "key", "--fields", "Year")
    assert r.stdout == "Arasu2017\t2017\n"


def test_cite_takes_keys_as_people_paste_them():
    r = ok("cite", "Bruno2009,Kalluri2020", "@Zhao2018", "--style", "intext")
    assert r.stdout == "(Bruno et al., 2009; Kalluri and LeBleu, 2020; Zhao, 2018)\n"
    r = ok("cite", "-", "--style", "intext", input="\ufeffBruno2009\n")
    assert r.stdout == "(Bruno et al., 2009)\n"
    nlm = ok("cite", "Bruno2009", "--style", "nlm").stdout
    assert "Bruno S" in nlm and nlm == ok("cite", "Bruno2009", "--style", "vancouver").stdout


def test_search_finds_an_in_text_citation():
    assert ok_json("search", "Bruno et al., 2009", "--json")[0]["key"] == "Bruno2009"


def test_table_cut_short_by_head_exits_quietly(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "EXO_CACHE_DIR": str(tmp_path), "PY": sys.executable}
    for cmd in ("map -o table", "studies -o table", "stats -o table", "show gvhd -o table"):
        r = subprocess.run(["bash", "-c", f'"$PY" -m exocli {cmd} | head -1; exit ${{PIPESTATUS[0]}}'], env=env, capture_output=True, text=True)
        assert r.returncode == 0, (cmd, r.stderr)
        assert r.stderr == "" and r.stdout.count("\n") == 1 and r.stdout.strip(), (cmd, r)


def test_a_keys_listing_decodes_no_record(monkeypatch):
    """`studies --disease X -o keys` decodes no study: the keys come from the
    index, so its cost does not grow with what a million studies hold.
    (Reading the value decodes the diseases and terms it may name.)"""
    from exocli.catalog import Catalog

    real = Catalog.record

    def refuse_studies(self, rid):
        if self.type_of(rid) == "study":
            raise AssertionError(f"study {self.keys[rid]} was decoded")
        return real(self, rid)

    monkeypatch.setattr(Catalog, "record", refuse_studies)
    r = ok("studies", "--disease", "gvhd", "--year", "2014..2018", "-o", "keys")
    assert r.stdout.split() == ["Fujii2018", "Huang2017", "Kordelas2014", "Lai2018"]


@pytest.mark.parametrize(
    "command, option, members",
    [
        ("studies", "--evidence", [e.value for e in __import__("exocli.model", fromlist=["x"]).Evidence]),
        ("studies", "--kind", [e.value for e in __import__("exocli.model", fromlist=["x"]).Kind]),
        ("studies", "--category", [e.value for e in __import__("exocli.model", fromlist=["x"]).Category]),
        ("companies", "--area", [e.value for e in __import__("exocli.model", fromlist=["x"]).Area]),
        ("search", "--type", [t.name for t in __import__("exocli.model", fromlist=["x"]).ENTITY_TYPES]),
        ("studies", "--sort", list(__import__("exocli.model", fromlist=["x"]).STUDY_SORTS)),
        ("map", "--rows", list(__import__("exocli.model", fromlist=["x"]).MAP_AXES)),
        ("cite", "--style", [e.value for e in __import__("exocli.model", fromlist=["x"]).Style]),
        ("cite", "--format", [e.value for e in __import__("exocli.model", fromlist=["x"]).CiteFormat]),
    ],
)
def test_help_lists_every_value_an_option_takes(command, option, members):
    """The help of a closed-set option is built from its enum, so it names every member."""
    r = ok(command, "--help")
    lines = r.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("-") and option in line)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("-")), len(lines))
    text = " ".join(line.strip() for line in lines[start:end])
    for m in members:
        assert m in text, (option, m, text)


# The formats that escape a cell (a tab, a pipe, a quote), each its own way.
@pytest.mark.parametrize("fmt", [Format.TSV.value, Format.MARKDOWN.value, Format.CSV.value])
def test_a_value_reads_the_same_in_a_listing_and_in_show(tmp_path, fmt):
    """One writer per format: `studies` and `show` escape a value alike."""
    (tmp_path / "studies.toml").write_text(
        '[Odd2020]\ntitle = "A | B \\\\ C\\tD"\nauthors = ["Odd, A."]\nyear = 2020\n', encoding="utf-8"
    )
    listing = ok("studies", "--data", str(tmp_path), "odd", "--year", "2020", "-o", fmt, "--fields", "key,title")
    shown = ok("show", "Odd2020", "--data", str(tmp_path), "-o", fmt)
    assert "Odd2020" in listing.stdout, listing
    title_line = next(line for line in shown.stdout.splitlines() if "title" in line)
    cell = listing.stdout.splitlines()[-1]
    if fmt == Format.TSV.value:
        assert cell.split("\t")[1] == title_line.split("\t")[1], (cell, title_line)
    elif fmt == Format.MARKDOWN.value:
        assert cell.split(" | ", 1)[1].rstrip(" |") == title_line.split(" | ", 1)[1].rstrip(" |"), (cell, title_line)
    else:
        import csv
        import io

        assert list(csv.reader(io.StringIO(cell)))[0][1] == list(csv.reader(io.StringIO(title_line)))[0][1]



def _options(command: str) -> dict[str, str]:
    """Each option of a command's help (by its first name) with its help, on one line."""
    r = ok(command, "--help")
    blocks: list[list[str]] = []
    for line in r.stdout.split("Options:", 1)[1].splitlines():
        if line.strip().startswith("-"):
            blocks.append([line.strip()])
        elif blocks and line.strip():
            blocks[-1].append(line.strip())
    # NOTE: compared without spaces: help wraps at different widths (and
    # after hyphens) in commands whose option names differ in length.
    return {b[0].split()[0].rstrip(","): "".join("".join(b).split()) for b in blocks}


DATA_ONLY = ["cite", "tag", "untag", "note", "open", "import"]


@pytest.mark.parametrize("command", [c for c in COMMANDS if c not in ("validate", "cite")] + ["tags"] + DATA_ONLY)
def test_shared_options_are_the_same_everywhere(command):
    """Declared once in cli.py: every command taking them shows the same
    options with the same help, and the format list comes from Format."""
    from exocli.output import Format

    options = _options(command)
    reference = _options("studies")
    shared = ("--data",) if command in DATA_ONLY else ("-o", "--json", "--no-color", "--data")
    for option in shared:
        assert options.get(option) == reference[option], (command, option)
    if "--fields" in options:
        assert options["--fields"] == reference["--fields"]
    assert all(f.value in reference["-o"] for f in Format)


@pytest.mark.parametrize(
    "value,hint",
    [
        ("banana", "  `exo diseases` lists them"),
        ("nosuch", "  `exo diseases` lists them"),
        ("graft host", "  did you mean gvhd?"),
        ("cardio", "  did you mean mi, myocardial-ischemia-reperfusion, stroke? Or, for a body system: --category cardiovascular"),
    ],
)
def test_did_you_mean_offers_only_names_close_to_the_value(value, hint):
    """A value matching nothing gets the names it nearly spells, or is a good
    part of; never short names sharing two letters with it."""
    r = exo("studies", "--disease", value)
    assert r.code == 1 and r.stdout == "", r
    assert r.stderr.splitlines() == [f"Error: no disease matches {value!r}", hint], r


@pytest.mark.parametrize(
    "args,message,hint",
    [
        (["studies", "-n", "0"], "Error: Invalid value for '--limit' / '-n': 0 is not in the range x>=1.", "  `exo studies --help` lists the options and what they take"),
        (["studies", "--frobnicate"], "Error: No such option '--frobnicate'. Did you mean '--format'?", "  `exo studies --help` lists the options and what they take"),
        (["show"], "Error: Missing argument 'KEY'.", "  `exo show --help` lists the options and what they take"),
        (["nosuchcmd"], "Error: No such command 'nosuchcmd'.", "  `exo --help` lists the commands; `exo COMMAND --help` their options"),
    ],
)
def test_click_usage_errors_speak_in_exos_voice(args, message, hint):
    r = exo(*args)
    assert r.code == 2 and r.stdout == "", r
    assert r.stderr.splitlines() == [message, hint], r
