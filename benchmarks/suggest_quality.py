#!/usr/bin/env python3
"""Precision and recall of the diseases and sources `exo import` suggests.

    python benchmarks/suggest_quality.py            # the figures
    python benchmarks/suggest_quality.py --verbose  # and every wrong or missed value

The review's own 114 references are exported with exo's BibTeX export
(``exo cite --all --format bibtex``), which carries no annotation, and read
back through the importer; `suggest` then proposes diseases and sources
from what an imported reference has (here: its title). Each suggestion is
compared with the curated value in data/studies.toml: a suggestion that the
curators also chose is right, any other is wrong (a broader or narrower
value counts as wrong), and a curated value not suggested is missed.

The vocabulary is built from the bundled diseases, sources and glossary (and
the curated studies' mechanisms, which are not measured here), never from
the studies' disease or source tags. Standard library plus exo itself.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--verbose", action="store_true", help="list every wrong and missed value")
    ap.add_argument("--python", default=sys.executable, help="interpreter exo is installed in")
    args = ap.parse_args(argv)

    import exocli
    from exocli import importer

    env = {**os.environ, "EXO_CACHE_DIR": tempfile.mkdtemp(prefix="exo-quality-")}
    env.pop("EXO_DATA_PATH", None)
    r = subprocess.run(
        [args.python, "-m", "exocli", "cite", "--all", "--format", "bibtex"],
        env=env, capture_output=True, text=True, check=True,
    )
    batch = importer.read_text(r.stdout, "exo-export.bib")
    assert not batch.problems, batch.problems

    cat = exocli.load()
    records = [cat.record(i) for i in cat.ids()]
    curated = {rec["key"]: rec for rec in records if rec["type"] == "study"}
    vocab = importer.build_vocabulary(
        [rec for rec in records if rec["type"] != "study"]
        + [{"type": "study", "key": k, "mechanisms": rec.get("mechanisms", [])} for k, rec in curated.items()]
    )

    totals = {f: {"tp": 0, "fp": 0, "fn": 0} for f in ("diseases", "sources")}
    wrong: list[str] = []
    n = 0
    for entry in batch.entries:
        truth_rec = curated.get(entry.origin.entry)
        if truth_rec is None:
            continue  # the review itself (Wei2021)
        n += 1
        annotations, _ = importer.suggest(entry.study, vocab)
        for fname, t in totals.items():
            got = set(annotations.get(fname, []))
            truth = set(truth_rec.get(fname, []))
            t["tp"] += len(got & truth)
            t["fp"] += len(got - truth)
            t["fn"] += len(truth - got)
            for v in sorted(got - truth):
                wrong.append(f"  wrong   {entry.origin.entry:22} {fname:8} {v:28} curated: {sorted(truth)}")
            for v in sorted(truth - got):
                wrong.append(f"  missed  {entry.origin.entry:22} {fname:8} {v:28} title: {entry.study['title'][:70]}")

    print(f"Suggested annotations for the review's {n} references, read back from exo's BibTeX export (titles only)")
    print()
    print("| field | suggested | right | wrong | missed | precision | recall |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    all_tp = all_fp = all_fn = 0
    for fname, t in totals.items():
        tp, fp, fn = t["tp"], t["fp"], t["fn"]
        all_tp, all_fp, all_fn = all_tp + tp, all_fp + fp, all_fn + fn
        print(f"| {fname} | {tp + fp} | {tp} | {fp} | {fn} | {_pct(tp, tp + fp)} | {_pct(tp, tp + fn)} |")
    precision, recall = _pct(all_tp, all_tp + all_fp), _pct(all_tp, all_tp + all_fn)
    print(f"| both | {all_tp + all_fp} | {all_tp} | {all_fp} | {all_fn} | {precision} | {recall} |")
    if args.verbose and wrong:
        print()
        print("\n".join(wrong))
    return 0


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "n/a"


if __name__ == "__main__":
    sys.exit(main())
