"""The annotations of the knowledge base: each rests on words the review or a title prints.

These are the rules a machine can check: every evidence level and model
quotes its basis, and the quoted words are really there; every mechanism a
study's note names is tagged; the vocabulary keeps one meaning per word.
"""

from __future__ import annotations

import re

import pytest

from conftest import data_dir, exo, seed_path
from helpers import ok, ok_json
from exocli import model
from exocli.loader import parse_dirs

SEED = seed_path()
BASIS = re.compile(model.EVIDENCE_BASIS_PATTERN)


@pytest.fixture(scope="module")
def records() -> dict[str, dict[str, dict]]:
    recs, _ = parse_dirs([data_dir()])
    by: dict[str, dict[str, dict]] = {}
    for r in recs:
        by.setdefault(r["type"], {})[r["key"]] = r
    return by


@pytest.fixture(scope="module")
def studies(records) -> dict[str, dict]:
    return records["study"]


def review_body() -> str:
    """The review's text without its reference list, as one line (italics and line breaks undone)."""
    lines = SEED.read_text("utf-8").splitlines()
    start = lines.index("REFERENCES")
    body = " ".join(x for i, x in enumerate(lines) if not (i >= start and (x.startswith("- ") or x == "REFERENCES")))
    return re.sub(r"\s+", " ", body.replace("*", ""))


# ---------------------------------------------------------------------------
# Evidence and model


def test_the_schema_has_the_basis_field():
    f = model.STUDY.field("evidence_basis")
    assert f is not None and f.kind == "str" and f.pattern and f.form
    assert BASIS.fullmatch('title: "in APP/PS1 mice"')
    assert BASIS.fullmatch('review: "lung cancer cell line A549"; a cell line')
    for bad in ("title: in mice", 'abstract: "in mice"', 'title: "in mice";', 'title: ""', "mice"):
        assert not BASIS.fullmatch(bad), bad


def test_every_evidence_and_model_value_has_a_basis(studies):
    missing = [k for k, s in studies.items() if (s.get("evidence") or s.get("model")) and not s.get("evidence_basis")]
    assert missing == []
    idle = [k for k, s in studies.items() if s.get("evidence_basis") and not (s.get("evidence") or s.get("model"))]
    assert idle == []
    for k, s in studies.items():
        if "evidence_basis" in s:
            assert BASIS.fullmatch(s["evidence_basis"]), (k, s["evidence_basis"])


def test_a_title_basis_quotes_the_title(studies):
    for k, s in studies.items():
        m = BASIS.fullmatch(s.get("evidence_basis") or "")
        if m and m.group(1) == "title":
            words = m.group(0).split('"')[1]
            assert words in s["title"], (k, words)


def test_a_review_basis_quotes_the_review(studies):
    body = review_body()
    quoted = 0
    for k, s in studies.items():
        m = BASIS.fullmatch(s.get("evidence_basis") or "")
        if m and m.group(1) == "review":
            words = m.group(0).split('"')[1]
            assert words in body, (k, words)
            quoted += 1
    assert quoted >= 5


@pytest.mark.parametrize(
    "key",
    [
        # in-vitro where the title names a body: bone marrow, tumour growth,
        # imaging and therapy, clinical-grade testing, resolution of
        # inflammation, a therapeutic effect
        "Bliss2016", "Dong2018", "Fan2019b", "Mendt2018", "Ti2015", "Zhang2019",
        # animal where neither text names an organism
        "Lai2010", "Lai2018", "Lv2019", "Majer2019", "Rodrigues2019",
        # a result in a disease with no organism named: animals or patients
        "Bier2018", "Bruno2009", "Chen2019a", "Cosenza2018", "deAraujoFarias2018",
        "Drommelschmidt2017", "Fang2020", "Fujii2018", "Ibrahim2014", "Khan2015",
    ],
)
def test_levels_the_words_do_not_decide_are_not_stated(studies, key):
    s = studies[key]
    assert "evidence" not in s and "model" not in s and "evidence_basis" not in s


def test_a_kind_nothing_states_is_left_unset(studies):
    assert "kind" not in studies["Fan2019b"]
    for k, s in studies.items():
        if "kind" in s:
            assert s["kind"] in {e.value for e in model.Kind}, k


def test_levels_the_words_name_are_kept(studies):
    assert studies["Cui2018"]["evidence"] == "animal" and studies["Cui2018"]["model"] == ["mouse"]
    assert studies["Vonk2018"]["evidence"] == "in-vitro"
    assert studies["Kim2012"]["evidence"] == "human"
    assert studies["Kordelas2014"]["evidence"] == "clinical"
    assert studies["Gurunathan2019"]["evidence"] == "review"


# ---------------------------------------------------------------------------
# Mechanisms

# Words of a note that name a mechanism, and what a tag of that study must then
# hold (a regular expression, matched in any letter case).
NAMED = [
    (r"\bmiR-\d+[a-z]?(?:-\dp)?", None),  # the miRNA itself
    (r"\bmicroRNAs?\b|\bmiRNAs?\b", r"microRNA|^miR-|let-7"),
    (r"\bsiRNAs?\b", r"siRNA"),
    (r"\blncRNA\b", r"."),
    (r"\bmRNAs?\b", r"mRNA"),
    (r"\bTregs?\b|regulatory T cell", r"^Treg$"),
    (r"\bTh1\b|\bTh17\b", r"Th1/Th17"),
    (r"\bnaive T\b", r"naive T"),
    (r"\beffector T\b", r"effector T"),
    (r"\bM[12]\b|polari[sz]", r"polarization"),
    (r"\bmonocytes?\b", r"monocyte"),
    (r"\bIL-\d+", None),  # the interleukin itself
    (r"\bTGF-beta", r"TGF-beta"),
    (r"\bWnt", r"Wnt"),
    (r"\bNF-kB\b", r"NF-kB"),
    (r"\bgrowth factors?\b", r"growth factors"),
    (r"\bpathways?\b|\bsignal(?:l)?ing\b|\baxis\b|\binflammasome\b", r"."),
]


def _named_in(note: str) -> list[tuple[str, str]]:
    """(word, pattern a tag must match) for every mechanism word of a note."""
    out = []
    for word_re, tag_re in NAMED:
        for m in re.finditer(word_re, note, re.IGNORECASE):
            word = m.group(0)
            if tag_re is None:
                # A named miRNA or interleukin is tagged by its own name
                # (IL-12p70 as IL-12, miR-21 also as miR-21-5p).
                tag_re = "^" + re.escape(word)
            out.append((word, tag_re))
    return out


def test_every_mechanism_a_note_names_is_tagged(studies):
    missing = []
    for k, s in studies.items():
        tags = s.get("mechanisms") or []
        for word, tag_re in _named_in(s.get("note", "")):
            if not any(re.search(tag_re, t, re.IGNORECASE) for t in tags):
                missing.append((k, word, tags))
    assert missing == []


@pytest.mark.parametrize(
    "key, tag",
    [
        ("Fujii2018", "naive T cells"),
        ("Cosenza2018", "Treg"),
        ("Kordelas2014", "Treg"),
        ("Lai2018", "Treg"),
        ("Moon2019", "microRNA"),
        ("Yao2019", "microRNA"),
        ("Ullah2019", "microRNA"),
        ("Ratajczak2006", "mRNA transfer"),
        ("Ratajczak2006", "growth factors"),
        ("Mansouri2019", "monocyte phenotypes"),
    ],
)
def test_mechanisms_the_review_names_are_tagged(studies, key, tag):
    assert tag in studies[key]["mechanisms"]


def test_a_mechanism_is_spelled_one_way(studies):
    spellings: dict[str, set[str]] = {}
    for s in studies.values():
        for t in s.get("mechanisms") or ():
            folded = re.sub(r"[^a-z0-9]", "", t.lower().replace("β", "beta").replace("κ", "k"))
            spellings.setdefault(folded, set()).add(t)
    assert {k: v for k, v in spellings.items() if len(v) > 1} == {}


def test_the_mechanism_filter_finds_what_the_notes_say():
    def keys(*args):
        return set(ok("studies", *args, "-o", "keys", "-q").stdout.split())

    assert keys("--mechanism", "naive T cells") == {"Fujii2018"}
    assert {"Moon2019", "Yao2019", "Ullah2019", "OBrien2018"} <= keys("--mechanism", "microRNA")
    assert {"Cosenza2018", "Kordelas2014", "Lai2018", "Fujii2018"} <= keys("--mechanism", "Treg")
    assert keys("--mechanism", "monocyte") == {"Mansouri2019", "Zhang2018"}


# ---------------------------------------------------------------------------
# Vocabulary


def _fold(text: str) -> str:
    return re.sub(r"[^a-z0-9+]", "", text.casefold())


def test_no_alias_is_a_product_name(records):
    products = {_fold(p): p for c in records["company"].values() for p in c.get("products") or ()}
    clashes = [
        (t, k, a)
        for t in ("disease", "source")
        for k, r in records[t].items()
        for a in r.get("aliases") or ()
        if _fold(a) in products
    ]
    assert clashes == []
    assert "CAP-2003" in records["company"]["capricor-therapeutics"]["products"]


def test_aliases_are_synonyms_not_neighbours(records):
    d = records["disease"]
    # The review's "nerve injury" is Drommelschmidt2017's preterm brain injury,
    # and "lung injury" is no name of pulmonary hypertension.
    assert "nerve injury" not in d["peripheral-nerve-injury"]["aliases"]
    assert "lung injury" not in d["pulmonary-hypertension"]["aliases"]
    # No name or alias means two diseases.
    owners: dict[str, set[str]] = {}
    for k, r in d.items():
        for a in [r["name"], *r.get("aliases", [])]:
            owners.setdefault(_fold(a), set()).add(k)
    assert {a: ks for a, ks in owners.items() if len(ks) > 1} == {}


def test_companies_say_what_table_1_says(records):
    c = records["company"]
    assert "areas" not in c["molecuvax"] and c["molecuvax"]["diseases"] == ["cancer"]
    assert "inflammatory-disease" in c["regeneus"]["diseases"]
    assert "pain" in c["regeneus"]["conditions"]


@pytest.mark.parametrize(
    "abbr, printed, standard",
    [
        ("ESCRT", "endocytosis sorting transport complex", "endosomal sorting complex required for transport"),
        ("Alix", "apoptotic junction gene 2 interacting protein X", "ALG-2"),
        ("ISCT", "the International Cell Therapy Association", "International Society for Cell & Gene Therapy"),
    ],
)
def test_misprinted_expansions_keep_the_print_and_note_the_standard(records, abbr, printed, standard):
    term = next(t for t in records["term"].values() if t["abbreviation"] == abbr)
    assert term["expansion"] == printed
    assert standard in term["expansion_note"]


# ---------------------------------------------------------------------------
# Journals


def test_journal_names_carry_no_trailing_punctuation(studies):
    from exocli.cite import bare_journal

    for k, s in studies.items():
        j = s["journal"]
        assert j == j.strip() and j[-1] not in ",;:", (k, j)
        # A final period is an abbreviation's ("J. Am. Soc. Nephrol."), never
        # the list's punctuation ("Theranostics.", "Small.").
        assert bare_journal(j) == j, (k, j)
        if j.endswith("."):
            assert " " in j, (k, j)
        printed = s.get("journal_as_printed")
        if printed is not None:
            assert printed == j + ".", (k, printed)


def test_each_journal_has_one_form(studies):
    forms: dict[str, set[str]] = {}
    for s in studies.values():
        forms.setdefault(s["journal"].rstrip(".").casefold(), set()).add(s["journal"])
    assert {k: v for k, v in forms.items() if len(v) > 1} == {}
    assert sum(s["journal"] == "Theranostics" for s in studies.values()) == 8
    assert sum(s["journal"] == "J. Extracell. Vesicles" for s in studies.values()) == 5


# ---------------------------------------------------------------------------
# One meaning per word on the command line


def _keys(*args: str) -> list[str]:
    return ok(*args, "-o", "keys").stdout.split()


def test_studies_by_category(records):
    cardio = {k for k, d in records["disease"].items() if d["category"] == "cardiovascular"}
    want = sorted(k for k, s in records["study"].items() if cardio & set(s.get("diseases", [])))
    assert want and sorted(_keys("studies", "--category", "cardiovascular")) == want
    assert sorted(_keys("studies", "--category", "heart")) == want  # the category's other names
    # The body system typed as a disease means the same, and says so.
    r = exo("studies", "--disease", "cardiovascular", "-o", "keys")
    assert (r.code, sorted(r.stdout.split())) == (0, want), r
    assert "category cardiovascular" in r.stderr, r
    # Categories combine with the other filters (AND).
    both = _keys("studies", "--category", "cardiovascular", "--source", "umsc")
    assert both and set(both) <= set(want)


def test_a_misspelt_body_system_points_to_category():
    r = exo("studies", "--disease", "cardiovasc")
    assert r.code == 1 and r.stdout == "", r
    assert "--category cardiovascular" in r.stderr


def test_companies_by_disease_take_in_narrower_diseases_and_by_category(records):
    cancer = _keys("companies", "--disease", "cancer")
    assert "exovita-biosciences" in cancer  # tagged breast cancer
    assert sorted(_keys("companies", "--category", "cancer")) == sorted(cancer)
    assert _keys("companies", "--category", "nervous") == ["aruna-biomedical"]
    r = exo("companies", "--category", "kidney")
    assert r.code == 1 and r.stdout == "" and "no companies match" in r.stderr, r


def test_a_table_1_condition_keeps_matching_when_a_folder_adds_that_disease(tmp_path):
    assert _keys("companies", "--disease", "epilepsy") == ["the-cell-factory"]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "diseases.toml").write_text('[epilepsy]\nname = "epilepsy"\ncategory = "nervous"\n', "utf-8")
    (mine / "studies.toml").write_text(
        '[Mine2024]\ntitle = "t"\nauthors = ["Me, A."]\nyear = 2024\ndiseases = ["epilepsy"]\n', "utf-8"
    )
    assert _keys("companies", "--disease", "epilepsy", "--data", str(mine)) == ["the-cell-factory"]
    shown = ok_json("show", "epilepsy", "--json", "--data", str(mine))
    assert shown["links"]["companies"] == ["the-cell-factory"]
    assert _keys("companies", "--disease", "pain") == ["regeneus"]


def test_tagging_a_term_that_shares_a_key_names_the_term():
    """gvhd is a disease and a term: tagging term:gvhd says term:gvhd, not gvhd."""
    r = exo("tag", "term:gvhd", "mytag")
    assert r.code == 0 and r.stdout == "" and r.stderr == "exo: term:gvhd: tags mytag\n", r
    r = exo("tag", "gvhd", "other")
    assert r.code == 0 and r.stderr == "exo: gvhd: tags other\n", r
    r = exo("note", "term:gvhd", "hello")
    assert r.code == 0 and r.stderr == "exo: term:gvhd: note saved\n", r
