#!/usr/bin/env python3
"""Search quality on the question sets: top-1, top-5 and mean reciprocal rank.

    python benchmarks/quality.py              # both sets, a summary per kind
    python benchmarks/quality.py --misses     # also every question not answered first

tests/questions.toml holds questions as people ask them, each with the
records a right answer contains (a hit on any of them counts);
tests/search_queries.toml holds keyword queries with the one record a user
wants on top. Both run against the bundled data through the library API,
exactly as `exo search` ranks them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

TESTS = Path(__file__).resolve().parent.parent / "tests"


def load_sets() -> dict[str, list[dict]]:
    """Both question sets as [{q, expect: [type:key...], kind}]."""
    questions = tomllib.loads((TESTS / "questions.toml").read_text("utf-8"))["questions"]
    queries = tomllib.loads((TESTS / "search_queries.toml").read_text("utf-8"))["queries"]
    return {
        "questions": [dict(q, expect=list(q["expect"])) for q in questions],
        "keyword queries": [{"q": q["q"], "expect": [q["expect"]], "kind": "keyword"} for q in queries],
    }


def rank(cat, q: str, expect: list[str], depth: int = 20) -> int | None:
    """The rank (1-based) of the first right record among the hits, or None."""
    from exocli.search import search

    for i, h in enumerate(search(cat, q, limit=depth), 1):
        if f"{cat.type_of(h.rid)}:{cat.keys[h.rid]}" in expect:
            return i
    return None


def score(cat, items: list[dict]) -> dict:
    """top1, top5, mrr (0-1), n, and the misses with their rank."""
    ranks = [(rank(cat, it["q"], it["expect"]), it) for it in items]
    n = len(ranks) or 1
    return {
        "n": len(ranks),
        "top1": sum(1 for r, _ in ranks if r == 1) / n,
        "top5": sum(1 for r, _ in ranks if r is not None and r <= 5) / n,
        "mrr": sum(1 / r for r, _ in ranks if r) / n,
        "ranks": ranks,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--misses", action="store_true", help="list every question not answered first")
    args = ap.parse_args(argv)
    from exocli import load

    cat = load(use_cache=False)
    print("| set | n | top-1 | top-5 | MRR |\n|---|---:|---:|---:|---:|")
    results = {}
    for name, items in load_sets().items():
        s = results[name] = score(cat, items)
        print(f"| {name} | {s['n']} | {s['top1']:.0%} ({round(s['top1'] * s['n'])}) | {s['top5']:.0%} | {s['mrr']:.3f} |")
    kinds: dict[str, list] = {}
    for r, it in results["questions"]["ranks"]:
        kinds.setdefault(it["kind"], []).append(r)
    print("\n| kind | n | top-1 | top-5 |\n|---|---:|---:|---:|")
    for kind, rs in sorted(kinds.items()):
        t1 = sum(1 for r in rs if r == 1)
        t5 = sum(1 for r in rs if r and r <= 5)
        print(f"| {kind} | {len(rs)} | {t1} | {t5} |")
    if args.misses:
        for name, s in results.items():
            print(f"\n{name}, not first:", file=sys.stderr)
            for r, it in s["ranks"]:
                if r != 1:
                    print(f"  {r or '-':>2}  {it['q']!r} -> {', '.join(it['expect'])}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
