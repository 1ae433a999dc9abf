"""Search ranking: a set of realistic queries with the hit a user wants on top."""

from __future__ import annotations

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib
from pathlib import Path

import pytest

from exocli import load
from exocli.search import search

QUERIES = tomllib.loads((Path(__file__).parent / "search_queries.toml").read_text("utf-8"))["queries"]


@pytest.fixture(scope="module")
def cat():
    return load(use_cache=False)


def _rank(cat, q: str, expect: str) -> int | None:
    hits = search(cat, q, limit=10)
    names = [f"{cat.type_of(h.rid)}:{cat.keys[h.rid]}" for h in hits]
    return names.index(expect) + 1 if expect in names else None


def test_query_set_is_large_enough():
    assert len(QUERIES) >= 30


def test_hit_rate(cat, capsys):
    ranks = [(_rank(cat, q["q"], q["expect"]), q) for q in QUERIES]
    top1 = sum(1 for r, _ in ranks if r == 1)
    top3 = sum(1 for r, _ in ranks if r is not None and r <= 3)
    misses = [f"{q['q']!r} -> {q['expect']} at {r}" for r, q in ranks if r != 1]
    with capsys.disabled():
        print(f"\nsearch hit rate: top-1 {top1}/{len(ranks)}, top-3 {top3}/{len(ranks)}")
        for m in misses:
            print("  not first:", m)
    assert top3 / len(ranks) >= 0.95, misses
    assert top1 / len(ranks) >= 0.85, misses


@pytest.mark.parametrize("q", [q["q"] for q in QUERIES])
def test_every_hit_says_why(cat, q):
    for h in search(cat, q, limit=5):
        assert h.matched, (q, cat.keys[h.rid])
        assert 0 < h.score <= 100


def test_gvhd_expands_to_tagged_studies(cat):
    hits = search(cat, "gvhd", limit=None)
    keys = {cat.keys[h.rid] for h in hits if cat.type_of(h.rid) == "study"}
    tagged = {cat.keys[i] for i in cat.tagged("diseases", "gvhd")}
    assert tagged <= keys
    assert "Kordelas2014" in tagged  # its title says graft-versus-host disease, never GVHD


def test_type_filter(cat):
    hits = search(cat, "gvhd", {"study"}, limit=None)
    assert hits and all(cat.type_of(h.rid) == "study" for h in hits)


def test_nonsense_finds_nothing(cat):
    assert search(cat, "qwxzv zzkj") == []
    assert search(cat, "") == []
    assert search(cat, "   ") == []
