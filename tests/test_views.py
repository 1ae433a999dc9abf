"""The evidence map, stats and evidence summaries, recomputed from the studies."""

from __future__ import annotations

import csv
import io
from collections import Counter

import pytest

from conftest import exo
from helpers import ok, ok_json


@pytest.fixture(scope="module")
def studies():
    every = ok_json("studies", "--json")
    assert len(every) == 114
    return every


@pytest.fixture(scope="module")
def diseases():
    return {d["key"]: d for d in ok_json("diseases", "--json")}


@pytest.fixture(scope="module")
def sources():
    return {s["key"]: s for s in ok_json("sources", "--json")}


def keys_of(*args: str) -> list[str]:
    """The keys a listing finds; it must find some (every caller asks for
    a value records are tagged with), else a broken filter would read as 0."""
    keys = ok(*args, "-o", "keys", "-q").stdout.split()
    assert keys, args
    return keys


def expected_cells(studies, diseases, sources, msc_only=True):
    cells: dict[tuple[str, str], set[str]] = {}
    for s in studies:
        cats = {diseases[d]["category"] for d in s["diseases"]}
        for src in s["sources"]:
            if msc_only and not sources[src]["msc"]:
                continue
            for c in cats:
                cells.setdefault((src, c), set()).add(s["key"])
    return cells


@pytest.mark.parametrize("msc_only", [True, False])
def test_every_map_cell_recomputed_from_the_studies(studies, diseases, sources, msc_only):
    args = ["map", "--json"] + ([] if msc_only else ["--all-sources"])
    got = {(o["source"], o["category"]): o for o in ok_json(*args)}
    want = expected_cells(studies, diseases, sources, msc_only)
    assert want and set(got) == set(want)
    for cell, keys in want.items():
        assert got[cell]["count"] == len(keys) == len(got[cell]["studies"])
        assert set(got[cell]["studies"]) == keys


def test_map_numbers_agree_in_every_format(studies, diseases, sources):
    want = expected_cells(studies, diseases, sources)
    rows = list(csv.DictReader(io.StringIO(ok("map", "-o", "csv").stdout)))
    assert rows
    for row in rows:
        for cat, n in row.items():
            if cat in ("source", "all"):
                continue
            assert int(n) == len(want.get((row["source"], cat), ())), (row["source"], cat)
        total = {k for (src, _), keys in want.items() if src == row["source"] for k in keys}
        assert int(row["all"]) == len(total)
    # Plain text says what the broader row holds; CSV keeps the key.
    plain = ok("map").stdout.splitlines()
    assert plain[0].split("\t") == list(rows[0].keys())
    named = {"msc": "msc, tissue not stated"}
    assert [line.split("\t") for line in plain[1:]] == [
        [named.get(r["source"], r["source"]), *list(r.values())[1:]] for r in rows
    ]
    sources_in_map = {r["source"] for r in rows}
    assert sources_in_map and all(sources[s]["msc"] for s in sources_in_map)


@pytest.mark.parametrize("rows, cols", [("disease", "evidence"), ("source", "topic"), ("topic", "year"), ("category", "kind")])
def test_other_axes(rows, cols):
    objs = ok_json("map", "--rows", rows, "--cols", cols, "--json")
    assert objs and all(set(o) == {rows, cols, "count", "studies"} for o in objs)


def test_map_bad_axis():
    r = exo("map", "--rows", "planet")
    assert r.code == 2 and r.stdout == "" and "unknown axis" in r.stderr, r
    r = exo("map", "--rows", "source", "--cols", "source")
    assert r.code == 2 and r.stdout == "" and r.stderr, r


def test_stats_numbers(studies):
    s = ok_json("stats", "--json")
    assert s["counts"]["studies"] == 114 and s["counts"]["companies"] == 26
    assert s["years"] == {str(y): n for y, n in sorted(Counter(x["year"] for x in studies).items())}
    # A broader disease or source counts its narrower ones, as the filters do.
    assert s["top_diseases"] and s["top_sources"]
    for entry in s["top_diseases"]:
        assert entry["count"] == len(keys_of("studies", "--disease", entry["key"])), entry
    for entry in s["top_sources"]:
        assert entry["count"] == len(keys_of("studies", "--source", entry["key"])), entry
    assert {"key": "msc", "label": "mesenchymal stem cells", "count": 70} in s["top_sources"]
    assert {"key": "cancer", "label": "cancer", "count": 13} in s["top_diseases"]
    # Every study is counted once, those with no evidence level as "not stated".
    assert s["evidence"] == {
        k: n for k, n in Counter(x["evidence"] or "not stated" for x in studies).items()
    }
    assert sum(s["evidence"].values()) == 114
    assert s["company_areas"]["diagnostics"] == len(ok_json("companies", "--area", "diagnostics", "--json")) > 0


def test_show_summarises_the_evidence(studies):
    d = ok_json("show", "gvhd", "--json")
    tagged = [x for x in studies if "gvhd" in x["diseases"]]
    assert tagged
    assert d["evidence_summary"]["studies"] == len(tagged)
    assert d["evidence_summary"]["evidence"] == dict(Counter(x["evidence"] or "not stated" for x in tagged))
    assert d["evidence_summary"]["years"] == [min(x["year"] for x in tagged), max(x["year"] for x in tagged)]
    line = [x for x in ok("show", "gvhd").stdout.splitlines() if x.startswith("evidence summary")][0]
    assert line == "evidence summary\t4 studies (1 animal, 1 clinical, 2 not stated), 2014-2018"
    src = ok_json("show", "bmsc", "--json")
    assert src["evidence_summary"]["studies"] == sum(1 for x in studies if "bmsc" in x["sources"]) > 0


# ---------------------------------------------------------------------------
# One meaning per word: a broader value takes in the narrower ones everywhere


@pytest.mark.parametrize("option, key", [("--disease", "cancer"), ("--source", "msc"), ("--disease", "skin-wound")])
def test_show_stats_and_filters_count_a_broader_value_alike(option, key):
    listed = keys_of("studies", option, key)
    shown = ok_json("show", key, "--json")
    assert sorted(shown["links"]["studies"]) == sorted(listed)
    assert shown["evidence_summary"]["studies"] == len(listed)
    s = ok_json("stats", "--json")
    top = {x["key"]: x["count"] for x in s["top_diseases"] + s["top_sources"]}
    assert top[key] == len(listed)


def test_companies_under_a_broader_disease():
    # Exovita is tagged breast cancer, which is cancer.
    assert "exovita-biosciences" in keys_of("companies", "--disease", "cancer")
    shown = ok_json("show", "cancer", "--json")
    assert "exovita-biosciences" in shown["links"]["companies"]
    assert sorted(shown["links"]["companies"]) == sorted(keys_of("companies", "--disease", "cancer"))
    msc = ok_json("show", "msc", "--json")
    assert "regeneus" in msc["links"]["companies"]  # adipose MSCs


def test_map_marks_a_broader_row_as_holding_only_its_own_tags(studies):
    rows = {r["source"]: r for r in csv.DictReader(io.StringIO(ok("map", "-o", "csv").stdout))}
    only_msc = {s["key"] for s in studies if "msc" in s["sources"] and s["diseases"]}
    assert int(rows["msc"]["all"]) == len(only_msc) > 0
    plain = ok("map").stdout
    assert "\nmsc, tissue not stated\t" in plain
    md = ok("map", "-o", "markdown").stdout
    assert "| msc, tissue not stated |" in md


def test_every_study_is_counted_under_an_evidence_level_or_not_stated(studies):
    m = ok_json("map", "--rows", "evidence", "--cols", "year", "--json")
    counted = {k for o in m for k in o["studies"]}
    assert counted == {s["key"] for s in studies}
    not_stated = {k for o in m if o["evidence"] == "not stated" for k in o["studies"]}
    assert not_stated and not_stated == {s["key"] for s in studies if not s["evidence"]}
    by_kind = ok_json("map", "--rows", "kind", "--cols", "year", "--json")
    assert {k for o in by_kind for k in o["studies"]} == {s["key"] for s in studies}
    show = [x for x in ok("show", "bmsc").stdout.splitlines() if x.startswith("evidence summary")][0]
    assert "not stated" in show


def test_every_map_axis_works_with_every_other():
    """Axes come from the schema (links, the study's own fields, a linked
    type's closed set); each pair maps every study with values on both."""
    from exocli import model

    studies = ok_json("studies", "--json")
    axes = model.MAP_AXES
    # Every axis as rows and as columns, beside a different one each time.
    pairs = [(a, axes[(i + 3) % len(axes)]) for i, a in enumerate(axes)] + [(axes[(i + 5) % len(axes)], a) for i, a in enumerate(axes)]
    for rows, cols in pairs:
        cells = ok_json("map", "--rows", rows, "--cols", cols, "--all-sources", "--json")
        assert cells and all(c["count"] == len(c["studies"]) > 0 for c in cells), (rows, cols)
        mapped = {k for c in cells for k in c["studies"]}
        assert mapped <= {s["key"] for s in studies}, (rows, cols)
    r = exo("map", "--rows", "nonsense")
    assert r.code == 2 and "choose from: " + ", ".join(model.MAP_AXES) in r.stderr, r


def test_show_gives_the_doi_link_of_the_review_as_of_a_study():
    for key in ("Wei2021", "Bruno2009"):
        obj = ok_json("show", key, "--json")
        assert obj["url"] == "https://doi.org/" + obj["doi"], key
        assert ok("open", key, "--print").stdout == obj["url"] + "\n"
