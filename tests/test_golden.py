"""Golden files for every writer of listings, show, map and stats, in every format.

Each case runs the real CLI and compares stdout with tests/golden/output/.
A change to what exo prints fails here until the golden files are written
again on purpose (EXO_REGEN_GOLDEN=1 python -m pytest tests/test_golden.py)
and the diff is read. The `odd` folder holds a study whose text needs every
format's escaping (pipes, backslashes, a tab, HTML, link syntax, a formula).
"""

from __future__ import annotations

import os

import pytest

from exocli.output import Format

from conftest import ROOT, exo

GOLDEN = ROOT / "tests" / "golden" / "output"
REGEN = os.environ.get("EXO_REGEN_GOLDEN") == "1"
ODD = str(ROOT / "tests" / "data" / "folders" / "odd")

# (name, arguments): every format of Format is run for each.
CASES = [
    ("studies-gvhd", ["studies", "--disease", "gvhd"]),
    ("studies-odd", ["studies", "--data", ODD, "--year", "2020", "--disease", "gvhd"]),
    ("companies-diagnostics", ["companies", "--area", "diagnostics"]),
    ("terms-glossary", ["terms", "--glossary"]),
    ("search-gvhd", ["search", "gvhd"]),
    ("search-question", ["search", "which", "studies", "used", "gingival", "MSC", "exosomes", "for", "wound", "healing", "-n", "50"]),
    ("show-gvhd", ["show", "gvhd"]),
    ("show-Bruno2009", ["show", "Bruno2009"]),
    ("show-odd", ["show", "--data", ODD, "Odd2020"]),
    ("show-bmsc", ["show", "bmsc"]),
    ("map", ["map"]),
    ("map-disease-evidence", ["map", "--rows", "disease", "--cols", "evidence"]),
    ("stats", ["stats"]),
]


@pytest.fixture(scope="module")
def _shared_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("golden-cache")


@pytest.fixture(autouse=True)
def _isolated_cache(_shared_cache, tmp_path_factory, monkeypatch):
    """As conftest's, but one cache folder for the module: the cases read the
    same data, so the store is built once rather than once per case."""
    monkeypatch.setenv("EXO_CACHE_DIR", str(_shared_cache))
    monkeypatch.setenv("EXO_LIBRARY", str(tmp_path_factory.mktemp("library") / "library"))
    monkeypatch.delenv("EXO_DATA_PATH", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)


EXTENSIONS = {
    Format.TABLE: "txt",
    Format.PLAIN: "txt",
    Format.JSON: "json",
    Format.JSONL: "jsonl",
    Format.CSV: "csv",
    Format.TSV: "tsv",
    Format.KEYS: "txt",
    Format.MARKDOWN: "md",
}


def _extension(fmt: Format) -> str:
    return EXTENSIONS[fmt]  # a new format needs its extension here


@pytest.mark.parametrize("fmt", list(Format), ids=lambda f: f.value)
@pytest.mark.parametrize("name,args", CASES, ids=[c[0] for c in CASES])
def test_output_matches_its_golden_file(name, args, fmt):
    r = exo(*args, "-o", fmt.value, env={"COLUMNS": "100"})
    assert r.code == 0, r
    assert r.stderr == "", r
    path = GOLDEN / f"{name}.{fmt.value}.{_extension(fmt)}"
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(r.stdout, "utf-8", newline="\n")
        return
    assert path.exists(), f"missing golden file {path}; run with EXO_REGEN_GOLDEN=1 and review the diff"
    want = path.read_text("utf-8")
    assert r.stdout == want, f"{path.name} differs from its golden file:\n{_first_difference(want, r.stdout)}"


def _first_difference(want: str, got: str) -> str:
    for n, (a, b) in enumerate(zip(want.splitlines(), got.splitlines()), 1):
        if a != b:
            return f"line {n}:\n  golden: {a!r}\n  now:    {b!r}"
    return f"golden has {len(want.splitlines())} lines, now {len(got.splitlines())}"


def test_every_golden_file_belongs_to_a_case():
    wanted = {f"{name}.{fmt.value}.{_extension(fmt)}" for name, _ in CASES for fmt in Format}
    stale = sorted(p.name for p in GOLDEN.iterdir() if p.name not in wanted) if GOLDEN.exists() else []
    assert not stale, f"golden files no case writes: {stale}"
