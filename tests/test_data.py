"""The knowledge base itself: counts, identifiers and cross-references."""

from __future__ import annotations

import re
try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib
import unicodedata

import pytest

from exocli import model
from exocli.loader import parse_dirs

from conftest import data_dir


@pytest.fixture(scope="module")
def records():
    recs, _ = parse_dirs([data_dir()])
    by: dict[str, dict[str, dict]] = {}
    for r in recs:
        by.setdefault(r["type"], {})[r["key"]] = r
    return by


def test_counts(records):
    assert len(records["study"]) == 114
    assert len(records["company"]) == 26
    assert sum(1 for t in records["term"].values() if t.get("glossary")) == 31
    assert list(records["review"]) == ["Wei2021"]


def test_every_file_is_valid_toml_in_utf8():
    for name in model.DATA_FILES:
        path = data_dir() / name
        tomllib.loads(path.read_bytes().decode("utf-8"))


def test_dois_unique_well_formed_and_unbroken(records):
    dois = [s["doi"] for s in records["study"].values() if "doi" in s]
    assert len(dois) == 113  # one reference (Zhao2019) prints no DOI
    assert "doi" not in records["study"]["Zhao2019"]
    assert len({d.lower() for d in dois}) == len(dois)
    for d in dois:
        assert re.fullmatch(r"10\.\d{4,9}/\S+", d), d
        assert not re.search(r"\s", d), d


def test_page_ranges_unbroken(records):
    no_pages = sorted(k for k, s in records["study"].items() if "pages" not in s)
    assert no_pages == ["Gurunathan2019", "Kalluri2020", "Li2019"]
    for k, s in records["study"].items():
        if "pages" in s:
            assert not re.search(r"\s", s["pages"]), (k, s["pages"])
            assert re.fullmatch(r"[e]?\d+(–[e]?\d+)?", s["pages"]), (k, s["pages"])


def test_titles_have_no_line_break_artefacts(records):
    for k, s in records["study"].items():
        t = s["title"]
        assert "  " not in t and "/ " not in t and "*" not in t, (k, t)
        for glued in ("Desktopstereolithography", "LPSpreconditioned", "HucMSCexosome", "cellderived", "Spiondecorated"):
            assert glued not in t, (k, t)


def test_corrected_dois_record_the_printed_form(records):
    noted = {k: s["doi_note"] for k, s in records["study"].items() if "doi_note" in s}
    assert set(noted) == {"Huang2017", "Gils2017"}
    assert records["study"]["Huang2017"]["doi"] == "10.3389/fimmu.2017.00068"
    assert "fmmu.2017.00068" in noted["Huang2017"]
    assert "000000000000385" in noted["Gils2017"]


def _key_stem(surname: str) -> str:
    text = unicodedata.normalize("NFKD", surname)
    return "".join(ch for ch in text if ch.isalpha() and ch.isascii())


def test_keys_follow_the_rule(records):
    for key, s in records["study"].items():
        stem = _key_stem(s["authors"][0].split(",")[0])
        assert re.fullmatch(re.escape(stem) + str(s["year"]) + "[a-c]?", key), key
    for expected in ("Bruno2009", "Chen2019a", "Zhao2018", "deAraujoFarias2018", "OBrien2018", "LaGreca2018"):
        assert expected in records["study"]


def test_suffixes_come_in_complete_runs(records):
    groups: dict[str, list[str]] = {}
    for key in records["study"]:
        m = re.fullmatch(r"(.*\d{4})([a-c]?)", key)
        groups.setdefault(m.group(1), []).append(m.group(2))
    for stem, sufs in groups.items():
        if any(sufs) and len(sufs) > 1:
            present = sorted(s for s in sufs if s)
            assert present == ["a", "b", "c"][: len(present)], (stem, sufs)


def test_et_al_means_six_printed_authors(records):
    for k, s in records["study"].items():
        if s.get("et_al"):
            assert len(s["authors"]) == 6, k
        for a in s["authors"]:
            assert ", " in a, (k, a)


def test_every_tag_resolves(records):
    for et in model.ENTITY_TYPES:
        for key, r in records.get(et.name, {}).items():
            for f in et.fields:
                if f.link and f.name in r:
                    values = r[f.name] if isinstance(r[f.name], list) else [r[f.name]]
                    for v in values:
                        assert v in records[f.link], (et.name, key, f.name, v)


def test_every_study_is_annotated(records):
    for k, s in records["study"].items():
        assert s.get("topics"), k
        assert s.get("note"), k
        assert len(s["note"]) < 400, k
    # Evidence and kind only where the review or the title states them
    # (tests/test_annotations.py checks the basis of each).
    rated = [s for s in records["study"].values() if "evidence" in s]
    assert len(rated) == 70
    assert sum("kind" in s for s in records["study"].values()) == 112


def test_every_disease_has_category_and_a_study(records):
    tagged = {d for s in records["study"].values() for d in s.get("diseases", [])}
    for key, d in records["disease"].items():
        assert d["category"] in {c.value for c in model.Category}
        assert key in tagged, key


def test_disease_abbreviations(records):
    aliases = {a for d in records["disease"].values() for a in d.get("aliases", [])}
    for abbr in ("GVHD", "T1DM", "T2DM", "MI", "AD", "OA", "EAE"):
        assert abbr in aliases, abbr


def test_every_company_has_an_area_and_named_products(records):
    # Table 1 gives Molecuvax only "Cancer", and ExananoRNA only the move of RNA
    # nanotechnology from the laboratory to clinical use: no area.
    assert [k for k, c in records["company"].items() if not c.get("areas")] == ["exananorna", "molecuvax"]
    products = {p for c in records["company"].values() for p in c.get("products", [])}
    for p in ("ExoDX Lung (ALK)", "AB126", "CAP-2003", "CF-MEV-117", "ASCE+", "EXOMAGE", "Celltweet"):
        assert p in products, p


def test_sources_cover_every_msc_tissue(records):
    tissues = " ".join(s.get("tissue", "") for s in records["source"].values() if s.get("msc"))
    for t in ("bone marrow", "fat", "umbilical cord", "cord blood", "placenta", "fetal lung", "amniotic membrane", "gingiva", "dental pulp"):
        assert t in tissues, t
    abbrs = {s.get("abbreviation") for s in records["source"].values()}
    for a in ("BMSC", "AMSC", "UMSC", "CMSC", "PMSC", "GMSC", "DPSC", "ESC", "NSC", "CDC"):
        assert a in abbrs, a


def test_glossary_links_and_body_terms(records):
    terms = {t["abbreviation"]: t for t in records["term"].values()}
    assert terms["GVHD"]["disease"] == "gvhd"
    assert terms["BMSC"]["source"] == "bmsc"
    for abbr in ("ISEV", "SOCRATES", "ISBT", "GMP", "EMT", "ECM", "GelMA"):
        assert abbr in terms, abbr


def test_review_record_and_sections(records):
    r = records["review"]["Wei2021"]
    assert r["doi"] == "10.3389/fphar.2020.590470"
    assert r["journal"] == "Front. Pharmacol." and r["volume"] == "11" and r["article"] == "590470"
    assert r["year"] == 2021 and len(r["authors"]) == 7
    topics = records["topic"]
    assert len(topics) == 27
    for key in ("introduction", "immunoregulation", "tumor-therapy", "cosmetics", "conclusion"):
        assert key in topics
    orders = [t["order"] for t in topics.values()]
    assert sorted(orders) == list(range(1, 28))
