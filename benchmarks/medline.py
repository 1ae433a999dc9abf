#!/usr/bin/env python3
"""Write N synthetic PubMed/MEDLINE records, and time reading them with exo's importer.

    python benchmarks/medline.py 100000 /tmp/exo-100k.nbib      # write only
    python benchmarks/medline.py 100000 /tmp/exo-100k.nbib --time

Records look like PubMed's own "PubMed format" export (PMID, TI, AB, FAU/AU,
DP, TA, JT, VI, IP, PG with shortened ranges, LID/AID [doi], OT, MH, PT),
with continuation lines indented six spaces and a blank line between
records. About 1% of titles mention graft-versus-host disease, so the
suggestion step has something to find. The output depends on N and --seed
only. ``--time`` then reads the file with `exocli.importer.read_path`, and
with --suggest also runs `suggest` on every record, and prints the seconds
each step took (the goal: 100,000 records in under 2 minutes).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

SURNAMES = "Bruno Grange Deregibus Zhao Chen Wang Li Kordelas Fujii Lai Lee Kim Park Mueller Garcia Rossi Smith Ivanova O'Brien".split()
GIVEN = "Stefania Cristina Maria Yan Wei Lina Vassilios Shunsuke Ruenn Jae Hyun Anna Jose Luca Olga Sean".split()
WORDS = (
    "mesenchymal stem cell derived exosomes extracellular vesicles promote repair injury model mice rats "
    "inflammation macrophage polarization microRNA signalling pathway therapy regeneration tissue kidney "
    "heart liver lung brain bone cartilage wound healing delivery targeted nanoparticles proteomic analysis"
).split()
JOURNALS = [("Stem Cell Res Ther", "Stem cell research & therapy"), ("J Extracell Vesicles", "Journal of extracellular vesicles"),
            ("Theranostics", "Theranostics"), ("Sci Rep", "Scientific reports")]
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def _wrap(tag: str, text: str, width: int = 82) -> list[str]:
    """A MEDLINE field: ``TAG - value``, continued on lines indented six spaces."""
    out, line = [], f"{tag:<4}- "
    for word in text.split():
        if len(line) + len(word) + 1 > width and line.strip():
            out.append(line.rstrip())
            line = "      "
        line += word + " "
    out.append(line.rstrip())
    return out


def _short(first: int, last: int) -> str:
    """The end of a page range as PubMed prints it: 1053-1067 -> 1053-67."""
    a, b = str(first), str(last)
    if len(a) != len(b):
        return b
    i = 0
    while i < len(b) - 1 and a[i] == b[i]:
        i += 1
    return b[i:]


def record(rng: random.Random, i: int) -> str:
    pmid = 30_000_000 + i
    year = rng.randint(2005, 2024)
    title_words = rng.sample(WORDS, rng.randint(6, 12))
    if rng.random() < 0.01:
        title_words += ["in", "graft-versus-host", "disease"]
    title = " ".join(title_words).capitalize() + "."
    abstract = " ".join(rng.choice(WORDS) for _ in range(rng.randint(80, 200))).capitalize() + "."
    ta, jt = rng.choice(JOURNALS)
    first = rng.randint(1, 2000)
    last = first + rng.randint(1, 30)
    lines = [f"PMID- {pmid}", "OWN - NLM", "STAT- MEDLINE", f"DCOM- {year}0101", "IS  - 1757-6512 (Electronic)",
             f"VI  - {rng.randint(1, 40)}", f"IP  - {rng.randint(1, 12)}", f"DP  - {year} {rng.choice(MONTHS)}"]
    lines += _wrap("TI", title)
    lines.append(f"PG  - {first}-{_short(first, last)}")
    lines.append(f"LID - 10.1186/s13287-{year}-{i:06d}-x [doi]")
    lines += _wrap("AB", abstract)
    for _ in range(rng.randint(1, 8)):
        s, g = rng.choice(SURNAMES), rng.choice(GIVEN)
        lines.append(f"FAU - {s}, {g} {rng.choice('ABCDEFGHJKLM')}")
        lines.append(f"AU  - {s} {g[0]}")
        lines.append("AD  - Department of Medicine, University Hospital, City, Country.")
    lines += ["LA  - eng", "PT  - Journal Article", f"TA  - {ta}", f"JT  - {jt}"]
    for w in rng.sample(WORDS, 3):
        lines.append(f"MH  - {w.capitalize()}")
    for w in rng.sample(WORDS, 2):
        lines.append(f"OT  - {w}")
    lines.append(f"AID - 10.1186/s13287-{year}-{i:06d}-x [doi]")
    lines.append(f"SO  - {ta}. {year};1:{first}.")
    return "\n".join(lines) + "\n"


def write(n: int, path: Path, seed: int = 1) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            if i:
                f.write("\n")
            f.write(record(rng, i))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int)
    ap.add_argument("path", type=Path)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time", action="store_true", help="then read the file and print how long it took")
    ap.add_argument("--suggest", action="store_true", help="with --time: also run suggest on every record")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    write(args.n, args.path, args.seed)
    size = args.path.stat().st_size
    print(f"wrote {args.n:,} records ({size / 2**20:.1f} MiB) in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if not args.time:
        return 0
    from exocli import importer

    t0 = time.perf_counter()
    batch = importer.read_path(args.path)
    t_read = time.perf_counter() - t0
    print(f"read {len(batch.entries):,} studies, {len(batch.problems)} problems: {t_read:.1f} s")
    if batch.problems or len(batch.entries) != args.n:
        print(f"expected {args.n} studies and no problem: {batch.problems[:3]}", file=sys.stderr)
        return 1
    t0 = time.perf_counter()
    keys = importer.assign_keys(batch.studies, [])
    keep, skips = importer.deduplicate(batch.entries, [], keys)
    print(f"keys and de-duplication ({len(skips)} skipped): {time.perf_counter() - t0:.1f} s")
    import tempfile

    t0 = time.perf_counter()
    studies = [{"key": k, **batch.entries[i].study} for k, i in zip((keys[i] for i in keep), keep)]
    with tempfile.TemporaryDirectory() as lib:
        path = importer.append_studies(lib, studies)
        size = path.stat().st_size
    print(f"checked and written to studies.toml ({size / 2**20:.1f} MiB): {time.perf_counter() - t0:.1f} s")
    if args.suggest:
        import exocli

        cat = exocli.load()
        vocab = importer.build_vocabulary(cat.record(i) for i in cat.ids())
        t0 = time.perf_counter()
        n = sum(1 for s in batch.studies if importer.suggest(s, vocab)[1])
        print(f"suggest on every study ({n:,} got a suggestion): {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
