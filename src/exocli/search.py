"""Ranked, typo-tolerant search over every entity type.

Each query word is matched against the catalog's word index, exactly, as a
prefix or (for words of four letters or more) fuzzily, and every match counts
by the field it was found in: a key or an alias counts more than a title, a
title more than a linked tag, a tag more than a note. Linked entities are
indexed under their labels and aliases, so ``gvhd`` finds every study tagged
with graft-versus-host disease even if its title never says GVHD.

Scoring per field, rather than one long string per record, is what keeps a
short query from tying with every long title (rapidfuzz's WRatio caps such
pairs at 60). Returns hits; never prints.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from . import model
from .catalog import FIELD_WEIGHTS, Catalog
from .text import compact, fold, key_words, words

_ALNUM = re.compile(r"[a-z]+|[0-9]+")

WEIGHTS = FIELD_WEIGHTS
RESCORE = 200  # candidates whose exact-name bonus is worked out
STOP = frozenset("a al an and by et for from in into of on or the to with via".split())
EXACT_BONUS = 10.0
MAX_QUERY_WORDS = 12
MAX_WORD = 40


@dataclass
class Hit:
    """One search result: a record id, its score (0-100) and why it matched."""

    rid: int
    score: float
    matched: list[str] = field(default_factory=list)


def parse_types(values: list[str]) -> set[str] | None:
    """`--type` values (singular or plural) as entity type names; None for all."""
    if not values:
        return None
    from .errors import UsageError, quoted  # noqa: PLC0415

    out = set()
    for t in values:
        try:
            out.add(model.entity_type(t.strip().lower()).name)
        except KeyError:
            raise UsageError(
                f"unknown type {quoted(t)}", "choose from: " + ", ".join(e.name for e in model.ENTITY_TYPES)
            ) from None
    return out


def query_words(query: str) -> list[str]:
    """The words of a query worth matching (folded, stop words dropped, bounded)."""
    ws = [w[:MAX_WORD] for w in words(query[:2000])]
    kept = [w for w in ws if w not in STOP] or ws
    return list(dict.fromkeys(kept))[:MAX_QUERY_WORDS]


def _vocab_matches(cat: Catalog, w: str) -> list[tuple[str, float]]:
    """Index words similar to query word ``w``, with a similarity 0-100."""
    out: dict[str, float] = {}
    known = cat.has_word(w)
    if known:
        out[w] = 100.0
    if w.isdigit():
        return list(out.items())
    if len(w) >= 3:
        for v in cat.prefixed(w)[:200]:
            out.setdefault(v, max(80.0, 100.0 - 3.0 * (len(v) - len(w))))
    if len(w) >= 4 and not known:
        # NOTE: a word the index knows is no typo; skipping the fuzzy pass
        # then also spares importing rapidfuzz.
        from rapidfuzz import fuzz, process  # noqa: PLC0415

        for v, s, _ in process.extract(w, cat.vocab, scorer=fuzz.ratio, score_cutoff=75, limit=25):
            # NOTE: a four-letter word allows a swap (gvdh -> gvhd) but not a
            # changed letter (milk -> mild): both score 75 on ratio.
            if s < 80 and sorted(v) != sorted(w):
                continue
            if v not in out or out[v] < s:
                out[v] = float(s)
    return list(out.items())


def search(
    cat: Catalog,
    query: str,
    types: set[str] | None = None,
    limit: int | None = 20,
    min_score: float = 45.0,
) -> list[Hit]:
    """Records matching ``query``, best first."""
    doi = _doi_in(query)
    if doi:
        ids = [i for i in cat.tagged("doi", doi) if types is None or cat.type_of(i) in types]
        if ids:
            return [Hit(i, 100.0, [f"doi: {cat.record(i).get('doi')}"]) for i in ids]
    qwords = query_words(query)
    if not qwords:
        return []
    type_codes = None
    if types:
        type_codes = {i for i, t in enumerate(model.ENTITY_TYPES) if t.name in types}
    n = len(qwords)
    total = max(1, len(cat.keys))
    weights = []
    best: dict[int, list[float]] = {}
    why: dict[int, list[tuple[str, int]]] = {}
    for qi, w in enumerate(qwords):
        matches = _vocab_matches(cat, w)
        # NOTE: rarer words weigh more (inverse document frequency), so in
        # "milk exosomes" the word that singles out a record decides.
        df = max((cat.doc_freq(v) for v, s in matches if s >= 90), default=0) or min(
            (cat.doc_freq(v) for v, _ in matches), default=1
        )
        weights.append(math.log(1.0 + total / max(1, df)))
        for v, sim in matches:
            for packed in cat.postings(v):
                rid, code = divmod(packed, 8)
                if type_codes is not None and cat.types[rid] not in type_codes:
                    continue
                s = sim * WEIGHTS[code]
                row = best.get(rid)
                if row is None:
                    row = best[rid] = [0.0] * n
                    why[rid] = [("", 0)] * n
                if s > row[qi]:
                    row[qi] = s
                    why[rid][qi] = (v, code)
    need = n if n <= 2 else n - 1
    whole = compact(query[:2000])
    typo = any(not cat.has_word(w) and len(w) >= 4 and not w.isdigit() for w in qwords)
    scored = _score(cat, best, why, weights, need, whole, min_score, typo)
    if not scored and best:
        # NOTE: nothing cleared the bar; rather than answer "nothing", show
        # weaker matches (a paraphrase may have lost a word of the query).
        scored = _score(cat, best, why, weights, need, whole, min_score * 0.6, typo)

    def order(item: tuple[float, int]) -> tuple:
        score, rid = item
        return (-score, cat.types[rid], -cat.years[rid], cat.keys[rid])

    if limit is not None and len(scored) > 4 * limit:
        import heapq  # noqa: PLC0415

        scored = heapq.nsmallest(limit, scored, key=order)
    scored.sort(key=order)
    if limit is not None:
        scored = scored[:limit]
    hits = []
    for score, rid in scored:
        matched = explain(cat, cat.record(rid), [v for v, _ in why[rid] if v])
        hits.append(Hit(rid, min(100.0, round(score, 1)), matched))
    return hits


def _score(cat, best, why, weights, need, whole, min_score, typo=False) -> list[tuple[float, int]]:
    """(score, record id) of every candidate that matched enough query words.

    The word scores come from the index; the bonus for a query that is (part
    of) a record's name needs the record itself, so it is worked out only for
    the best few hundred candidates.
    """
    total = sum(weights) or 1.0
    base = []
    for rid, row in best.items():
        if need > 1 and sum(1 for s in row if s > 0) < need:
            continue
        base.append((sum(s * w for s, w in zip(row, weights)) / total, rid))
    if whole:
        base.sort(key=lambda t: -t[0])
        head = [(s + EXACT_BONUS * _coverage(cat, rid, whole, typo), rid) for s, rid in base[:RESCORE]]
        base = head + base[RESCORE:]
    return [(s, rid) for s, rid in base if s >= min_score]


_DOI = re.compile(r"(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)", re.I)


def _doi_in(query: str) -> str | None:
    """The DOI a query consists of, folded, if it is one."""
    m = _DOI.fullmatch(query.strip()[:500])
    return m.group(1).casefold() if m else None


def _coverage(cat: Catalog, rid: int, whole: str, typo: bool = False) -> float:
    """How much of the record's key, label or an alias the whole query is (0-1).

    1 when the query is exactly a name ("gvhd", "type 2 diabetes"); a share
    when it is part of one ("graft versus host" of "graft-versus-host
    disease"), so the thing named outranks texts that merely mention it.
    """
    rec = cat.record(rid)
    names = [cat.keys[rid]]
    for name in ("name", "title", "abbreviation", "expansion"):
        if isinstance(rec.get(name), str):
            names.append(rec[name])
    names += list(rec.get("aliases") or ()) + list(rec.get("products") or ())
    best = 0.0
    # A typo in the whole query ("bone marow") still names the record; only
    # asked for when a query word was unknown (so rapidfuzz is loaded anyway).
    fuzzy = None
    if typo:
        from rapidfuzz import fuzz as fuzzy  # noqa: PLC0415
    for n in names:
        c = compact(n)
        if c and whole in c:
            best = max(best, len(whole) / len(c))
        elif c and fuzzy is not None and len(whole) >= 5:
            r = fuzzy.ratio(whole, c)
            if r >= 88:
                best = max(best, r / 100 * min(1.0, len(whole) / len(c)))
    # A tag equal to the query (a mechanism such as miR-21) is as good as a name.
    for name in ("mechanisms", "model", "vesicle"):
        if any(compact(v) == whole for v in rec.get(name) or ()):
            best = max(best, 0.8)
    return best


def explain(cat: Catalog, rec: dict, matched_words: list[str]) -> list[str]:
    """For each matched word, the first field of the record that holds it."""
    et = model.BY_NAME[rec["type"]]
    out: list[str] = []
    fields: set[str] = set()
    for w in matched_words:
        where = _field_holding(cat, et, rec, w)
        if where and where.split(":", 1)[0] not in fields:
            fields.add(where.split(":", 1)[0])
            out.append(where)
    return out


def _field_holding(cat: Catalog, et: model.EntityType, rec: dict, w: str) -> str | None:
    if w in words(rec["key"]) or w in key_words(rec["key"]):
        return f"key: {rec['key']}"
    order = [et.label_field] + [f.name for f in et.fields if f.name != et.label_field]
    for name in order:
        f = et.field(name)
        value = rec.get(name)
        if f is None or value is None:
            continue
        values = value if isinstance(value, list) else [value]
        for v in values:
            if not isinstance(v, str):
                v = str(v)
            if name == "authors":
                v = v.split(",")[0]
            if w in _wordset(v):
                return f"{name}: {_clip(v, w)}"
            if f.link:
                rid = cat.lookup(v, f.link)
                if rid is not None:
                    linked = cat.record(rid)
                    texts = [linked.get("name") or linked.get("title") or ""]
                    texts += list(linked.get("aliases") or ()) + [linked.get("abbreviation") or ""]
                    for t in texts:
                        if w in _wordset(t):
                            return f"{name}: {v} ({_clip(t, w)})" if fold(t) != fold(v) else f"{name}: {v}"
    return None


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
    at = next((i for i, t in enumerate(tokens) if word in _wordset(t)), 0)
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
