#!/usr/bin/env python3
"""Write a synthetic data folder of N studies for benchmarking exo.

    python benchmarks/generate.py 100000 /tmp/exo-100k
    EXO_DATA_PATH=/tmp/exo-100k exo search gvhd

Writes OUTDIR/studies.toml only. Every record follows the real schema
(src/exocli/model.py) and passes `exo validate`: keys follow the key rule
(first author's surname, year, then a letter suffix when the pair repeats:
``Varnokel2019``, ``Varnokel2019a``), never collide with a bundled key in any
letter case, and every ``diseases``, ``sources`` and ``topics`` value is a
bundled key (read from data/*.toml), so links resolve.

The output is a function of N and --seed only. Records are drawn in order
from one random stream, so the first 1,000 studies of a 10,000-study folder
are the 1,000-study folder. Word choice is skewed (a few words are common,
most are rare), so the number of distinct words grows with N, as in real
text. About 1% of titles say "GVHD" and about 2% of studies are tagged with
the disease ``gvhd``, so `exo search gvhd` has real work to do.

Standard library only; strings are built by hand (no TOML writer), which
writes 100,000 studies in a few seconds, and written as they are made, so
memory stays flat at any N.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Iterator

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef]

HERE = Path(__file__).resolve().parent
DEFAULT_BUNDLED = HERE.parent / "data"

# ---------------------------------------------------------------------------
# Vocabulary. Real words and terms first; generated words extend them to a
# few thousand. Lists are sorted/fixed so output never depends on set order.

NOUNS = """
apoptosis autophagy angiogenesis inflammation fibrosis regeneration repair
proliferation migration differentiation polarization senescence pyroptosis
ferroptosis necroptosis neurogenesis osteogenesis chondrogenesis
vascularization remodeling injury damage dysfunction degeneration homeostasis
immunomodulation immunosuppression tolerance signaling metabolism uptake
biodistribution secretion cargo delivery targeting loading isolation
characterization purification quantification heterogeneity potency
stability storage scalability manufacturing production yield release
internalization trafficking communication crosstalk recovery survival
viability toxicity safety efficacy outcome response resistance sensitivity
invasion metastasis dormancy growth engraftment homing retention clearance
permeability barrier integrity function contractility perfusion healing
closure reepithelialization collagen matrix scar cartilage bone tendon muscle
nerve axon myelin synapse neuron astrocyte microglia macrophage monocyte
neutrophil lymphocyte cytokine chemokine receptor ligand transcription
translation expression methylation acetylation phosphorylation ubiquitination
glycolysis oxidation mitochondria lysosome endosome membrane lipid protein
peptide enzyme kinase phosphatase protease inhibitor agonist antagonist
hydrogel scaffold nanoparticle liposome carrier vehicle platform biomarker
diagnosis prognosis therapy treatment intervention transplantation
""".split()

ADJECTIVES = """
human murine rat porcine canine primate autologous allogeneic xenogeneic
engineered modified hypoxic preconditioned primed activated senescent young
aged healthy diseased chronic acute early late systemic local intravenous
intranasal intraperitoneal intramyocardial topical oral injectable
sustained controlled targeted functional therapeutic protective regenerative
anti-inflammatory antioxidant antifibrotic angiogenic neuroprotective
cardioprotective hepatoprotective nephroprotective immunomodulatory
proangiogenic osteogenic chondrogenic clinical preclinical translational
scalable standardized novel potent improved enhanced reduced impaired
""".split()

VERBS = """
attenuate alleviate ameliorate improve promote enhance inhibit suppress
reduce prevent reverse restore protect accelerate facilitate modulate
regulate mitigate rescue induce stimulate impair limit block
""".split()

PROCESSES = """
cell apoptosis|oxidative stress|endoplasmic reticulum stress|cardiac fibrosis|
renal fibrosis|liver fibrosis|lung fibrosis|neuronal apoptosis|
neuroinflammation|bone loss|cartilage degeneration|wound healing|
angiogenesis|macrophage polarization|T cell activation|regulatory T cell expansion|
tumor growth|tumor cell proliferation|drug resistance|insulin resistance|
beta cell survival|functional recovery|axonal regeneration|muscle atrophy|
skin aging|hair regrowth|vascular leakage|epithelial-mesenchymal transition|
extracellular matrix deposition|mitochondrial dysfunction|inflammatory cytokine release|
cognitive decline|synaptic loss|myocardial remodeling|endothelial dysfunction
""".replace("\n", "").split("|")

METHODS = """
size-exclusion chromatography|tangential flow filtration|ultracentrifugation|
density gradient ultracentrifugation|immunoaffinity capture|microfluidic isolation|
nanoparticle tracking analysis|single-vesicle flow cytometry|proteomic profiling|
small RNA sequencing|lipidomic analysis|cryo-electron microscopy|
bioreactor culture|three-dimensional culture|lyophilization|GMP-grade production
""".replace("\n", "").split("|")

VESICLE_WORDS = [
    ("exosomes", "exosome"), ("extracellular vesicles", "EV"), ("small extracellular vesicles", "small EV"),
    ("microvesicles", "microvesicle"), ("exosome-like vesicles", "exosome-like vesicle"),
    ("microparticles", "microparticle"), ("exosomes", "exosome"), ("exosomes", "exosome"),
]

MECHANISMS = """
miR-21|miR-21-5p|miR-146a|miR-146a-5p|miR-125b|miR-133b|miR-17|miR-126|miR-let-7|
miR-181c|miR-223|miR-29b|miR-410|miR-379|miR-199a|miR-22|miR-19a|miR-214|
PTEN siRNA|PLK-1 siRNA|Wnt/beta-catenin|TGF-beta/Smad|NF-kB|PI3K/Akt|PI3K/Akt/mTOR|
MAPK/ERK|JAK/STAT3|Notch|Hippo/YAP|AMPK|Nrf2/HO-1|TLR4|NLRP3|TXNIP/NLRP3|
IL-10|IL-6|IL-1beta|TNF-alpha|IFN-gamma|Treg|Th17|M2 macrophage polarization|
VEGF|HGF|IGF-1|PDGF|FGF2|BDNF|GDNF|CD73|CD39-CD73-adenosine|IDO|PD-L1|HSP70|
SIRT1|SIRT3|Bcl-2|caspase-3|MMP-9|TIMP-1|HIF-1alpha|ER stress|autophagy|CXCR4
""".replace("\n", "").split("|")

MODELS = ["mouse", "rat", "pig", "rabbit", "dog", "zebrafish", "human cells", "mouse cells",
          "rat cells", "cell lines", "human patients", "human tissue", "organoids"]

EVIDENCE = ["animal"] * 45 + ["in-vitro"] * 25 + ["review"] * 15 + ["human"] * 8 + ["clinical"] * 7
KINDS = ["research"] * 88 + ["methods"] * 10 + ["position-statement"] * 2  # when not a review

JOURNALS = """
Theranostics.|Front. Immunol.|ACS Nano.|Stem Cell.|Small.|Leukemia.|JCI Insight.|
J. Extracell. Vesicles|Transl. Stroke Res.|Sci. Rep.|Nature.|Nat. Cell Biol.|Mol. Ther.|
Front. Physiol.|EBioMedicine.|Circ. Res.|Cells.|Cell Transplant.|Cell Death Dis.|
Biosens. Bioelectron.|Adv. Sci.|Trends Mol. Med.|Ther. Drug Monit.|Stroke.|
Stem Cells Transl. Med.|Stem Cell. Int.|Stem Cell Res.|Stem Cell Reports.|Biomaterials|
J. Control. Release|Stem Cell Res. Ther.|Int. J. Mol. Sci.|J. Cell. Mol. Med.|
Mol. Cancer|Cancer Lett.|Oncogene|Cell Prolif.|Aging Cell|Bone|J. Bone Miner. Res.|
Osteoarthritis Cartilage|Arthritis Res. Ther.|Kidney Int.|J. Am. Soc. Nephrol.|
Hepatology|J. Hepatol.|Am. J. Respir. Crit. Care Med.|Eur. Respir. J.|
Cardiovasc. Res.|J. Mol. Cell. Cardiol.|Basic Res. Cardiol.|Diabetes|Diabetologia|
J. Neuroinflammation|Mol. Neurobiol.|Brain Behav. Immun.|J. Invest. Dermatol.|
Wound Repair Regen.|Acta Biomater.|Bioact. Mater.|J. Nanobiotechnology|
Nano Lett.|Adv. Mater.|Nat. Commun.|Cell Rep.|Blood|Bone Marrow Transplant.
""".replace("\n", "").split("|")

DOI_PREFIXES = ["10.1016", "10.1038", "10.1002", "10.1186", "10.3389", "10.1080", "10.1161",
                "10.7150", "10.1021", "10.3390", "10.1111", "10.1172", "10.1089", "10.1007"]

# Syllables for surnames and for generated biomedical-looking words.
SURNAME_SYLLABLES = """
ab al an ar as ba be bo bra ca ce chi co da de di do el en er fa fe fi
ga ge gi go ha he hi ho ia ka ke ki ko la le li lo lu ma me mi mo mu na
ne ni no nu o pa pe pi po ra re ri ro ru sa se si so ta te ti to tu va
ve vi vo wa we xi ya yo za ze zu berg dorf son sen ski ova ez ini ardi
""".split()

WORD_PREFIXES = """
neuro cardio osteo chondro hepato nephro pneumo angio lympho myelo dermo
immuno onco fibro adipo myo endo peri intra trans hyper hypo poly mono
glyco lipo proteo geno phospho cyto histo patho thrombo vaso
""".split()
WORD_ROOTS = """
gen troph cyt blast clast path plas phag morph kin lys stat tox vas
crin mod sens duct sclero plast trop fer
""".split()
WORD_SUFFIXES = """
esis osis itis ic ia ation ity ase in al ive ogenic ocyte oma ectomy
""".split()


def _zipf(rng: random.Random, items: list, power: float = 2.5):
    """An item with a skewed choice: low indexes are common, high ones rare."""
    return items[int(len(items) * rng.random() ** power)]


def _generated_words(rng: random.Random, n: int) -> list[str]:
    """n distinct biomedical-looking words (prefix + root + suffix)."""
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        w = rng.choice(WORD_PREFIXES) + rng.choice(WORD_ROOTS) + rng.choice(WORD_SUFFIXES)
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


def _gene_symbols(rng: random.Random, n: int) -> list[str]:
    """n distinct gene/protein-like symbols (ABC12, KLF4L, ...)."""
    letters = "ABCDEFGHIJKLMNOPRSTVWXYZ"
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        s = "".join(rng.choice(letters) for _ in range(rng.randint(2, 4)))
        s += str(rng.randint(1, 99)) if rng.random() < 0.8 else rng.choice("ABL")
        if s not in seen and s not in ("GVHD",):
            seen.add(s)
            out.append(s)
    return out


def _surnames(rng: random.Random, n: int, taken: set[str]) -> list[str]:
    out: list[str] = []
    seen = set(taken)
    while len(out) < n:
        s = "".join(rng.choice(SURNAME_SYLLABLES) for _ in range(rng.randint(2, 3)))
        s = s.capitalize()
        if len(s) >= 4 and s.casefold() not in seen:
            seen.add(s.casefold())
            out.append(s)
    return out


def _letters(n: int) -> str:
    """1 -> a, 26 -> z, 27 -> aa ... (key suffixes)."""
    s = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        s = chr(97 + r) + s
    return s


# ---------------------------------------------------------------------------
# Bundled keys


def read_bundled(bundled: Path) -> dict:
    """Keys and names of the bundled data that synthetic records may link to."""

    def load(name: str) -> dict:
        with open(bundled / name, "rb") as f:
            return tomllib.load(f)

    diseases = load("diseases.toml")
    sources = load("sources.toml")
    review = load("review.toml")
    studies = load("studies.toml")
    surnames = {a.split(",")[0].casefold() for s in studies.values() for a in s.get("authors", ())}
    return {
        "diseases": sorted(diseases),
        "disease_names": {k: [v["name"], *v.get("aliases", ())] for k, v in diseases.items()},
        "sources": sorted(sources),
        "source_names": {k: (v.get("abbreviation") or v["name"], v["name"]) for k, v in sources.items()},
        "topics": sorted(review.get("sections", {})),
        "study_keys": {k.casefold() for k in studies},
        "surnames": surnames,
    }


# ---------------------------------------------------------------------------
# Generation


# A TOML basic string: JSON string syntax (quotes, backslash escapes, \uXXXX)
# is valid TOML for these texts.
q = json.encoder.encode_basestring


def ql(values: list[str]) -> str:
    """A TOML array of strings."""
    return "[" + ", ".join(map(q, values)) + "]"


def generate(n: int, seed: int = 20241126, bundled: Path = DEFAULT_BUNDLED) -> str:
    """The text of a studies.toml with n synthetic studies."""
    return "".join(records(n, seed, bundled))


def records(n: int, seed: int = 20241126, bundled: Path = DEFAULT_BUNDLED) -> Iterator[str]:
    """The text of a studies.toml with n synthetic studies, the header then one record at a time."""
    b = read_bundled(bundled)
    # Fixed-size pools, drawn from their own stream so they do not depend on n.
    pool_rng = random.Random(seed)
    surnames = _surnames(pool_rng, 4000, b["surnames"])
    gen_words = _generated_words(pool_rng, 2500)
    genes = _gene_symbols(pool_rng, 1500)
    mirnas = [f"miR-{i}" + ("-3p" if i % 3 == 0 else "-5p" if i % 3 == 1 else "") for i in range(1, 1500)]
    # A ranked vocabulary: real words first (common), generated ones later (rare).
    title_words = NOUNS + gen_words
    mechanisms_pool = MECHANISMS + [x for pair in zip(mirnas, genes) for x in pair]
    diseases = [d for d in b["diseases"] if d != "gvhd"]
    sources = b["sources"]
    topics = b["topics"]
    dnames = b["disease_names"]
    snames = b["source_names"]
    taken_keys = b["study_keys"]

    rng = random.Random(seed * 1_000_003 + 7)
    r = rng.random

    def pick(seq):  # rng.choice, without its overhead
        return seq[int(r() * len(seq))]

    def randint(lo: int, hi: int) -> int:  # rng.randint, likewise
        return lo + int(r() * (hi - lo + 1))

    counts: dict[tuple[str, int], int] = {}
    yield "# Synthetic studies for benchmarking exo (benchmarks/generate.py).\n"
    yield f"# {n} studies, seed {seed}. Not real references.\n"
    for i in range(n):
        year = randint(1995, 2024)
        n_auth = pick((1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 6, 7, 8))
        first = _zipf(rng, surnames, 1.6)
        authors = [first] + [_zipf(rng, surnames, 1.6) for _ in range(n_auth - 1)]
        author_strs = []
        for s in authors:
            initials = pick("ABCDEFGHJKLMNPRSTWXYZ") + "."
            if r() < 0.35:
                initials += " " + pick("ABCDEFGHJKLMNPRSTWXYZ") + "."
            author_strs.append(f"{s}, {initials}")
        # Key: surname + year, then a, b, ... when the pair repeats.
        c = counts.get((first, year), 0)
        while True:
            key = f"{first}{year}{_letters(c)}"
            c += 1
            if key.casefold() not in taken_keys:
                break
        counts[(first, year)] = c

        # Tags.
        gvhd_title = r() < 0.01
        gvhd_tag = gvhd_title or r() < 0.0101
        nd = pick((0, 1, 1, 1, 2, 2, 3))
        dis = rng.sample(diseases, nd)
        if gvhd_tag:
            dis = ["gvhd"] + dis[:2]
        nsrc = pick((0, 1, 1, 1, 2))
        src = rng.sample(sources[:10], nsrc) if r() < 0.8 else rng.sample(sources, nsrc)
        vesicle_phrase, vesicle = pick(VESICLE_WORDS)
        mechs = [_zipf(rng, mechanisms_pool, 3.5) for _ in range(pick((0, 1, 1, 2, 3)))]
        mechs = list(dict.fromkeys(mechs))

        # Title.
        src_phrase = snames[src[0]][1] if src else pick(("mesenchymal stem cell", "MSC", "stem cell"))
        src_phrase = src_phrase[:-1] if src_phrase.endswith("s") else src_phrase
        if gvhd_title:
            dis_phrase = pick(("GVHD", "acute GVHD", "chronic GVHD", "cGVHD", "xeno-GVHD"))
        elif dis:
            dis_phrase = pick(dnames[dis[0]])
        else:
            dis_phrase = _zipf(rng, title_words, 3.0) + " " + pick(NOUNS)
        t = int(r() * 6)
        adj = _zipf(rng, ADJECTIVES, 1.5)
        verb = pick(VERBS)
        past = verb + ("d" if verb.endswith("e") else "ed")
        proc = pick(PROCESSES)
        w1 = _zipf(rng, title_words, 3.0)
        w2 = _zipf(rng, title_words, 3.0)
        mech = mechs[0] if mechs else pick(genes)
        if t == 0:
            title = f"{adj.capitalize()} {src_phrase}-derived {vesicle_phrase} {verb} {proc} in a {pick(MODELS)} model of {dis_phrase}"
        elif t == 1:
            title = f"{vesicle_phrase.capitalize()} carrying {mech} {verb} {w1} and {w2} in {dis_phrase}"
        elif t == 2:
            title = f"{mech} delivered by {src_phrase} {vesicle_phrase} {verb}s {proc} through {w1} {pick(NOUNS)}"
        elif t == 3:
            title = f"Engineered {vesicle_phrase} loaded with {mech} for targeted therapy of {dis_phrase}"
        elif t == 4:
            title = f"A {adj} {pick(METHODS)} workflow for {w1} of {vesicle_phrase} from {src_phrase}s"
        else:
            title = f"{src_phrase.capitalize()} {vesicle_phrase} in {dis_phrase}: {w1}, {w2} and {pick(NOUNS)}"
        if not title.startswith("miR"):
            title = title[0].upper() + title[1:]

        evidence = pick(EVIDENCE)
        kind = "review" if evidence == "review" else pick(KINDS)
        journal = _zipf(rng, JOURNALS, 1.8)
        volume = str(randint(1, 180))
        start = randint(1, 9000)
        if r() < 0.6:
            pages = f"{start}\u2013{start + randint(3, 25)}"
        else:
            pages = str(randint(100000, 9999999)) if r() < 0.5 else f"e{randint(1000, 99999)}"
        doi = f"{pick(DOI_PREFIXES)}/syn.{year}.{i:07d}"
        note = (
            f"Reported that {snames[src[0]][0] if src else 'MSC'}-{vesicle} {past} {proc}"
            f"{' in ' + dnames[dis[0]][0] if dis else ''}, with {w2} as a likely route"
            f"{'; ' + mech + ' was implicated' if mechs else ''}."
        )

        lines = [
            f"\n[{key}]\n",
            f"title = {q(title)}\n",
            f"authors = {ql(author_strs)}\n",
        ]
        if n_auth == 6 and r() < 0.7:
            lines.append("et_al = true\n")
        lines.append(f"year = {year}\n")
        lines.append(f"journal = {q(journal)}\n")
        lines.append(f'volume = "{volume}"\n')
        if r() < 0.75:
            lines.append(f'issue = "{randint(1, 24)}"\n')
        lines.append(f"pages = {q(pages)}\n")
        lines.append(f'doi = "{doi}"\n')
        if src:
            lines.append(f"sources = {ql(src)}\n")
        if dis:
            lines.append(f"diseases = {ql(dis)}\n")
        if r() < 0.6:
            lines.append(f"topics = {ql(rng.sample(topics, pick((1, 1, 2))))}\n")
        if mechs:
            lines.append(f"mechanisms = {ql(mechs)}\n")
        lines.append(f'evidence = "{evidence}"\n')
        if r() < 0.7 and evidence != "review":
            lines.append(f'model = ["{pick(MODELS)}"]\n')
        lines.append(f'vesicle = ["{vesicle}"]\n')
        lines.append(f'kind = "{kind}"\n')
        lines.append(f"note = {q(note)}\n")
        yield "".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("n", type=int, help="number of studies")
    p.add_argument("outdir", type=Path, help="folder to write studies.toml into (created if needed)")
    p.add_argument("--seed", type=int, default=20241126, help="random seed (default: %(default)s)")
    p.add_argument("--bundled", type=Path, default=DEFAULT_BUNDLED,
                   help="bundled data folder whose keys links may use (default: %(default)s)")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing")
    args = p.parse_args(argv)
    if args.n < 0:
        p.error("N must be 0 or more")
    t0 = time.perf_counter()
    args.outdir.mkdir(parents=True, exist_ok=True)
    path = args.outdir / "studies.toml"
    # Written record by record (1,000,000 studies held as one string took
    # about 3 GiB) into a hidden file renamed into place, so an interrupted
    # run never leaves a partial studies.toml (nor a *.toml exo would read).
    tmp = args.outdir / f".studies.toml.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            chunk: list[str] = []
            for rec in records(args.n, args.seed, args.bundled):
                chunk.append(rec)
                if len(chunk) >= 10_000:
                    f.write("".join(chunk))
                    chunk.clear()
            f.write("".join(chunk))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if not args.quiet:
        print(
            f"wrote {args.n:,} studies ({path.stat().st_size / 2**20:.1f} MiB) to {path} "
            f"in {time.perf_counter() - t0:.2f} s",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
