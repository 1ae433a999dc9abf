"""Filters: turning what a user typed into keys, and keys into records.

A filter value may be a key, a name, an abbreviation, an alias or a near
miss (``--disease "type 2 diabetes"``, ``--disease t2dm``, ``--source
adipose``). `resolve` says what it understood (a `Resolution`) so the CLI can
tell the user on stderr; a value matching nothing raises `NotFound` with the
closest candidates. Returns record ids; never prints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import model
from .catalog import Catalog
from .errors import NotFound, UsageError, quoted
from .text import compact, fold, words


# rapidfuzz cut-offs for reading filter values (0-100).
WORD_CLOSE = 85  # one word of a name nearly spelt (diabetis -> diabetes)
VALUE_CLOSE = 82  # the whole value, in any word order ("diabetes type 2")
# "Did you mean" when nothing matched: a name spelt nearly the same, or one
# the value is a good part of, never a short name that merely shares two
# letters with it (--disease banana is not "ra").
SUGGEST_CLOSE = 60  # plain ratio of the value to a name
SUGGEST_PART = 70  # weighted ratio, for names at least half as long as the value

@dataclass
class Resolution:
    """What a loose filter value was taken to mean."""

    what: str  # "disease", "source", ...
    value: str
    keys: list[str]
    exact: bool
    via: str = ""  # how, when not by name: "category cardiovascular"

    def describe(self) -> str:
        how = f"{self.via}: " if self.via else ""
        return f"{self.what} {quoted(self.value)} -> {how}{', '.join(self.keys)}"


def _candidates(cat: Catalog, type_name: str) -> list[tuple[str, list[str]]]:
    """(key, names a user may type) for each record of a type, including the
    glossary terms that name it (MSC-exosomes -> msc, NSCLC -> lung-cancer)."""
    out: dict[str, list[str]] = {}
    for rid in cat.ids(type_name):
        r = cat.record(rid)
        out[r["key"]] = [r["key"], *model.names_of(r)]
    # A record of another type that names one of these (a glossary term's
    # `disease = "lung-cancer"`) lends it its names.
    for other in model.ENTITY_TYPES:
        pointer = other.link_to(type_name)
        if pointer is None or pointer.kind != "str" or other.name == type_name:
            continue
        for tid in cat.ids(other.name):
            t = cat.record(tid)
            if t.get(pointer.name) in out:
                out[t[pointer.name]] += [t.get(f.name) or "" for f in other.name_fields if f.kind == "str"]
    return list(out.items())


# Spellings that mean the same word, for filter values (British, Greek, long forms).
SYNONYMS = {
    "microrna": "mir", "mirna": "mir", "micrornas": "mir", "interleukin": "il", "kappab": "kb",
    "tumour": "tumor", "tumours": "tumors", "anaemia": "anemia", "haematopoietic": "hematopoietic",
    "ii": "2", "iii": "3", "paediatric": "pediatric", "oesophageal": "esophageal",
}


_RUNS = re.compile(r"[0-9]+|[^\W\d_]+")


def norm_words(text: str) -> list[str]:
    """The words of a text with synonymous spellings made one, and mixed words
    in their letter and digit runs (mir21 -> mir 21, Wnt4 -> wnt 4), so a value
    is found however it is punctuated."""
    out = []
    for w in words(text):
        for part in _RUNS.findall(w) if not (w.isalpha() or w.isdigit()) else [w]:
            out.append(SYNONYMS.get(part, part))
    return out


def resolve_names(what: str, value: str, candidates: list[tuple[str, list[str]]]) -> Resolution:
    """Resolve ``value`` against (key, names) candidates.

    Exact (folded, punctuation-blind) matches win; then a value that is a
    whole word or phrase of several names selects all of them (``diabetes``
    -> t1dm, t2dm; a mechanism also takes the compound names that contain it,
    ``AKT`` -> Akt, VEGF/SRC/AKT/ERK); then a single word that starts or
    nearly spells a word of the names; then the best fuzzy match of the whole
    value; else NotFound with the closest candidates.
    """
    v = compact(value)
    if not v:
        listing = f"`exo {_plural(what)}` lists them" if what in model.BY_NAME else "choose from: " + ", ".join(
            sorted({k for k, _ in candidates})[:20]
        )
        raise UsageError(f"empty {what} value", f"give a {what} key or name; {listing}")
    vw = norm_words(value)
    joined = {k: [" ".join(norm_words(n)) for n in names] for k, names in candidates}
    exact = [k for k, names in candidates if any(compact(n) == v for n in names)]
    exact += [k for k, names in joined.items() if vw and " ".join(vw) in names and k not in exact]
    phrase = []
    if vw:
        pat = re.compile(r"(?:^|\s)" + re.escape(" ".join(vw)) + r"(?:\s|$)")
        phrase = [k for k, names in joined.items() if any(pat.search(n) for n in names)]
    if exact:
        if what == "mechanism":
            exact += [k for k in phrase if k not in exact]
        return Resolution(what, value, list(dict.fromkeys(exact)), True)
    if phrase:
        return Resolution(what, value, list(dict.fromkeys(phrase)), False)
    from rapidfuzz import fuzz, process

    if len(vw) == 1 and len(vw[0]) >= 4:
        word = vw[0]
        close = [
            k
            for k, names in joined.items()
            if any(w.startswith(word) or (len(w) >= 4 and fuzz.ratio(word, w) >= WORD_CLOSE) for n in names for w in n.split())
        ]
        if close:
            return Resolution(what, value, list(dict.fromkeys(close)), False)
    flat: dict[str, str] = {}
    for k, names in joined.items():
        for n in names:
            flat.setdefault(n, k)
    # Word order does not matter ("diabetes type 2"); near-ties all count.
    found = process.extract(" ".join(vw)[:200], list(flat), scorer=fuzz.token_sort_ratio, score_cutoff=VALUE_CLOSE, limit=10)
    if found:
        top = found[0][1]
        keys = list(dict.fromkeys(flat[f[0]] for f in found if f[1] >= top - 2))
        return Resolution(what, value, keys, False)
    q = " ".join(vw)[:200]
    near = process.extract(q, list(flat), scorer=fuzz.ratio, limit=8, score_cutoff=SUGGEST_CLOSE)
    near += process.extract(q, [n for n in flat if len(n) * 2 >= len(q)], scorer=fuzz.WRatio, limit=8, score_cutoff=SUGGEST_PART)
    suggestions = list(dict.fromkeys(flat[n[0]] for n in near))[:3]
    listed = f"`exo {_plural(what)}` lists them" if what in model.BY_NAME else "choose from: " + ", ".join(
        sorted({k for k, _ in candidates})[:20]
    )
    raise NotFound(what, value, suggestions, listed)


def _plural(what: str) -> str:
    et = model.BY_NAME.get(what)
    return et.plural if et else what + "s"


def resolve(cat: Catalog, what: str, value: str) -> Resolution:
    """Resolve a filter value for ``what`` (disease, source, topic, mechanism, evidence, kind, area, category)."""
    if what in model.BY_NAME:
        return resolve_names(what, value, _candidates(cat, what))
    if what == "mechanism":
        names = sorted({m for rid in cat.ids("study") for m in cat.record(rid).get("mechanisms") or ()})
        return resolve_names(what, value, [(m, [m]) for m in names])
    choices = _closed_set(what)
    if choices is None:
        raise UsageError(f"unknown filter {what!r}")
    names = model.CHOICE_ALIASES.get(what, {})
    return resolve_names(what, value, [(c, [c, *names.get(c, ())]) for c in choices])


def _closed_set(what: str) -> tuple[str, ...] | None:
    """The values a closed-set field named ``what`` (or its plural) may take, from the schema."""
    for et in model.ENTITY_TYPES:
        for name in (what, what + "s"):
            f = et.field(name)
            if f is not None and f.choices:
                return f.choices
    return None


YEAR_RE = re.compile(r"^\s*(\d{4})?\s*(\.\.|-|:)?\s*(\d{4})?\s*$")


def parse_years(value: str) -> tuple[int, int]:
    """``2018``, ``2017..2019``, ``2017..`` or ``..2019`` as an inclusive range."""
    m = YEAR_RE.match(value or "")
    if not m or not (m.group(1) or m.group(3)) or (m.group(2) is None and m.group(3)):
        raise UsageError(
            f"invalid year {quoted(value)}", "use a year (2018) or a range (2017..2019, 2017.., ..2019)"
        )
    lo = int(m.group(1)) if m.group(1) else 0
    hi = int(m.group(3)) if m.group(3) else (9999 if m.group(2) else lo)
    if lo > hi:
        raise UsageError(f"invalid year range {quoted(value)}: {lo} is after {hi}", "put the earlier year first")
    return lo, hi


@dataclass
class StudyFilter:
    """The filters of `exo studies`; values as typed by the user."""

    diseases: list[str]
    sources: list[str]
    topics: list[str]
    mechanisms: list[str]
    evidence: list[str]
    kinds: list[str]
    years: list[str]
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    curated: bool = False  # leave out what `exo import` suggested (the fields a study names in `suggested`)


# The study field each filter reads: a link (--disease reads `diseases`) or a value.
LINKED = {f.link: f.name for f in model.STUDY.fields if f.link}
VALUED = {"mechanism": "mechanisms", "evidence": "evidence", "kind": "kind"}
# The study field each filter reads, where `exo import` may have suggested it.
SUGGESTABLE_BY = {"disease": "diseases", "category": "diseases", "source": "sources", "mechanism": "mechanisms", "evidence": "evidence"}


def with_tags(cat: Catalog, values: list[str]) -> set[int]:
    """Ids of the records carrying any of the user's tags ``values`` (`--tag`).

    A tag no record carries is NotFound, with the closest tags there are.
    """
    tags = cat.tag_counts()
    folded = {t.casefold() for t in tags}
    for v in values:
        if not v.strip():
            raise UsageError("empty tag", "give a tag; `exo tags` lists them")
        if v.strip().casefold() not in folded:
            from .loader import close_matches

            listed = "`exo tags` lists your tags" if tags else "no record has a tag yet; `exo tag KEY TAG` adds one"
            raise NotFound("tag", v, close_matches(v, list(tags)), listed)
    return cat.with_tags(v.strip() for v in values)

def tag_objects(cat: Catalog) -> list[dict]:
    """The user's tags, most used first, each with the keys of the records carrying it (`exo tags`)."""
    counts = cat.tag_counts()
    order = sorted(counts, key=lambda t: (-len(counts[t]), t.casefold()))
    return [{"type": "tag", "key": t, "count": len(counts[t]), "records": cat.key_list(counts[t])} for t in order]


def resolve_linked(cat: Catalog, what: str, value: str) -> Resolution:
    """`resolve` for a disease, source or topic.

    A disease value that is not a disease's name but is a body system
    (``--disease cardiovascular``, ``--disease lung``) means the diseases of
    that category, with any diseases it loosely names (lung cancer).
    """
    if what != "disease":
        return resolve(cat, what, value)
    try:
        res = resolve(cat, what, value)
    except NotFound as e:
        res, err = None, e
    if res is not None and res.exact:
        return res
    category = next((c.value for c in model.Category if compact(c.value) == compact(value)), None)
    if category is not None:
        keys = in_categories(cat, [category])
        if res is not None:
            keys += [k for k in res.keys if k not in keys]
        if keys:
            return Resolution(what, value, keys, False, via=f"category {category}")
    if res is None:
        try:
            near = resolve(cat, "category", value)
        except (NotFound, UsageError):
            near = None
        if near is not None:
            said = f"for a body system: --category {near.keys[0]}"
            raise NotFound(err.what, err.value, err.suggestions, said, also=said) from None
        raise err
    return res


def with_narrower(cat: Catalog, what: str, keys) -> list[str]:
    """The keys and every key below them: cancer its subtypes, msc every MSC
    source, a section its subsections. A broader value always means this."""
    out: list[str] = []
    for key in keys:
        for k in [key, *descendants(cat, what, key)]:
            if k not in out:
                out.append(k)
    return out


def in_categories(cat: Catalog, categories) -> list[str]:
    """Keys of the diseases of the given body systems."""
    wanted = set(categories)
    return [cat.keys[i] for i in cat.ids("disease") if cat.record(i).get("category") in wanted]


def filter_studies(cat: Catalog, flt: StudyFilter) -> tuple[list[int], list[Resolution]]:
    """Ids of studies passing every filter (values of one filter OR, filters AND)."""
    ids: set[int] | None = None  # NOTE: all studies, built only if no filter narrows them
    notes: list[Resolution] = []
    groups = [
        ("disease", flt.diseases),
        ("category", flt.categories),
        ("source", flt.sources),
        ("topic", flt.topics),
        ("mechanism", flt.mechanisms),
        ("evidence", flt.evidence),
        ("kind", flt.kinds),
    ]
    for what, values in groups:
        if not values:
            continue
        allowed: set[int] = set()
        for value in values:
            res = resolve_linked(cat, what, value) if what in LINKED else resolve(cat, what, value)
            notes.append(res)
            if what in LINKED:
                for k in with_narrower(cat, what, res.keys):
                    allowed.update(cat.tagged(LINKED[what], k, "study"))
            elif what == "category":
                for k in in_categories(cat, res.keys):
                    allowed.update(cat.tagged("diseases", k, "study"))
            else:
                for key in res.keys:
                    allowed.update(cat.tagged(VALUED[what], key, "study"))
        if flt.curated and what in SUGGESTABLE_BY:
            allowed -= set(cat.tagged("suggested", SUGGESTABLE_BY[what], "study"))
        ids = allowed if ids is None else ids & allowed
    if flt.years:
        in_years: set[int] = set()
        for lo, hi in (parse_years(v) for v in flt.years):
            in_years |= cat.years_between(lo, hi)
        ids = in_years if ids is None else ids & in_years
    if flt.tags:
        tagged = {i for i in with_tags(cat, flt.tags) if cat.type_of(i) == "study"}
        ids = tagged if ids is None else ids & tagged
    return sorted(set(cat.ids("study")) if ids is None else ids), notes


def descendants(cat: Catalog, type_name: str, key: str) -> list[str]:
    """Keys of the records of a type below ``key`` through their parents."""
    out: list[str] = []
    seen = {key}
    todo = [key]
    while todo:
        for rid in cat.tagged("parent", todo.pop(), type_name):
            k = cat.keys[rid]
            if k not in seen:
                seen.add(k)
                out.append(k)
                todo.append(k)
    return out


SORTS = model.STUDY_SORTS


def sort_ids(cat: Catalog, ids: list[int], sort: str | None, reverse: bool = False) -> list[int]:
    """Order ids by a field; None keeps the data's own order."""
    if sort is None or sort == "key":
        out = sorted(ids) if sort is None else sorted(ids, key=lambda i: cat.keys[i].casefold())
    elif sort == "year":
        out = sorted(ids, key=lambda i: (cat.years[i], cat.keys[i].casefold()))
    elif sort in ("title", "journal"):
        out = sorted(ids, key=lambda i: fold(str(cat.record(i).get(sort) or "")))
    elif sort == "first-author":
        out = sorted(ids, key=lambda i: fold((cat.record(i).get("authors") or [""])[0]))
    else:
        raise UsageError(f"unknown sort {quoted(sort)}", "choose from: " + ", ".join(SORTS))
    return out[::-1] if reverse else out


# -- listings -----------------------------------------------------------------------


def text_filter(cat: Catalog, ids: list[int], text: str, type_name: str) -> list[int]:
    """The ids that also match free text, best match first."""
    if not text.strip():
        return ids
    from .search import search

    keep = set(ids)
    return [h.rid for h in search(cat, text, {type_name}, limit=None) if h.rid in keep]


def study_listing(
    cat: Catalog,
    flt: StudyFilter,
    text: str = "",
    sort: str | None = None,
    reverse: bool = False,
    limit: int | None = None,
) -> tuple[list[int], list[Resolution]]:
    """`exo studies`: filters, then free text (ranked), then order and limit."""
    ids, notes = filter_studies(cat, flt)
    if text.strip():
        ranked = text_filter(cat, ids, text, "study")
        ids = sort_ids(cat, ranked, sort, reverse) if sort else (ranked[::-1] if reverse else ranked)
    else:
        ids = sort_ids(cat, ids, sort, reverse)
    return (ids[:limit] if limit else ids), notes


# (option name, what the values are resolved as, record field they must meet)
LISTING_FILTERS = {
    "disease": {"category": ("category", "category")},
    "company": {"area": ("area", "areas"), "disease": ("disease", "diseases"), "category": ("category", "diseases")},
}


def _phrase_re(text: str) -> re.Pattern | None:
    """A pattern finding the words of ``text``, whole, in words joined by spaces."""
    ws = words(text)
    return re.compile(r"(?:^|\s)" + re.escape(" ".join(ws)) + r"(?:\s|$)") if ws else None


def _conditions_text(rec: dict) -> str:
    return " | ".join(" ".join(words(c)) for c in rec.get("conditions") or ())


def _in_conditions(cat: Catalog, ids: list[int], value: str) -> bool:
    pat = _phrase_re(value)
    return pat is not None and any(pat.search(_conditions_text(cat.record(i))) for i in ids)


def conditions_naming(cat: Catalog, text: str) -> list[int]:
    """Ids of the companies whose Table 1 conditions hold the words of ``text``."""
    pat = _phrase_re(text)
    if pat is None:
        return []
    return [i for i in cat.ids("company") if pat.search(_conditions_text(cat.record(i)))]


def _names_of(cat: Catalog, type_name: str, key: str) -> list[str]:
    i = cat.lookup(key, type_name)
    if i is None:
        return [key]
    return model.names_of(cat.record(i)) or [key]


def listing(
    cat: Catalog,
    type_name: str,
    text: str = "",
    filters: dict[str, list[str]] | None = None,
    flags: dict[str, bool | None] | None = None,
    tags: list[str] | None = None,
) -> tuple[list[int], list[Resolution]]:
    """Any listing but studies: value filters (OR within, AND across), flags, text.

    ``filters`` maps an option of `LISTING_FILTERS` to the values typed;
    ``flags`` maps a boolean field to the value it must have (None: any);
    ``tags``: only records carrying one of the user's tags.
    Topics come in the review's reading order.
    """
    ids = cat.ids(type_name)
    if tags:
        tagged = with_tags(cat, tags)
        ids = [i for i in ids if i in tagged]
    if type_name == "topic":
        ids.sort(key=lambda i: cat.record(i).get("order") or 0)
    notes: list[Resolution] = []
    for option, values in (filters or {}).items():
        if not values:
            continue
        what, field_name = LISTING_FILTERS[type_name][option]
        wanted: set[str] = set()
        phrases: list[re.Pattern] = []
        for v in values:
            conditions = type_name == "company" and option == "disease"
            try:
                res = resolve_linked(cat, what, v) if what == "disease" else resolve(cat, what, v)
            except NotFound:
                # Table 1 names conditions no study covers (autism, epilepsy):
                # a disease value may match those words instead.
                if conditions and _in_conditions(cat, ids, v):
                    phrases.append(_phrase_re(v))
                    continue
                raise
            notes.append(res)
            if what == "disease":
                # Narrower diseases count (Exovita's breast cancer is cancer).
                wanted.update(with_narrower(cat, "disease", res.keys))
            elif what == "category" and field_name == "diseases":
                wanted.update(in_categories(cat, res.keys))
            else:
                wanted.update(res.keys)
            if conditions:
                # A condition Table 1 names keeps matching its own words even
                # when a folder adds a disease of that name ([epilepsy]).
                for name in [v, *(n for k in res.keys for n in _names_of(cat, "disease", k))]:
                    pat = _phrase_re(name)
                    if pat is not None:
                        phrases.append(pat)

        def meets(i: int, field_name: str = field_name, wanted: set[str] = wanted, phrases=phrases) -> bool:
            rec = cat.record(i)
            value = rec.get(field_name)
            values = value if isinstance(value, list) else [value]
            if wanted.intersection(values):
                return True
            said = _conditions_text(rec)
            return bool(said) and any(p.search(said) for p in phrases)

        ids = [i for i in ids if meets(i)]
    for name, want in (flags or {}).items():
        if want is not None:
            ids = [i for i in ids if bool(cat.record(i).get(name)) == want]
    return text_filter(cat, ids, text, type_name), notes
