"""Ranking: which records answer a query, best first, and why.

A query is read as a person means it. Question words and filler ("which
studies show", "what is", "who develops") need not match; words naming a
kind of record ("company", "stand for", "section") only favour that kind.
Each remaining word is stemmed by the store's tokenizer (Porter), so
"wounds" finds "wound" and "reduces" finds "reduced" and "reduction", and is
matched in the index exactly, as a prefix, or (when the index does not know
it) as a likely typo.

Every match counts by the field it is in (a key or an alias more than a
title, a title more than a linked tag, a tag more than a note) and by how
rare the word is, so a record matching most of the distinctive words ranks;
words that stand together in a field earn a bonus, and so does the record
the whole query names ("gvhd" is the disease before the studies tagged
with it). Linked records are indexed under their names and aliases, so
``gvhd`` finds every study tagged with graft-versus-host disease even if its
title never says GVHD.

A word found in very many records (``exosome``) is not read from the index
posting by posting: it counts among the records the other words found, or,
alone, picks its records by the fields that matter first. Returns hits;
never prints.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from . import model
from .catalog import Catalog
from .store import F_TAG, F_TEXT
from .text import compact, fold, key_words, letter_runs, words

# How much a match counts, by index column (see store.COLUMNS).
FIELD_WEIGHTS = (1.0, 0.95, 0.9, 0.85, 0.8, 0.6, 0.5, 0.4)
RESCORE = 200  # candidates whose name bonus and phrase bonus are worked out
COMMON = 5_000  # a term in more records than this is not read posting by posting
OFFSETS = 2_000  # up to this many records, a term's postings carry positions (for the phrase bonus)
COMMON_PICK = 200  # records a query of common words alone picks to score in full
EXACT_BONUS = 10.0  # the query is (most of) the record's name
PHRASE_BONUS = 6.0  # two query words stand together in one field
TYPE_BONUS = 8.0  # the query names the kind of record it wants
NAMED_BONUS = 15.0  # ... and one of its words is that record's name ("what does GMP mean")
MIN_SCORE = 45.0  # a hit below this is shown only when nothing scores better
FUZZY_CUTOFF = 75  # rapidfuzz ratio for a likely typo (gvdh -> gvhd)
FUZZY_CHANGED_LETTER = 80  # below this only a swap of letters counts (milk is not mild)
MAX_QUERY_WORDS = 16
MAX_WORD = 40
# A longer word a query word begins (exosome -> exosomes) counts a little
# less for each letter it adds, never below PREFIX_FLOOR.
PREFIX_FLOOR = 0.8
PREFIX_STEP = 0.03
NEAR_EXACT = 0.9  # variants this close decide how rare a word is
WHOLE_TYPO = 88  # rapidfuzz ratio at which the whole query still names a record ("bone marow")
NAME_RUN = 0.25  # a name spelt out by consecutive query words counts 0.25-0.5
TAG_AS_NAME = 0.8  # a tag equal to the query (miR-21) counts nearly as a name

STOP = frozenset("a al an and as at by et for from in into of on or the to with via vs versus".split())
# Words of questions and requests that say nothing about the answer.
FILLER = frozenset(
    """
    about also any anything are be been being can could did do does doing done
    find found get give gives has have having how i is it its let list me my
    show showed shown shows tell than that their them there these they this
    those use used uses using was were what when where which who whom whose
    why will would please some all many much more most other others such
    study studies paper papers article articles research work works report
    reported reports published publication concern concerns concerning
    regarding related relate relates involve involves involving look looking
    cite cites cited citing mention mentions mentioned discuss discusses
    discussed describe describes described cover covers covered
    review reviewed stand stands mean means meaning abbreviation abbreviations
    acronym acronyms short term terms company companies firm firms
    section sections chapter part develop develops developing developed
    make makes making commercialise commercialises commercialize commercializes
    commercialising commercializing sell sells offer offers
    """.split()
)
# Filler that says which kind of record is wanted.
TYPE_HINTS = {
    "company": {"company", "companies", "firm", "firms", "develop", "develops", "developing", "commercialise",
                "commercialises", "commercialize", "commercializes", "commercialising", "commercializing", "sell",
                "sells", "offer", "offers", "makes", "make", "making", "who"},
    "term": {"stand", "stands", "abbreviation", "abbreviations", "acronym", "acronyms", "mean", "means", "meaning"},
    "topic": {"section", "sections", "chapter", "part"},
    "study": {"study", "studies", "paper", "papers", "article", "articles", "showed", "shown", "shows", "show",
              "reported", "published"},
}


@dataclass
class Hit:
    """One search result: a record id, its score (0-100) and why it matched."""

    rid: int
    score: float
    matched: list[str] = field(default_factory=list)


class Hits(list):
    """Hits, best first; ``total`` counts every record that qualified
    (``at_least`` when very common words kept the count from being exact)."""

    total: int = 0
    at_least: bool = False


def parse_types(values: list[str]) -> set[str] | None:
    """`--type` values (singular or plural) as entity type names; None for all."""
    if not values:
        return None
    from .errors import UsageError, quoted

    out = set()
    for t in values:
        try:
            out.add(model.entity_type(t.strip().lower()).name)
        except KeyError:
            raise UsageError(
                f"unknown type {quoted(t)}", "choose from: " + ", ".join(e.name for e in model.ENTITY_TYPES)
            ) from None
    return out


@dataclass
class Reading:
    """What a query was read as: its content words and the kinds it favours."""

    words: list[str]
    hints: set[str]

    @property
    def whole(self) -> str:
        return "".join(self.words)


def read_query(query: str, stem=None) -> Reading:
    """The words of a query worth matching (folded, filler dropped, bounded).

    With ``stem`` (a function from words to their stems), a misspelt or
    inflected filler word ("companys") is known by its stem too.
    """
    ws = [w[:MAX_WORD] for w in words(query[:2000])]
    roles = {w: w for w in ws}
    if stem is not None and ws:
        known = _filler_stems(stem)
        for w, st in zip(ws, stem(ws)):
            if w not in FILLER and st in known:
                roles[w] = known[st]
    hints = {t for t, names in TYPE_HINTS.items() if names.intersection(roles.values())}
    kept = [w for w in ws if w not in STOP and roles[w] not in FILLER]
    if not kept:
        # NOTE: a query of filler alone ("review", "companies") means itself.
        kept = [w for w in ws if w not in STOP] or ws
        hints = set()
    return Reading(list(dict.fromkeys(kept))[:MAX_QUERY_WORDS], hints)


_FILLER_STEMS: dict[str, str] = {}


# Filler words whose stems are theirs alone, so a misspelling is known by it.
STEMMED_FILLER = ("company", "companies", "study", "studies", "paper", "papers", "abbreviation",
                  "abbreviations", "acronym", "acronyms", "section", "sections", "article", "articles")


def _filler_stems(stem) -> dict[str, str]:
    """Stem -> filler word (companys -> companies)."""
    if not _FILLER_STEMS:
        names = list(STEMMED_FILLER)
        for w, st in zip(names, stem(names)):
            _FILLER_STEMS.setdefault(st, w)
    return _FILLER_STEMS


def query_words(query: str) -> list[str]:
    """The content words of a query."""
    return read_query(query).words


def _stems(cat: Catalog, ws: list[str]) -> list[str]:
    """The index term of each word (words are single tokens already)."""
    stems = cat.tokenize(" ".join(ws))
    if len(stems) != len(ws):
        stems = [(cat.tokenize(w) or [w])[0] for w in ws]
    return stems


@dataclass
class _Term:
    """One query word: its stem, the index terms it matches and their similarity."""

    word: str
    stem: str
    variants: dict[str, float]  # index term -> similarity 0-1
    common: list[str]  # variants found in too many records to read
    weight: float = 0.0
    dfs: dict[str, int] = field(default_factory=dict)  # variant -> records holding it


def _prefix_weight(variant: str, stem: str) -> float:
    return max(PREFIX_FLOOR, 1.0 - PREFIX_STEP * (len(variant) - len(stem)))


def _variants(cat: Catalog, word: str, stem: str) -> tuple[dict[str, float], dict[str, int]]:
    """Index terms similar to a query word's stem, with similarity 0-1 and document counts."""
    out: dict[str, float] = {}
    dfs: dict[str, int] = {}
    df = cat.doc_freq(stem)
    if df:
        out[stem] = 1.0
        dfs[stem] = df
    if stem.isdigit():
        return out, dfs
    if len(stem) >= 3:
        for v, d in cat.prefixed(stem):
            out.setdefault(v, _prefix_weight(v, stem))
            dfs[v] = d
    if not df and len(word) >= 4:
        # NOTE: a word the index knows is no typo; skipping the fuzzy pass
        # then also spares importing rapidfuzz.
        from rapidfuzz import fuzz, process

        for v, s, _ in process.extract(stem, cat.terms_like(stem), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=25):
            # A four-letter word allows a swap (gvdh -> gvhd) but not a
            # changed letter (milk -> mild): both score 75 on ratio.
            if s < FUZZY_CHANGED_LETTER and sorted(v) != sorted(stem):
                continue
            if out.get(v, 0) < s / 100:
                out[v] = s / 100
                dfs[v] = cat.doc_freq(v)
    return out, dfs


def _annotation_postings(cat: Catalog) -> dict[str, list[tuple[int, int, int]]]:
    """(record id, column, offset) of every index term of the user's tags
    (counted as tags) and notes (counted as notes), worked out here: they
    are not in the store, so that changing one never re-indexes it."""
    out: dict[str, list[tuple[int, int, int]]] = {}
    for rid, ann in cat.annotations.items():
        for col, text in ((F_TAG, " ; ".join(ann.get("tags", ()))), (F_TEXT, ann.get("user_note") or "")):
            if text:
                for off, term in enumerate(cat.tokenize(text)):
                    out.setdefault(term, []).append((rid, col, off))
    return out


# Offsets in an annotation never stand next to the record's own words.
_ANNOTATION_PLACE = 100


def search(
    cat: Catalog,
    query: str,
    types: set[str] | None = None,
    limit: int | None = 20,
    min_score: float = MIN_SCORE,
    only: set[int] | None = None,
) -> Hits:
    """Records matching ``query``, best first (``only``: among these ids)."""
    doi = _doi_in(query)
    if doi:
        ids = [i for i in cat.tagged("doi", doi) if (types is None or cat.type_of(i) in types) and (only is None or i in only)]
        if ids:
            hits = Hits(Hit(i, 100.0, [f"doi: {cat.record(i).get('doi')}"]) for i in ids)
            hits.total = len(hits)
            return hits
    reading = read_query(query, lambda ws: _stems(cat, ws))
    if not reading.words:
        return Hits()
    stems = _stems(cat, reading.words)
    terms: list[_Term] = []
    total_docs = max(1, len(cat))
    annotated = _annotation_postings(cat) if cat.annotations else {}
    for w, s in zip(reading.words, stems):
        variants, dfs = _variants(cat, w, s)
        for v, where in annotated.items():
            if v == s or (len(s) >= 3 and not s.isdigit() and v.startswith(s)):
                variants.setdefault(v, 1.0 if v == s else _prefix_weight(v, s))
                dfs[v] = dfs.get(v, 0) + len({rid for rid, _, _ in where})
        common = [v for v in variants if dfs.get(v, 0) > COMMON]
        # NOTE: rarer words weigh more (inverse document frequency), so in
        # "milk exosomes" the word that singles out a record decides.
        df = max((dfs[v] for v, sim in variants.items() if sim >= NEAR_EXACT), default=0) or min(dfs.values(), default=1)
        terms.append(_Term(w, s, variants, common, math.log(1.0 + total_docs / max(1, df)), dfs))
    if not any(t.variants for t in terms):
        return Hits()
    type_codes = None if not types else {i for i, t in enumerate(model.ENTITY_TYPES) if t.name in types}
    n = len(terms)
    best: dict[int, list[float]] = {}
    why: dict[int, list[str]] = {}
    places: dict[int, dict[int, set[tuple[int, int]]]] = {}  # rid -> term index -> (column, offset)

    def credit(rid: int, qi: int, v: str, score: float) -> None:
        row = best.get(rid)
        if row is None:
            row = best[rid] = [0.0] * n
            why[rid] = [""] * n
        if score > row[qi]:
            row[qi] = score
            why[rid][qi] = v

    for qi, t in enumerate(terms):
        for v, sim in t.variants.items():
            if v in t.common:
                continue
            if t.dfs.get(v, 0) > OFFSETS:
                # NOTE: one row per record, its best field, weighed by SQLite.
                for rid, weight in cat.weighted_postings(v, FIELD_WEIGHTS):
                    credit(rid, qi, v, sim * weight)
                continue
            for rid, col, off in cat.postings(v):
                credit(rid, qi, v, sim * FIELD_WEIGHTS[col])
                if sim == 1.0:
                    places.setdefault(rid, {}).setdefault(qi, set()).add((col, off))
            for rid, col, off in annotated.get(v, ()):
                credit(rid, qi, v, sim * FIELD_WEIGHTS[col])
                if sim == 1.0:
                    places.setdefault(rid, {}).setdefault(qi, set()).add((_ANNOTATION_PLACE + col, off))
    at_least = False
    if any(t.common for t in terms):
        at_least = _common_terms(cat, terms, best, credit)
    if type_codes is not None:
        cat.prime(best)
        for rid in [r for r in best if cat.types[r] not in type_codes]:
            del best[rid]
    if only is not None:
        for rid in [r for r in best if r not in only]:
            del best[rid]
    scored = _score(cat, terms, reading, best, places, min_score)
    if not scored and best:
        # NOTE: nothing cleared the bar; rather than answer "nothing", show
        # the records that match any content word, best first.
        scored = _score(cat, terms, reading, best, places, 0.0)

    def order(item: tuple[float, int]) -> tuple:
        score, rid = item
        return (-score, cat.types[rid], -cat.years[rid], cat.keys[rid])

    if limit is not None and len(scored) > 4 * limit:
        import heapq

        top = heapq.nsmallest(limit, scored, key=lambda it: (-it[0], it[1]))
        cut = top[-1][0]
        head = [it for it in scored if it[0] >= cut]
        cat.prime(rid for _, rid in head)
        head.sort(key=order)
        shown = head[:limit]
    else:
        cat.prime(rid for _, rid in scored)
        scored.sort(key=order)
        shown = scored if limit is None else scored[:limit]
    hits = Hits()
    for score, rid in shown:
        matched = explain(cat, cat.record(rid), [v for v in why[rid] if v])
        hits.append(Hit(rid, min(100.0, round(score, 1)), matched))
    hits.total = len(scored)
    hits.at_least = at_least
    return hits


def _common_terms(cat: Catalog, terms: list[_Term], best: dict, credit) -> bool:
    """Credit the words found in too many records to read posting by posting.

    Unless the other words found enough candidates, the records holding all
    the common words (then all but the commonest, and so on), first those
    holding them in a key, alias or name, are picked
    by the index itself (FTS5 intersects the lists), at most COMMON_PICK,
    in store order (bundled data first). Those and the best candidates of
    the other words are then scored on the common words field by field.
    True: the count of hits is a lower bound.
    """
    common = [qi for qi, t in enumerate(terms) if t.common]
    by_rarity = sorted(common, key=lambda qi: min(terms[qi].dfs.get(v, 0) for v in terms[qi].common))
    exprs = {qi: "(" + " OR ".join(f'"{v}"' for v in terms[qi].common) + ")" for qi in common}
    picked: dict[int, None] = {}
    # NOTE: when the rarer words found enough candidates, those are the ones
    # to score; otherwise (a query of common words, or a rare word matching
    # only a few records) the common words pick records of their own.
    for k in range(len(by_rarity), 0, -1) if len(best) < RESCORE else ():
        expr = " AND ".join(exprs[qi] for qi in by_rarity[:k])
        for columns in ("{key alias label} : ", ""):
            for rid in cat.match(columns + "(" + expr + ")", COMMON_PICK - len(picked)):
                picked.setdefault(rid)
            if len(picked) >= COMMON_PICK:
                break
        if len(picked) >= RESCORE:
            break
    top = sorted(best, key=lambda r: -sum(best[r]))[:RESCORE] if best else []
    for rid in dict.fromkeys([*top, *picked]):
        rec = cat.record(rid)
        for qi in common:
            t = terms[qi]
            for v in t.common:
                weight = _field_weight(rec, v)
                if weight:
                    credit(rid, qi, v, t.variants[v] * weight)
    return True


def _weight_fields(et: model.EntityType) -> tuple[tuple[float, tuple[str, ...]], ...]:
    """(weight, field names) per index column after the key, as the schema
    places the type's fields (the user's tags and note included)."""
    placed = [(f.name, column) for f, column in et.searched] + list(model.ANNOTATION_COLUMNS.items())
    return tuple(
        (FIELD_WEIGHTS[i], names)
        for i, column in enumerate(model.INDEX_COLUMNS)
        if i and (names := tuple(name for name, c in placed if c == column))
    )


_WEIGHT_FIELDS = {et.name: _weight_fields(et) for et in model.ENTITY_TYPES}


_GROUPS: dict[tuple[str, str], list[tuple[float, str]]] = {}


def _field_weight(rec: dict, term: str) -> float:
    """The weight of the best field of a record holding an index term (0 if none)."""
    ident = (rec["type"], rec["key"])
    groups = _GROUPS.get(ident)
    if groups is None:
        groups = _GROUPS[ident] = _field_groups(rec)
    probes = [" " + term]
    if len(term) >= 4:
        probes.append(" " + term[:-1])  # a Porter stem may end otherwise (happi: happy)
    for weight, text in groups:
        if any(p in text for p in probes):
            return weight
    return 0.0


def _field_groups(rec: dict) -> list[tuple[float, str]]:
    """(weight, " word word ...") of a record's fields, best first, for prefix probes."""
    out = [(FIELD_WEIGHTS[0], " " + " ".join(key_words(rec["key"])))]
    for weight, names in _WEIGHT_FIELDS[rec["type"]]:
        parts: list[str] = []
        for name in names:
            value = rec.get(name)
            if value is None:
                continue
            for v in value if isinstance(value, list) else [value]:
                parts.append(str(v).split(",")[0] if name == "authors" else str(v))
        if parts:
            folded = fold(" ; ".join(parts))
            out.append((weight, " " + " ".join(words(folded) + letter_runs(folded))))
    return out


def _score(cat: Catalog, terms: list[_Term], reading: Reading, best: dict, places: dict, min_score: float) -> list[tuple[float, int]]:
    """(score, record id) of every candidate scoring at least ``min_score``.

    The word scores come from the index; the bonuses for a name the query
    spells out and for words standing together need the record itself, so
    they are worked out only for the best few hundred candidates.
    """
    # NOTE: a word that matches nothing ("concern") does not count against the others.
    weights = [t.weight if t.variants else 0.0 for t in terms]
    total = sum(weights) or 1.0
    base = [(100.0 * sum(s * w for s, w in zip(row, weights)) / total, rid) for rid, row in best.items()]
    hinted = {model.BY_NAME[h] for h in reading.hints}
    codes = {i for i, t in enumerate(model.ENTITY_TYPES) if t in hinted}
    base.sort(key=lambda t: -t[0])
    head = []
    cat.prime(rid for _, rid in base[:RESCORE])
    whole = reading.whole
    typo = any(t.variants.get(t.stem) is None for t in terms)
    for s, rid in base[:RESCORE]:
        s += EXACT_BONUS * _coverage(cat, rid, whole, typo, reading.words)
        s += _phrase_bonus(places.get(rid), len(terms))
        if codes and cat.types[rid] in codes:
            s += TYPE_BONUS
            if _named_by_a_word(cat, rid, reading.words):
                s += NAMED_BONUS
        head.append((s, rid))
    return [(s, rid) for s, rid in head + base[RESCORE:] if s >= min_score]


def _named_by_a_word(cat: Catalog, rid: int, query_words: list[str]) -> bool:
    """Whether one query word is the record's key, abbreviation, name or alias."""
    rec = cat.record(rid)
    names = {compact(n) for n in [rec["key"], *model.names_of(rec)]}
    return any(w in names for w in query_words)


def _phrase_bonus(where: dict[int, set[tuple[int, int]]] | None, n: int) -> float:
    """A bonus for each pair of consecutive query words that stand together in a field."""
    if not where or n < 2:
        return 0.0
    pairs = 0
    for qi in range(n - 1):
        a, b = where.get(qi), where.get(qi + 1)
        if a and b and any((col, off + 1) in b for col, off in a):
            pairs += 1
    return PHRASE_BONUS * pairs / (n - 1) * min(2, n - 1)


_DOI = re.compile(r"(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)", re.I)


def _doi_in(query: str) -> str | None:
    """The DOI a query consists of, folded, if it is one."""
    m = _DOI.fullmatch(query.strip()[:500])
    return m.group(1).casefold() if m else None


def _coverage(cat: Catalog, rid: int, whole: str, typo: bool = False, query_words: list[str] = ()) -> float:
    """How much of the record's key, name or an alias the query's content is (0-1).

    1 when the query is exactly a name ("gvhd", "what is gvhd", "type 2
    diabetes"); a share when it is part of one ("graft versus host" of
    "graft-versus-host disease"), so the thing named outranks texts that
    merely mention it. A name spelt out by two or more consecutive words of
    the query ("exosomes isolated from body fluids") counts a quarter to a half.
    """
    if not whole:
        return 0.0
    rec = cat.record(rid)
    names = [rec["key"], *model.names_of(rec)]
    best = 0.0
    # A typo in the whole query ("bone marow") still names the record; only
    # asked for when a query word was unknown (so rapidfuzz is loaded anyway).
    fuzzy = None
    if typo:
        from rapidfuzz import fuzz as fuzzy
    runs = {
        "".join(query_words[i:j])
        for i in range(len(query_words))
        for j in range(i + 1, len(query_words) + 1)
        if 2 <= j - i < len(query_words)
    }
    for nm in names:
        c = compact(nm)
        if c and whole in c:
            best = max(best, len(whole) / len(c))
        elif len(c) >= 3 and c in runs:
            best = max(best, NAME_RUN + NAME_RUN * len(c) / len(whole))
        elif c and fuzzy is not None and len(whole) >= 5:
            r = fuzzy.ratio(whole, c)
            if r >= WHOLE_TYPO:
                best = max(best, r / 100 * min(1.0, len(whole) / len(c)))
    # A tag equal to the query (a mechanism such as miR-21) is as good as a name.
    for name in ("mechanisms", "model", "vesicle"):
        if any(compact(v) == whole for v in rec.get(name) or ()):
            best = max(best, TAG_AS_NAME)
    return best


def explain(cat: Catalog, rec: dict, matched_terms: list[str]) -> list[str]:
    """For each matched index term, the first field of the record that holds it."""
    et = model.BY_NAME[rec["type"]]
    out: list[str] = []
    fields: set[str] = set()
    for w in matched_terms:
        where = _field_holding(cat, et, rec, w)
        if where and where.split(":", 1)[0] not in fields:
            fields.add(where.split(":", 1)[0])
            out.append(where)
    return out


def _holds(term: str, text: str) -> bool:
    """Whether a text holds a word the index term (a Porter stem) stands for."""
    for w in _wordset(text):
        if w == term or w.startswith(term) or (len(term) >= 4 and w.startswith(term[:-1]) and len(w) <= len(term) + 4):
            return True
    return False


def _field_holding(cat: Catalog, et: model.EntityType, rec: dict, w: str) -> str | None:
    if w in key_words(rec["key"]) or _holds(w, rec["key"]) and w in words(rec["key"]):
        return f"key: {rec['key']}"
    order = [et.label_field] + [f.name for f in et.fields if f.name != et.label_field]
    # The user's tags and note count too (they are not schema fields).
    fields = [(et.field(name), name) for name in [*order, *model.ANNOTATION_FIELDS] if rec.get(name) is not None]
    # NOTE: the record's own text first; the names of what it links to (a
    # look-up each) only when the word is in none of its fields.
    for _, name in fields:
        value = rec[name]
        for v in value if isinstance(value, list) else [value]:
            v = str(v)
            if name == "authors":
                v = v.split(",")[0]
            if _holds(w, v):
                return f"{name}: {_clip(v, w)}"
    for f, name in fields:
        if f is None or not f.link:
            continue
        value = rec[name]
        for v in value if isinstance(value, list) else [value]:
            rid = cat.lookup(str(v), f.link)
            if rid is None:
                continue
            for t in model.names_of(cat.record(rid)):
                if _holds(w, t):
                    return f"{name}: {v} ({_clip(t, w)})" if fold(t) != fold(str(v)) else f"{name}: {v}"
    return None


_ALNUM = re.compile(r"[a-z]+|[0-9]+")


def _wordset(text: str) -> set[str]:
    """The words of a text plus the letter and digit runs of mixed words (misev2018)."""
    out = set()
    for w in words(text):
        out.add(w)
        if not (w.isalpha() or w.isdigit()):
            out.update(_ALNUM.findall(w))
    return out


def _clip(text: str, word: str, width: int = 60) -> str:
    """A window of about ``width`` characters around the matched word, cut at
    word boundaries, with an ellipsis where text was left out."""
    if len(text) <= width:
        return text
    tokens = text.split()
    at = next((i for i, t in enumerate(tokens) if _holds(word, t)), 0)
    lo = hi = at
    size = len(tokens[at])
    while True:
        grew = False
        if hi + 1 < len(tokens) and size + len(tokens[hi + 1]) + 1 <= width:
            hi += 1
            size += len(tokens[hi]) + 1
            grew = True
        if lo > 0 and size + len(tokens[lo - 1]) + 1 <= width and (hi - at) > (at - lo) - 3:
            lo -= 1
            size += len(tokens[lo]) + 1
            grew = True
        if not grew:
            break
    return ("… " if lo > 0 else "") + " ".join(tokens[lo : hi + 1]) + (" …" if hi < len(tokens) - 1 else "")

