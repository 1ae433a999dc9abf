"""`exo cite`: every style and format, checked against the review and real parsers.

The review style is compared with the reference list of the review itself
(the seed text), after exactly the repairs documented in the issue; the
machine formats are read back by independent consumers (bibtexparser 2 and
pybtex for BibTeX, rispy for RIS, citeproc-py for CSL-JSON) and compared field
by field with the data. A handful of entries are kept as golden files in
tests/golden/cite/ (regenerate with EXO_REGEN_GOLDEN=1 and review the diff).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, exo, seed_path
from helpers import ok, ok_json
from exocli import cite as citing
from exocli.catalog import load
from exocli.errors import NotFound, UsageError

GOLDEN = Path(__file__).parent / "golden" / "cite"
CSL_STYLE = Path(__file__).parent / "data" / "csl" / "exo-test.csl"
REGEN = os.environ.get("EXO_REGEN_GOLDEN") == "1"
GOLDEN_KEYS = [
    "Bruno2009", "Kalluri2020", "Zhao2018", "Chen2019a", "deAraujoFarias2018",
    "OBrien2018", "Zhao2019", "Wei2021", "Gils2017", "Brittain2019",
]
REVIEW_KEY = "Wei2021"


# ---------------------------------------------------------------------------
# The review's reference list, repaired exactly as documented

SEED = seed_path()

# Titles that lost their hyphen (or gained a space) at a line break in the seed.
HYPHEN_REPAIRS = {
    "Desktopstereolithography": "Desktop-stereolithography",
    "matrix/ mesenchymal": "matrix/mesenchymal",
    "LPSpreconditioned": "LPS-preconditioned",
    "HucMSCexosome": "HucMSC-exosome",
    "stem cellderived": "stem cell-derived",
    "Spiondecorated": "Spion-decorated",
}
# DOIs misprinted in the review and corrected in the data, with a doi_note
# recording the printed form: key -> (printed, corrected).
DOI_MISPRINTS = {
    "Huang2017": ("10.3389/fmmu.2017.00068", "10.3389/fimmu.2017.00068"),
    "Gils2017": ("10.1097/FTD.000000000000385", "10.1097/FTD.0000000000000385"),
}
# Entries whose text continues on a later line of the seed (after a page of body text).
CONTINUED = {"Bier2018": 246, "Fujii2018": 271}


def _seed_key(entry: str) -> str:
    surname = entry.split(",", 1)[0]
    m = re.search(r"\((\d{4}[a-z]?)\)\.", entry)
    assert m, entry
    return re.sub(r"[^A-Za-z]", "", surname) + m.group(1)


def read_seed_references(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The reference list of the review: key -> repaired entry, and key -> entry as printed."""
    lines = path.read_text("utf-8").splitlines()
    start = lines.index("REFERENCES")
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("Conflict of Interest"))
    raw: list[list] = []  # [text, line number of its first line, continuation line]
    for i in range(start + 1, end):
        line = lines[i]
        if line.startswith("- "):
            raw.append([line[2:], i + 1, None])
        elif line.startswith(" ") and line.strip() and raw:
            raw[-1][0] += line  # Ratajczak: continues on the next line
    complete = re.compile(r"(doi:.*|\d)$")
    for entry in raw:
        if complete.search(entry[0]):
            continue
        # Cut by a page of body text: the entry goes on at the first later
        # line that starts in lower case.
        for j in range(entry[1], end):
            if lines[j][:1].islower():
                entry[0] += " " + lines[j].strip()
                entry[2] = j + 1
                break
    printed, repaired = {}, {}
    for text, _line, cont in raw:
        key = _seed_key(text)
        assert key not in printed, f"two entries for {key}"
        if cont is not None:
            assert CONTINUED.get(key) == cont, (key, cont)
        printed[key] = text
        text = re.sub(r"\*([^*]+)\*", r"\1", text)  # italics
        assert "*" not in text, text
        for broken, fixed in HYPHEN_REPAIRS.items():
            text = text.replace(broken, fixed)
        head, sep, doi = text.partition(" doi:")
        if sep:
            doi = doi.replace(" ", "")  # line breaks inside DOIs
            if key in DOI_MISPRINTS:
                bad, good = DOI_MISPRINTS[key]
                assert doi == bad, (key, doi)
                doi = good
            text = head + sep + doi
        repaired[key] = text
    assert set(CONTINUED) <= set(printed)
    return repaired, printed


SEED_REFS, SEED_PRINTED = read_seed_references(SEED)


@pytest.fixture(scope="module")
def cat():
    return load(use_cache=False, env={})


@pytest.fixture(scope="module")
def citable(cat) -> list[dict]:
    """Every study, then the review: the order of `exo cite --all`."""
    return [cat.record(i) for i in cat.ids("study")] + [cat.record(i) for i in cat.ids("review")]


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory) -> dict:
    """Environment for CLI runs made by module-scoped fixtures."""
    return {"EXO_CACHE_DIR": str(tmp_path_factory.mktemp("cache")), "EXO_DATA_PATH": ""}


@pytest.fixture(scope="module")
def review_lines(citable, cli_env) -> dict[str, str]:
    """`exo cite --all --style review`, run once, by key."""
    r = ok("cite", "--all", "--style", "review", env=cli_env)
    keys = [rec["key"] for rec in citable]
    lines = r.stdout.splitlines()
    assert r.stdout.endswith("\n")
    assert len(lines) == len(keys) == 115
    return dict(zip(keys, lines))


def test_seed_reference_list_is_read_whole(cat):
    assert len(SEED_REFS) == 114
    assert set(SEED_REFS) == {cat.keys[i] for i in cat.ids("study")}
    for broken in HYPHEN_REPAIRS:
        assert sum(broken in t for t in SEED_PRINTED.values()) == 1, broken
    for key, (bad, _good) in DOI_MISPRINTS.items():
        note = cat.get(key)["doi_note"]
        # The note quotes the DOI as printed (with its line-break space).
        assert bad.replace(" ", "") in note.replace(" ", ""), note
        assert re.sub(r"\s", "", SEED_PRINTED[key]).endswith(re.sub(r"\s", "", bad))


@pytest.mark.parametrize("key", sorted(SEED_REFS) or ["-"])
def test_review_style_reproduces_the_printed_entry(key, review_lines):
    assert review_lines[key] == SEED_REFS[key]


def test_intext_citations_are_the_ones_the_review_uses(citable):
    """Every in-text citation we print occurs in the review's own text."""
    lines = SEED.read_text("utf-8").splitlines()
    start = lines.index("REFERENCES")
    # Drop the reference entries (body text runs on across them at page breaks).
    body = " ".join(x for i, x in enumerate(lines) if not (i >= start and (x.startswith("- ") or x == "REFERENCES")))
    body = re.sub(r"\s+", " ", body)
    studies = [r for r in citable if r["type"] == "study"]
    missing = [
        (r["key"], citing.format_style(r, "intext"))
        for r in studies
        if citing.format_style(r, "intext") not in body
    ]
    assert missing == []


# ---------------------------------------------------------------------------
# Text styles


def test_intext_shapes():
    """Several keys give one parenthetical, in order, as the review cites."""
    r = ok("cite", "Bruno2009", "Kalluri2020", "Zhao2018", "Chen2019a", "deAraujoFarias2018", "OBrien2018",
           "--style", "intext")
    assert r.stdout == (
        "(Bruno et al., 2009; Kalluri and LeBleu, 2020; Zhao, 2018; Chen et al., 2019a; "
        "de Araujo Farias et al., 2018; O'Brien et al., 2018)\n"
    )
    r = exo("cite", "Bruno2009", "Kordelas2014", "--style", "intext")
    assert (r.code, r.stdout, r.stderr) == (0, "(Bruno et al., 2009; Kordelas et al., 2014)\n", "")


def test_a_parenthetical_of_two_keys_is_one_the_review_prints():
    body = re.sub(r"\s+", " ", SEED.read_text("utf-8"))
    r = ok("cite", "Kordelas2014", "Fujii2018", "Lai2018", "--style", "intext")
    assert r.stdout.startswith("(Kordelas et al., 2014; ") and r.stdout.strip() in body, r


def test_narrative_names_the_authors_in_a_sentence():
    r = exo("cite", "Bruno2009", "Kalluri2020", "Chen2019a", "Zhao2018", "--narrative")
    assert (r.code, r.stderr) == (0, ""), r
    assert r.stdout == "Bruno et al. (2009)\nKalluri and LeBleu (2020)\nChen et al. (2019a)\nZhao (2018)\n"
    assert ok("cite", "Bruno2009", "--style", "intext", "--narrative").stdout == "Bruno et al. (2009)\n"
    for other in (["--style", "apa"], ["--format", "bibtex"]):
        r = exo("cite", "Bruno2009", "--narrative", *other)
        assert (r.code, r.stdout) == (2, ""), r
        assert "--narrative" in r.stderr


def test_review_style_of_the_review_itself():
    r = ok("cite", "wei2021")
    assert r.stdout == (
        "Wei, W., Ao, Q., Wang, X., Cao, Y., Liu, Y., Zheng, S. G., et al. (2021). Mesenchymal Stem "
        "Cell–Derived Exosomes: A Promising Biological Tool in Nanomedicine. Front. Pharmacol. 11, "
        "590470. doi:10.3389/fphar.2020.590470\n"
    )


def test_apa_oncogene_has_no_doubled_punctuation():
    r = ok("cite", "OBrien2018", "--style", "apa")
    assert r.stdout == (
        "O'Brien, K. P., Khan, S., Gilligan, K. E., Zafar, H., Lalor, P., Glynn, C., et al. (2018). "
        "Employing mesenchymal stem cells to support tumor-targeted delivery of extracellular vesicle "
        "(EV)-encapsulated microRNA-379. Oncogene, 37(16), 2137–2149. "
        "https://doi.org/10.1038/s41388-017-0116-9\n"
    )


def test_apa_sentence_cases_every_title(citable):
    r = ok("cite", "Wei2021", "--style", "apa")
    assert "(2021). Mesenchymal stem cell–derived exosomes: A promising biological tool in nanomedicine. " in r.stdout
    title_case = re.compile(r"\b[A-Z][a-z]{3,} [A-Z][a-z]{3,} [A-Z][a-z]{3,}\b")
    for rec in citable:
        apa = citing.format_style(rec, "apa")
        title = citing.sentence_case(rec["title"])
        assert title in apa, rec["key"]
        assert not title_case.search(title), (rec["key"], title)
        # names and acronyms the review prints keep their capitals
        for word in re.findall(r"\b\w*[A-Z]\w*[A-Z0-9]\w*\b", rec["title"]):
            assert word in title, (rec["key"], word)
    assert citing.sentence_case("Exosomes: versatile nano mediators") == "Exosomes: Versatile nano mediators"
    assert citing.sentence_case("Stem cell derived exosomes: microRNA therapy") == "Stem cell derived exosomes: microRNA therapy"
    assert citing.sentence_case("Nanomedicine in China") == "Nanomedicine in China"


def test_vancouver_and_harvard_shapes():
    r = ok("cite", "Bruno2009", "Kalluri2020", "--style", "vancouver")
    assert r.stdout == (
        "Bruno S, Grange C, Deregibus MC, Calogero RA, Saviozzi S, Collino F, et al. Mesenchymal stem "
        "cell-derived microvesicles protect against acute tubular injury. J Am Soc Nephrol. "
        "2009;20(5):1053-67. doi:10.1681/asn.2008070798\n"
        "Kalluri R, LeBleu VS. The biology, function, and biomedical applications of exosomes. "
        "Science. 2020;367(6478). doi:10.1126/science.aau6977\n"
    )
    r = ok("cite", "Kalluri2020", "--style", "harvard")
    assert r.stdout == (
        "Kalluri, R. and LeBleu, V.S. (2020) 'The biology, function, and biomedical applications of "
        "exosomes', Science, 367(6478). doi:10.1126/science.aau6977.\n"
    )


@pytest.mark.parametrize(
    "style, marker",
    [("review", ", et al. ("), ("apa", ", et al. ("), ("vancouver", ", et al. "), ("harvard", " et al. (")],
)
def test_truncated_author_lists_say_et_al_in_every_style(style, marker, citable):
    assert any(rec.get("et_al") for rec in citable) and any(len(rec["authors"]) <= 6 and not rec.get("et_al") for rec in citable)
    for rec in citable:
        line = citing.format_style(rec, style)
        if rec.get("et_al"):
            assert marker in line, line
            # the six printed authors are all there
            for a in rec["authors"]:
                assert parse_family(a) in line
        elif len(rec["authors"]) <= 6:
            assert "et al" not in line, line


def parse_family(author: str) -> str:
    return author.split(",")[0]


def test_styles_never_double_punctuation(citable):
    for rec in citable:
        for st in citing.Style:
            line = citing.format_style(rec, st)
            assert ".." not in line.replace("...", ""), (st, line)
            assert ". ," not in line and ",," not in line and ".;" not in line, (st, line)
        apa = citing.format_style(rec, "apa")
        assert f"{citing.bare_journal(rec['journal'])}, {rec['volume']}" in apa


@pytest.mark.parametrize(
    "printed, bare",
    [
        ("Oncogene.", "Oncogene"),
        ("Theranostics", "Theranostics"),
        ("Theranostics.", "Theranostics"),
        ("J. Extracell. Vesicles.", "J. Extracell. Vesicles"),
        ("J. Contr. Release.", "J. Contr. Release"),
        ("Stem Cell Reports.", "Stem Cell Reports"),
        ("J. Am. Soc. Nephrol.", "J. Am. Soc. Nephrol."),
        ("Faseb. J.", "Faseb. J."),
        ("Cell Transplant.", "Cell Transplant."),
        ("  Small. ", "Small"),
    ],
)
def test_bare_journal(printed, bare):
    assert citing.bare_journal(printed) == bare


def test_year_suffix_comes_from_the_key(cat):
    assert citing.year_label(cat.get("Chen2019a")) == "2019a"
    assert citing.year_label(cat.get("Zhao2018b")) == "2018b"
    assert citing.year_label(cat.get("Zhao2018")) == "2018"
    assert citing.year_label({"key": "Odd2019x", "year": 2020}) == "2020"


def test_every_style_and_format_member_works_through_the_cli():
    for st in citing.Style:
        r = ok("cite", "--all", "--style", st.value)
        lines = r.stdout.splitlines()
        if st is citing.Style.INTEXT:
            # one parenthetical citing all 115
            assert len(lines) == 1 and lines[0].startswith("(") and lines[0].count("; ") == 114
        else:
            assert len(lines) == 115 and all(lines), st
    counts = {
        citing.CiteFormat.TEXT: lambda t: len(t.splitlines()),
        citing.CiteFormat.BIBTEX: lambda t: t.count("@article{"),
        citing.CiteFormat.RIS: lambda t: t.count("TY  - JOUR"),
        citing.CiteFormat.CSL_JSON: lambda t: len(json.loads(t)),
    }
    assert set(counts) == set(citing.CiteFormat)
    for ft in citing.CiteFormat:
        r = ok("cite", "--all", "--format", ft.value)
        assert r.stdout.endswith("\n")
        assert counts[ft](r.stdout) == 115, ft
    # the formatter table covers the enum
    assert set(citing._STYLES) == set(citing.Style)


def test_styles_and_formats_are_case_insensitive_and_enums_accepted(cat):
    a = citing.cite(cat, ["Bruno2009"], style="APA", fmt="TEXT")
    b = citing.cite(cat, ["Bruno2009"], style=citing.Style.APA, fmt=citing.CiteFormat.TEXT)
    assert a == b and a.endswith("\n")


# ---------------------------------------------------------------------------
# Keys, errors and input


def test_unknown_keys_are_all_named_with_suggestions():
    r = exo("cite", "Brunno2009", "Bruno2009", "Kaluri2020")
    assert r.code == 1, r
    # The known key is cited; each unknown one is named with the closest keys.
    assert r.stdout == ok("cite", "Bruno2009").stdout and "Bruno, S." in r.stdout, r
    lines = r.stderr.splitlines()
    assert lines[0] == "Error: no study key matches 'Brunno2009'" and "Bruno2009" in lines[1]
    assert lines[2] == "Error: no study key matches 'Kaluri2020'" and "Kalluri2020" in lines[3]
    assert "Traceback" not in r.stderr


def test_known_keys_are_cited_when_some_are_unknown():
    r = exo("cite", "-", input="Bruno2009 Nope2000 Kordelas2014\n")
    assert r.code == 1, r
    assert r.stdout == ok("cite", "Bruno2009", "Kordelas2014").stdout
    assert r.stdout.count("\n") == 2
    assert "'Nope2000'" in r.stderr and "Bruno2009" not in r.stderr
    assert "exo search" in r.stderr  # no close key: how to find one
    r = exo("cite", "Bruno2009", "Nope2000", "--style", "intext")
    assert (r.code, r.stdout) == (1, "(Bruno et al., 2009)\n"), r
    assert "'Nope2000'" in r.stderr, r
    r = exo("cite", "Bruno2009", "Nope2000", "--format", "bibtex")
    assert r.code == 1 and r.stdout.count("@article{") == 1, r
    assert "'Nope2000'" in r.stderr, r


def test_one_unknown_key():
    r = exo("cite", "Brunno2009")
    assert r.code == 1, r
    assert r.stdout == ""
    assert "did you mean Bruno2009" in r.stderr


def test_unknown_keys_library(cat):
    with pytest.raises(NotFound) as e:
        citing.cite(cat, ["Nope1999", "Bruno2009", "Kaluri2020"])
    assert "Nope1999" in e.value.message and "Kaluri2020" in e.value.message
    assert "Kalluri2020" in e.value.suggestions


def test_a_record_that_is_not_a_study_is_a_usage_error():
    r = exo("cite", "gvhd")
    assert r.code == 2, r
    assert r.stdout == ""
    assert "is a disease, not a study" in r.stderr


@pytest.mark.parametrize("option, value", [("--style", "mla"), ("--format", "endnote")])
def test_unknown_style_or_format_lists_the_choices(option, value):
    r = exo("cite", "Bruno2009", option, value)
    assert r.code == 2, r
    assert r.stdout == ""
    assert value in r.stderr
    members = citing.Style if option == "--style" else citing.CiteFormat
    for m in members:
        assert m.value in r.stderr


def test_duplicates_cited_once_in_any_letter_case():
    r = ok("cite", "bruno2009", "Kalluri2020", "BRUNO2009", "Bruno2009", "--style", "intext")
    assert r.stdout == "(Bruno et al., 2009; Kalluri and LeBleu, 2020)\n"


def test_keys_from_stdin():
    r = ok("cite", "-", "--style", "intext", input="Bruno2009\nzhao2018\n\n")
    assert r.stdout == "(Bruno et al., 2009; Zhao, 2018)\n"


# ---------------------------------------------------------------------------
# BibTeX


def _bibtexparser_entries(text: str) -> list[dict]:
    import bibtexparser
    from bibtexparser.middlewares import RemoveEnclosingMiddleware

    library = bibtexparser.parse_string(text, parse_stack=[RemoveEnclosingMiddleware()])
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    return [{"ID": e.key, "ENTRYTYPE": e.entry_type, **{f.key: f.value for f in e.fields}} for e in library.entries]


def _bp_text(value: str) -> str:
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="text").latex_to_text(value).replace("\u00a0", " ")


def _pb_text(value: str) -> str:
    from pybtex.richtext import Text

    return Text.from_latex(value).render_as("text")


def _journal_matches(read: str, printed: str) -> bool:
    # Only the review's trailing punctuation period may be dropped.
    return read == printed or read + "." == printed


def _locator(rec: dict) -> str | None:
    return rec.get("pages") or rec.get("article")


@pytest.fixture(scope="module")
def bibtex_text(cli_env) -> str:
    r = ok("cite", "--all", "--format", "bibtex", env=cli_env)
    return r.stdout


def test_bibtex_read_back_by_bibtexparser(bibtex_text, citable):
    entries = {e["ID"]: e for e in _bibtexparser_entries(bibtex_text)}
    assert len(entries) == len(citable) == 115
    for rec in citable:
        e = entries[rec["key"]]
        assert e["ENTRYTYPE"] == "article"
        names = [_bp_text(a) for a in e["author"].split(" and ")]
        assert names == rec["authors"] + (["others"] if rec.get("et_al") else []), rec["key"]
        assert _bp_text(e["title"]) == rec["title"]
        assert _journal_matches(_bp_text(e["journal"]), rec["journal"])
        assert e["year"] == str(rec["year"])
        assert e.get("volume") == rec.get("volume")
        assert e.get("number") == rec.get("issue")
        loc = _locator(rec)
        assert (_bp_text(e["pages"]) if "pages" in e else None) == loc
        assert e.get("doi") == rec.get("doi")
        if rec.get("et_al") or rec.get("doi_note"):
            note = _bp_text(e["note"])
            if rec.get("et_al"):
                assert "et al." in note
            if rec.get("doi_note"):
                assert rec["doi_note"] in note
        else:
            assert "note" not in e
        if rec.get("keywords"):  # the review's own keywords
            assert [k.strip() for k in _bp_text(e["keywords"]).split(",")] == rec["keywords"]
        else:
            assert "keywords" not in e
        known = {"ID", "ENTRYTYPE", "author", "title", "journal", "year", "volume", "number", "pages", "doi", "note", "keywords"}
        assert set(e) <= known


@pytest.mark.slow
def test_bibtex_read_back_by_pybtex(bibtex_text, citable):
    from pybtex.database import parse_string

    db = parse_string(bibtex_text, "bibtex")
    assert list(db.entries) == [r["key"] for r in citable]
    for rec in citable:
        e = db.entries[rec["key"]]
        assert e.type == "article"
        got = []
        for p in e.persons["author"]:
            family = " ".join(_pb_text(x) for x in p.prelast_names + p.last_names)
            given = " ".join(_pb_text(x) for x in p.first_names + p.middle_names)
            got.append(f"{family}, {given}" if given else family)
        assert got == rec["authors"] + (["others"] if rec.get("et_al") else []), rec["key"]
        f = e.fields
        assert _pb_text(f["title"]) == rec["title"]
        assert _journal_matches(_pb_text(f["journal"]), rec["journal"])
        assert f["year"] == str(rec["year"])
        assert f.get("volume") == rec.get("volume")
        assert f.get("number") == rec.get("issue")
        assert (_pb_text(f["pages"]) if "pages" in f else None) == _locator(rec)
        assert f.get("doi") == rec.get("doi")


def test_bibtex_protects_capitals_and_acronyms(bibtex_text):
    kordelas = re.search(r"@article\{Kordelas2014,.*?\n\}", bibtex_text, re.S).group(0)
    assert "title   = {{MSC}-derived exosomes: a novel tool to treat therapy-refractory graft-versus-host disease}" in kordelas
    wei = re.search(r"@article\{Wei2021,.*?\n\}", bibtex_text, re.S).group(0)
    assert "{Cell}--{Derived}" in wei
    lai = re.search(r"@article\{Lai2018,.*?\n\}", bibtex_text, re.S).group(0)
    assert "{cGVHD}" in lai
    bruno = re.search(r"@article\{Bruno2009,.*?\n\}", bibtex_text, re.S).group(0)
    assert "title   = {Mesenchymal stem" in bruno  # the sentence-initial capital is not braced
    assert "pages   = {1053--1067}" in bruno
    assert "and others}" in bruno


SPECIAL_TOML = r'''
[Thery2099]
title = "Théry's α-TNF & 50% of $5 #1 snake_case {x} ~y ^z back\\slash: GVHD in MSC–derived cells"
authors = ["Théry, C.", "Ñúñez, J.-L.", "de la Rosa, O.", "Łukasz, Ø."]
et_al = true
year = 2099
journal = "Oncogene."
volume = "3"
issue = "2"
pages = "10–20"
doi = "10.1/a_b"
'''


@pytest.fixture
def special_dir(tmp_path) -> Path:
    d = tmp_path / "mine"
    d.mkdir()
    (d / "studies.toml").write_text(SPECIAL_TOML, "utf-8")
    return d


def test_bibtex_escapes_specials_accents_and_greek(special_dir):
    r = ok("cite", "Thery2099", "--format", "bibtex", "--data", str(special_dir))
    assert r.stdout == (
        "@article{Thery2099,\n"
        "  author  = {Th{\\'e}ry, C. and {\\~N}{\\'u}{\\~n}ez, J.-L. and de la Rosa, O. and {\\L}ukasz, {\\O}. and others},\n"
        "  title   = {Th{\\'e}ry's {$\\alpha$}-{TNF} \\& 50\\% of \\$5 \\#1 snake\\_case \\{x\\} \\textasciitilde{}y "
        "\\textasciicircum{}z back\\textbackslash{}slash: {GVHD} in {MSC}--derived cells},\n"
        "  journal = {Oncogene},\n"
        "  year    = {2099},\n"
        "  volume  = {3},\n"
        "  number  = {2},\n"
        "  pages   = {10--20},\n"
        "  doi     = {10.1/a_b},\n"
        "  note    = {Author list truncated: the review printed only the first 4 authors, then et al.},\n"
        "}\n"
    )
    from pybtex.database import parse_string

    e = parse_string(r.stdout, "bibtex").entries["Thery2099"]
    fams = [" ".join(_pb_text(x) for x in p.prelast_names + p.last_names) for p in e.persons["author"]]
    assert fams == ["Théry", "Ñúñez", "de la Rosa", "Łukasz", "others"]
    assert _pb_text(e.fields["title"]).startswith("Théry's α-TNF & 50% of ")
    assert len(_bibtexparser_entries(r.stdout)) == 1


def test_bibtex_utf8_keeps_unicode_but_still_escapes_specials(special_dir):
    r = ok("cite", "Thery2099", "--format", "bibtex", "--utf8", "--data", str(special_dir))
    assert "  author  = {Théry, C. and Ñúñez, J.-L. and de la Rosa, O. and Łukasz, Ø. and others},\n" in r.stdout
    assert "  title   = {Théry's α-{TNF} \\& 50\\% of \\$5 \\#1 snake\\_case \\{x\\}" in r.stdout
    assert "pages   = {10--20}" in r.stdout


def test_latex_escape_library():
    assert citing.latex_escape("a & b_c") == r"a \& b\_c"
    assert citing.latex_escape("β-catenin – Ω") == r"{$\beta$}-catenin -- {$\Omega$}"
    assert citing.latex_escape("β", latex=False) == "β"
    assert citing.latex_escape("Müller Çelik") == r'M{\"u}ller {\c{C}}elik'
    assert citing.bibtex_key("O'Brien 2018") == "O-Brien-2018"
    # accents round-trip through a real LaTeX decoder
    from pybtex.richtext import Text

    names = "Ramírez Çelik Dvořák Łódź Ångström Müller-Ørsted"
    assert Text.from_latex(citing.latex_escape(names)).render_as("text") == names
    assert citing.latex_escape(names).isascii()


# ---------------------------------------------------------------------------
# RIS


def test_ris_read_back_by_rispy(citable):
    import rispy

    r = ok("cite", "--all", "--format", "ris")
    entries = rispy.loads(r.stdout)
    assert [e["id"] for e in entries] == [rec["key"] for rec in citable]
    for rec, e in zip(citable, entries):
        assert e["type_of_reference"] == "JOUR"
        assert e["authors"] == rec["authors"]  # no invented authors
        assert e["title"] == rec["title"]
        assert _journal_matches(e["secondary_title"], rec["journal"])
        assert _journal_matches(e["alternate_title1"], rec["journal"])
        assert e["year"] == str(rec["year"])
        assert e.get("volume") == rec.get("volume")
        assert e.get("number") == rec.get("issue")
        first, _, last = (_locator(rec) or "").partition("–")
        assert e.get("start_page") == (first or None)
        assert e.get("end_page") == (last or None)
        assert e.get("doi") == rec.get("doi")
        notes = e.get("notes", [])
        assert any("truncated" in n for n in notes) == bool(rec.get("et_al"))
        assert any(rec["doi_note"] in n for n in notes) if rec.get("doi_note") else True


# ---------------------------------------------------------------------------
# CSL-JSON and CSL styles


def test_csl_json_matches_the_data_and_renders_with_citeproc(citable):
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON

    r = ok("cite", "--all", "--format", "csl-json")
    items = json.loads(r.stdout)
    assert [i["id"] for i in items] == [rec["key"] for rec in citable]
    for rec, item in zip(citable, items):
        assert item["type"] == "article-journal"
        assert item["title"] == rec["title"]
        assert [f"{a['family']}, {a['given']}" for a in item["author"]] == rec["authors"]
        assert item["issued"] == {"date-parts": [[rec["year"]]]}
        assert _journal_matches(item["container-title"], rec["journal"])
        assert item.get("volume") == rec.get("volume")
        assert item.get("issue") == rec.get("issue")
        assert item.get("page") == (_locator(rec).replace("–", "-") if _locator(rec) else None)
        assert item.get("DOI") == rec.get("doi")
        assert ("truncated" in item.get("note", "")) == bool(rec.get("et_al"))
    import warnings

    for style_file in (str(CSL_STYLE), "harvard-cite-them-right"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            style = CitationStylesStyle(style_file, validate=False)
            bib = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
            for item in items:
                bib.register(Citation([CitationItem(item["id"].lower())]))
            rendered = [str(x) for x in bib.bibliography()]
        assert len(rendered) == 115
        text = "\n".join(rendered)
        for rec in citable:
            assert rec["title"] in text
            if rec.get("doi"):
                assert rec["doi"] in text


def test_csl_option_renders_with_a_style_file():
    r = ok("cite", "Kalluri2020", "Zhao2019", "--csl", str(CSL_STYLE))
    assert r.stdout == (
        "Kalluri, R., and LeBleu, V. S. (2020). The biology, function, and biomedical applications of "
        "exosomes. Science, 367(6478). doi:10.1126/science.aau6977.\n"
        "Zhao, J., Chen, J., Huang, F., Wang, J., Su, W., Zhou, J., et al. (2019). Human gingiva "
        "tissue-derived MSC ameliorates immune-mediated bone marrow failure of aplastic anemia via "
        "suppression of Th1 and Th17 cells and enhancement of CD4+Foxp3+ regulatory T cells "
        "differentiation. Am. J. Transl. Res., 11(12), 7627–7643.\n"
    )


def test_csl_option_rejects_a_file_that_is_not_a_style(tmp_path):
    bad = tmp_path / "not-a-style.csl"
    bad.write_text("<html><body>hello</body></html>", "utf-8")
    r = exo("cite", "Bruno2009", "--csl", str(bad))
    assert (r.code, r.stdout) == (2, ""), r
    assert "not a CSL style" in r.stderr
    garbage = tmp_path / "garbage.csl"
    garbage.write_text("this is { not xml", "utf-8")
    r = exo("cite", "Bruno2009", "--csl", str(garbage))
    assert (r.code, r.stdout) == (2, ""), r
    assert "not a CSL style" in r.stderr
    r = exo("cite", "Bruno2009", "--csl", str(tmp_path / "missing.csl"))
    assert (r.code, r.stdout) == (2, ""), r
    assert "no CSL style file" in r.stderr


def test_csl_option_conflicts():
    r = exo("cite", "Bruno2009", "--csl", str(CSL_STYLE), "--format", "bibtex")
    assert (r.code, r.stdout) == (2, "") and "--csl" in r.stderr, r
    r = exo("cite", "Bruno2009", "--csl", str(CSL_STYLE), "--style", "apa")
    assert (r.code, r.stdout) == (2, "") and "--csl" in r.stderr, r


def test_csl_without_citeproc_is_a_clear_usage_error(monkeypatch):
    # A None entry in sys.modules makes `import citeproc` raise ImportError.
    monkeypatch.setitem(sys.modules, "citeproc", None)
    monkeypatch.setitem(sys.modules, "citeproc.source.json", None)
    r = exo("cite", "Bruno2009", "--csl", str(CSL_STYLE))
    assert (r.code, r.stdout) == (2, ""), r
    assert "citeproc-py" in r.stderr and "exo-msc[csl]" in r.stderr
    cat = load(use_cache=False, env={})
    with pytest.raises(UsageError):
        citing.cite(cat, ["Bruno2009"], csl=CSL_STYLE)
    # the other formats do not need it
    assert citing.cite(cat, ["Bruno2009"], fmt="csl-json").startswith("[")


# ---------------------------------------------------------------------------
# Golden files


def _golden_outputs(key: str) -> dict[str, str]:
    outputs = {}
    for st in citing.Style:
        outputs[f"{key}.{st.value}.txt"] = ("--style", st.value)
    outputs[f"{key}.bib"] = ("--format", "bibtex")
    outputs[f"{key}.utf8.bib"] = ("--format", "bibtex", "--utf8")
    outputs[f"{key}.ris"] = ("--format", "ris")
    outputs[f"{key}.csl.json"] = ("--format", "csl-json")
    outputs[f"{key}.csl.txt"] = ("--csl", str(CSL_STYLE))
    result = {}
    for name, args in outputs.items():
        r = ok("cite", key, *args)
        result[name] = r.stdout
    return result


@pytest.mark.parametrize("key", GOLDEN_KEYS)
def test_golden(key):
    for name, text in _golden_outputs(key).items():
        path = GOLDEN / name
        if REGEN:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8", newline="\n")
            continue
        assert path.exists(), f"missing golden file {path}; run with EXO_REGEN_GOLDEN=1 and review the diff"
        assert text == path.read_text("utf-8"), f"{name} differs from its golden file"


# ---------------------------------------------------------------------------
# Import cost


def _in_subprocess(code: str) -> str:
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_cite_module_imports_nothing_heavy():
    out = _in_subprocess(
        "import sys, exocli.cite\n"
        "print(sorted(m for m in ('json', 'citeproc', 'lxml', 'bibtexparser', 'pybtex', 'rich', 'typer')"
        " if m in sys.modules))"
    )
    assert out == "[]"


def test_other_commands_do_not_import_cite():
    out = _in_subprocess(
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from exocli.cli import app\n"
        "CliRunner().invoke(app, ['--version'])\n"
        "CliRunner().invoke(app, ['search', 'gvhd', '--json'])\n"
        "print('exocli.cite' in sys.modules, 'citeproc' in sys.modules)"
    )
    assert out == "False False"
    src = ROOT / "src" / "exocli"
    for path in src.glob("*.py"):
        if path.name == "cite.py":
            continue
        for line in path.read_text("utf-8").splitlines():
            # only indented (function-level) imports of the citation code are allowed
            assert not re.match(r"(from \.|from exocli|import exocli).*\bcite\b", line), (path.name, line)


def test_csl_option_renders_everything_and_keeps_et_al(citable):
    r = ok("cite", "--all", "--csl", str(CSL_STYLE))
    lines = r.stdout.splitlines()
    assert len(lines) == 115
    for rec, line in zip(citable, lines):
        assert rec["title"] in line
        assert "placeholder" not in line.lower()
        assert ("et al." in line) == bool(rec.get("et_al")), line


MINIMAL_TOML = """
[Solo2030]
title = "A minimal record?"
authors = ["Solo, H."]
year = 2030

[Many2031]
title = "Eight authors and no flag"
authors = ["Aa, A.", "Bb, B.", "Cc, C.", "Dd, D.", "Ee, E.", "Ff, F.", "Gg, G.", "Hh, H."]
year = 2031
journal = "Nature."
"""


def test_records_with_only_the_required_fields(tmp_path):
    """A user's record may hold just title, authors and year; every style and format copes."""
    d = tmp_path / "mine"
    d.mkdir()
    (d / "studies.toml").write_text(MINIMAL_TOML, "utf-8")
    expected = {
        "review": "Solo, H. (2030). A minimal record?\n"
        "Aa, A., Bb, B., Cc, C., Dd, D., Ee, E., Ff, F., et al. (2031). Eight authors and no flag. Nature.\n",
        "apa": "Solo, H. (2030). A minimal record?\n"
        "Aa, A., Bb, B., Cc, C., Dd, D., Ee, E., Ff, F., Gg, G., & Hh, H. (2031). Eight authors and no flag. Nature.\n",
        "vancouver": "Solo H. A minimal record? 2030.\n"
        "Aa A, Bb B, Cc C, Dd D, Ee E, Ff F, et al. Eight authors and no flag. Nature. 2031.\n",
        "harvard": "Solo, H. (2030) 'A minimal record?'.\n"
        "Aa, A., Bb, B., Cc, C., Dd, D., Ee, E., Ff, F., Gg, G. and Hh, H. (2031) 'Eight authors and no flag', Nature.\n",
        "intext": "(Solo, 2030; Aa et al., 2031)\n",
    }
    assert set(expected) == {s.value for s in citing.Style}
    for style, text in expected.items():
        r = ok("cite", "Solo2030", "Many2031", "--style", style, "--data", str(d))
        assert r.stdout == text, style
    from pybtex.database import parse_string
    import rispy

    r = ok("cite", "Solo2030", "Many2031", "--format", "bibtex", "--data", str(d))
    assert list(parse_string(r.stdout, "bibtex").entries) == ["Solo2030", "Many2031"]
    r = ok("cite", "Solo2030", "Many2031", "--format", "ris", "--data", str(d))
    assert [e["authors"] for e in rispy.loads(r.stdout)] == [["Solo, H."], ["Aa, A.", "Bb, B.", "Cc, C.", "Dd, D.", "Ee, E.", "Ff, F.", "Gg, G.", "Hh, H."]]
    items = ok_json("cite", "Solo2030", "Many2031", "--format", "csl-json", "--data", str(d))
    assert [len(i["author"]) for i in items] == [1, 8]


def test_cite_help_names_every_style_and_format():
    r = ok("cite", "--help")
    help_text = " ".join(r.stdout.split())
    for m in [*citing.Style, *citing.CiteFormat]:
        assert m.value in help_text, m


def test_library_rejects_an_empty_key_list(cat):
    with pytest.raises(UsageError):
        citing.cite(cat, ["", "  "])
