"""The exo command through the real CLI: stdout, stderr and exit code apart."""

from __future__ import annotations

import csv
import io
import json

import pytest

from exocli.cli import app

from conftest import exo

COMMANDS = ["search", "studies", "diseases", "sources", "companies", "terms", "topics", "show", "cite", "map", "stats", "validate"]


def test_version_names_data_release_and_doi():
    r = exo("--version")
    assert r.code == 0, r
    assert r.stdout.startswith("exo ")
    assert "data release" in r.stdout and "10.3389/fphar.2020.590470" in r.stdout


def test_help_leads_with_examples():
    r = exo("--help")
    assert r.code == 0, r
    assert "Examples:" in r.stdout and "exo search gvhd" in r.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    r = exo(command, "--help")
    assert r.code == 0, r
    assert "Examples:" in r.stdout, command
    assert f"exo {command}" in r.stdout, command
    first = r.stdout.split("\n\n")[1].strip()
    assert first and not first.startswith("Examples"), first


def test_every_command_is_registered():
    names = {c.name or c.callback.__name__ for c in app.registered_commands}
    assert set(COMMANDS) <= names


# -- search --------------------------------------------------------------------------


def test_search_gvhd_lists_disease_and_tagged_studies():
    r = exo("search", "gvhd", "--json")
    assert r.code == 0, r
    hits = json.loads(r.stdout)
    assert hits[0]["type"] == "disease" and hits[0]["key"] == "gvhd"
    studies = {h["key"] for h in hits if h["type"] == "study"}
    assert {"Kordelas2014", "Fujii2018", "Lai2018"} <= studies
    for h in hits:
        assert {"type", "key", "score", "matched"} <= set(h)
        assert h["matched"]


def test_search_typo_and_product():
    assert json.loads(exo("search", "kordelass", "--json").stdout)[0]["key"] == "Kordelas2014"
    top = json.loads(exo("search", "ExoDX", "--json").stdout)[0]
    assert top["key"] == "exosome-diagnostics" and "ExoDX Lung (ALK)" in top["products"]


def test_search_plain_when_piped():
    r = exo("search", "gvhd")
    assert r.code == 0, r
    lines = r.stdout.splitlines()
    assert lines[0].split("\t")[:2] == ["disease", "gvhd"]
    assert all("\t" in line for line in lines)
    assert "\x1b[" not in r.stdout and "─" not in r.stdout


def test_search_nothing_exits_1():
    r = exo("search", "qqqzzzxx")
    assert r.code == 1
    assert r.stdout == ""
    assert "no match for" in r.stderr


def test_search_limit_and_type():
    r = exo("search", "exosomes", "-n", "3", "--type", "study", "-o", "keys")
    assert r.code == 0, r
    assert len(r.stdout.split()) == 3


def test_search_bad_type_is_usage_error():
    r = exo("search", "gvhd", "--type", "planet")
    assert r.code == 2
    assert "unknown type" in r.stderr and "disease" in r.stderr


# -- studies -------------------------------------------------------------------------


def keys(r):
    return r.stdout.split()


def test_studies_all():
    r = exo("studies", "-o", "keys")
    assert r.code == 0, r
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
    assert set(keys(r)) == expected
    if note:
        assert note in r.stderr
    else:
        assert r.stderr == ""


def test_loose_value_said_on_stderr_and_quiet_silences_it():
    r = exo("studies", "--disease", "diabetes", "-o", "keys")
    assert "disease 'diabetes' -> t1dm, t2dm" in r.stderr
    assert exo("studies", "--disease", "diabetes", "-o", "keys", "-q").stderr == ""


def test_filters_combine_with_and():
    a = set(keys(exo("studies", "--source", "gmsc", "-o", "keys")))
    b = set(keys(exo("studies", "--evidence", "animal", "-o", "keys")))
    both = set(keys(exo("studies", "--source", "gmsc", "--evidence", "animal", "-o", "keys")))
    assert both == a & b and both


def test_year_and_ranges():
    every = json.loads(exo("studies", "--json").stdout)

    def years(*args):
        r = exo("studies", *args, "--json")
        assert r.code == 0, r
        return [s["year"] for s in json.loads(r.stdout)]

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
    assert r.code == 2
    assert r.stdout == ""
    assert "year" in r.stderr


def test_unknown_filter_value_suggests():
    r = exo("studies", "--disease", "xyzzy")
    assert r.code == 1 and r.stdout == ""
    assert "no disease matches 'xyzzy'" in r.stderr
    r = exo("studies", "--evidence", "anmal", "-o", "keys")
    assert r.code == 0 and "evidence 'anmal' -> animal" in r.stderr


def test_sort_and_reverse():
    years = [s["year"] for s in json.loads(exo("studies", "--sort", "year", "--json").stdout)]
    assert years == sorted(years)
    years = [s["year"] for s in json.loads(exo("studies", "--sort", "year", "-r", "--json").stdout)]
    assert years == sorted(years, reverse=True)
    r = exo("studies", "--sort", "colour")
    assert r.code == 2 and "unknown sort" in r.stderr


def test_free_text_with_filters():
    r = exo("studies", "hydrogel", "--disease", "mi", "-o", "keys")
    assert keys(r) == ["Lv2019"]


# -- formats -------------------------------------------------------------------------


def test_json_objects_have_type_key_and_toml_fields():
    objs = json.loads(exo("studies", "--disease", "gvhd", "--json").stdout)
    for o in objs:
        assert list(o)[:2] == ["type", "key"]
        for f in ("authors", "year", "title", "journal", "volume", "issue", "pages", "doi", "sources", "diseases", "topics", "mechanisms", "note"):
            assert f in o


def test_jsonl_one_object_per_line():
    lines = exo("studies", "--disease", "gvhd", "-o", "jsonl").stdout.splitlines()
    assert len(lines) == 4
    assert all(json.loads(line)["type"] == "study" for line in lines)


def test_csv_read_back_by_csv_module():
    out = exo("studies", "-o", "csv", "--fields", "key,title,authors,doi").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 114
    bruno = next(r for r in rows if r["key"] == "Bruno2009")
    assert bruno["title"] == "Mesenchymal stem cell-derived microvesicles protect against acute tubular injury"
    assert bruno["authors"].startswith("Bruno, S.; Grange, C.")
    assert bruno["doi"] == "10.1681/asn.2008070798"


def test_tsv_has_header_and_escapes(tmp_path):
    out = exo("companies", "-o", "tsv").stdout.splitlines()
    assert out[0].split("\t") == ["key", "name", "areas", "products"]
    assert len(out) == 27
    # A tab, a newline and a backslash in a value never split a row or a cell.
    (tmp_path / "studies.toml").write_text(
        '[Odd2020]\ntitle = "A\\tB\\nC \\\\ D"\nauthors = ["Odd, A."]\nyear = 2020\n', encoding="utf-8"
    )
    r = exo("studies", "--data", str(tmp_path), "--year", "2020", "odd", "-o", "tsv", "--fields", "key,title")
    assert r.code == 0, r
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and lines[1].count("\t") == 1, r.stdout
    assert lines[1].split("\t")[0] == "Odd2020" and "\n" not in lines[1].split("\t")[1]


def test_markdown_table():
    out = exo("companies", "--area", "diagnostics", "-o", "markdown").stdout.splitlines()
    assert out[0].startswith("| key | name |") and out[1].startswith("|---")


def test_fields_pick_and_unknown_field_lists_valid_ones():
    out = exo("studies", "--disease", "gvhd", "--json", "--fields", "key,doi").stdout
    assert all(set(o) == {"key", "doi"} for o in json.loads(out))
    r = exo("studies", "--fields", "key,colour")
    assert r.code == 2 and "unknown field: 'colour'" in r.stderr and "doi" in r.stderr


def test_unknown_format():
    r = exo("studies", "-o", "yaml")
    assert r.code == 2 and "unknown format 'yaml'" in r.stderr and "jsonl" in r.stderr


def test_keys_pipe_into_cite():
    ks = exo("studies", "--disease", "gvhd", "-o", "keys").stdout
    r = exo("cite", "-", "--format", "bibtex", input=ks)
    assert r.code == 0, r
    assert r.stdout.count("@article{") == 4


# -- other listings ------------------------------------------------------------------


def test_companies_by_area():
    objs = json.loads(exo("companies", "--area", "diagnostics", "--json").stdout)
    assert {"exosome-diagnostics", "biocept"} <= {o["key"] for o in objs}
    assert all("diagnostics" in o["areas"] for o in objs)
    r = exo("companies", "--area", "astrology")
    assert r.code == 1 and "no area matches" in r.stderr


def test_diseases_sources_terms_topics():
    assert len(json.loads(exo("diseases", "--json").stdout)) == 46
    cancer = json.loads(exo("diseases", "--category", "cancer", "--json").stdout)
    assert cancer and all(d["category"] == "cancer" for d in cancer)
    msc = json.loads(exo("sources", "--msc", "--json").stdout)
    assert msc and all(s["msc"] for s in msc)
    assert len(json.loads(exo("terms", "--glossary", "--json").stdout)) == 31
    topics = json.loads(exo("topics", "--json").stdout)
    assert [t["order"] for t in topics] == sorted(t["order"] for t in topics)


# -- show ----------------------------------------------------------------------------


def test_show_any_case_and_links():
    d = json.loads(exo("show", "bruno2009", "--json").stdout)
    assert d["key"] == "Bruno2009"
    assert d["url"] == "https://doi.org/10.1681/asn.2008070798"
    assert "brief-description" in d["links"]["cited_in"]
    g = json.loads(exo("show", "GVHD", "--json").stdout)
    assert g["type"] == "disease"
    assert set(g["links"]["studies"]) >= {"Kordelas2014", "Fujii2018"}
    assert g["evidence_summary"]["studies"] == len(g["links"]["studies"])
    t = json.loads(exo("show", "term:gvhd", "--json").stdout)
    assert t["type"] == "term" and t["disease"] == "gvhd"


def test_show_unknown_key_suggests():
    r = exo("show", "Brunno2009")
    assert r.code == 1
    assert r.stdout == ""
    assert "did you mean Bruno2009?" in r.stderr


def test_show_plain_is_field_tab_value():
    out = exo("show", "bmsc").stdout.splitlines()
    assert out[0] == "type\tsource" and out[1] == "key\tbmsc"
    assert any(line.startswith("evidence summary\t") for line in out)


def test_markup_in_data_is_literal(tmp_path, monkeypatch):
    (tmp_path / "studies.toml").write_text(
        '[Evil2020]\ntitle = "Tregs [i] and [/i] CD4 [bold red]x[/]"\nauthors = ["Evil, E."]\nyear = 2020\n', "utf-8"
    )
    monkeypatch.setenv("EXO_DATA_PATH", str(tmp_path))
    for fmt in ("table", "plain", "json", "csv", "markdown"):
        out = exo("show", "Evil2020", "-o", fmt).stdout
        assert "[i] and [/i] CD4 [bold red]x[/]" in out, (fmt, out)
        out = exo("studies", "Tregs", "-o", fmt).stdout
        assert "[i] and [/i] CD4 [bold red]x[/]" in out, (fmt, out)


def test_shell_completion_completes_keys(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "_EXO_COMPLETE": "complete_bash", "COMP_WORDS": "exo cite Chen", "COMP_CWORD": "2", "EXO_CACHE_DIR": str(tmp_path)}
    r = subprocess.run([sys.executable, "-m", "exocli"], env=env, capture_output=True, text=True)
    assert r.stdout.split() == ["Chen2019a", "Chen2019b"], r
    env["COMP_WORDS"] = "exo show Kordel"
    r = subprocess.run([sys.executable, "-m", "exocli"], env=env, capture_output=True, text=True)
    assert r.stdout.split() == ["Kordelas2014"]


def test_repeated_year_is_or():
    both = set(keys(exo("studies", "--year", "2018", "--year", "2019", "-o", "keys")))
    assert both == set(keys(exo("studies", "--year", "2018..2019", "-o", "keys"))) and len(both) == 73


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_every_help_example_runs(command, tmp_path):
    import os
    import re
    import subprocess
    import sys

    text = exo(*([command] if command else []), "--help").stdout
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
    assert must_include <= set(keys(r))
    if note:
        assert note in r.stderr


def test_type_ii_diabetes_is_type_2_only():
    assert set(keys(exo("studies", "--disease", "type II diabetes", "-o", "keys"))) == {"Sun2018", "Zhuang2019"}


@pytest.mark.parametrize("value, expected", [("cardiac", "cardiovascular"), ("musculo", "musculoskeletal"), ("oncology", "cancer")])
def test_category_words(value, expected):
    objs = json.loads(exo("diseases", "--category", value, "--json").stdout)
    assert objs and {o["category"] for o in objs} == {expected}


def test_empty_results_keep_their_machine_shape():
    r = exo("studies", "--year", "2030", "--json")
    assert r.code == 1 and json.loads(r.stdout) == [] and "no studies match" in r.stderr
    r = exo("studies", "--year", "2030", "-o", "csv", "--fields", "key,doi")
    assert r.code == 1 and r.stdout == "key,doi\n"
    assert exo("studies", "--year", "2030").stdout == ""


def test_search_fields_do_not_depend_on_what_is_found():
    r = exo("search", "gvhd", "-n", "2", "--fields", "key,title")
    assert r.code == 0, r
    assert exo("search", "gvhd", "--fields", "key,colour").code == 2


def test_fields_repeat_and_ignore_case():
    r = exo("studies", "-n", "1", "--fields", "key", "--fields", "Year")
    assert r.stdout == "Arasu2017\t2017\n"


def test_cite_takes_keys_as_people_paste_them():
    r = exo("cite", "Bruno2009,Kalluri2020", "@Zhao2018", "--style", "intext")
    assert r.stdout == "(Bruno et al., 2009; Kalluri and LeBleu, 2020; Zhao, 2018)\n"
    r = exo("cite", "-", "--style", "intext", input="\ufeffBruno2009\n")
    assert r.code == 0 and r.stdout == "(Bruno et al., 2009)\n"
    assert exo("cite", "Bruno2009", "--style", "nlm").stdout == exo("cite", "Bruno2009", "--style", "vancouver").stdout


def test_search_finds_an_in_text_citation():
    assert json.loads(exo("search", "Bruno et al., 2009", "--json").stdout)[0]["key"] == "Bruno2009"


def test_table_cut_short_by_head_exits_quietly(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "EXO_CACHE_DIR": str(tmp_path), "PY": sys.executable}
    for cmd in ("map -o table", "studies -o table", "stats -o table", "show gvhd -o table"):
        r = subprocess.run(["bash", "-c", f'"$PY" -m exocli {cmd} | head -1; exit ${{PIPESTATUS[0]}}'], env=env, capture_output=True, text=True)
        assert r.returncode == 0, (cmd, r.stderr)
        assert "Traceback" not in r.stderr


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
    r = exo("studies", "--disease", "gvhd", "--year", "2014..2018", "-o", "keys")
    assert r.code == 0, r
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
    r = exo(command, "--help")
    assert r.code == 0, r
    lines = r.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("-") and option in line)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("-")), len(lines))
    text = " ".join(line.strip() for line in lines[start:end])
    for m in members:
        assert m in text, (option, m, text)


@pytest.mark.parametrize("fmt", ["tsv", "markdown", "csv"])
def test_a_value_reads_the_same_in_a_listing_and_in_show(tmp_path, fmt):
    """One writer per format: `studies` and `show` escape a value alike."""
    (tmp_path / "studies.toml").write_text(
        '[Odd2020]\ntitle = "A | B \\\\ C\\tD"\nauthors = ["Odd, A."]\nyear = 2020\n', encoding="utf-8"
    )
    listing = exo("studies", "--data", str(tmp_path), "odd", "--year", "2020", "-o", fmt, "--fields", "key,title")
    shown = exo("show", "Odd2020", "--data", str(tmp_path), "-o", fmt)
    assert listing.code == 0 and shown.code == 0, (listing, shown)
    title_line = next(line for line in shown.stdout.splitlines() if "title" in line)
    cell = listing.stdout.splitlines()[-1]
    if fmt == "tsv":
        assert cell.split("\t")[1] == title_line.split("\t")[1], (cell, title_line)
    elif fmt == "markdown":
        assert cell.split(" | ", 1)[1].rstrip(" |") == title_line.split(" | ", 1)[1].rstrip(" |"), (cell, title_line)
    else:
        import csv
        import io

        assert list(csv.reader(io.StringIO(cell)))[0][1] == list(csv.reader(io.StringIO(title_line)))[0][1]



def _options(command: str) -> dict[str, str]:
    """Each option of a command's help (by its first name) with its help, on one line."""
    r = exo(command, "--help")
    assert r.code == 0, r
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
