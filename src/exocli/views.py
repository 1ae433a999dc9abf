"""Composite views of the catalog: a record with everything linked to it,
the evidence map and the statistics. Pure data in, small dataclasses out;
`output` renders them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from . import model
from .catalog import Catalog
from .errors import UsageError, quoted


@dataclass
class EvidenceSummary:
    """How many studies, at which evidence levels, over which years."""

    studies: int
    evidence: dict[str, int]  # level (or "not stated") -> studies, in the schema's order
    years: list[int]  # [first, last], or [] with no dated study

    def line(self) -> str:
        """"4 studies (2 animal, 2 not stated), 2014-2018"."""
        if not self.studies:
            return "no studies"
        parts = ", ".join(f"{n} {k}" for k, n in self.evidence.items())
        first, last = self.years[0], self.years[-1]
        span = f"{first}" if first == last else f"{first}-{last}"
        return f"{self.studies} stud{'y' if self.studies == 1 else 'ies'} ({parts}), {span}"


@dataclass(frozen=True)
class Ref:
    """A linked record as a detail view lists it."""

    type: str
    key: str
    label: str


@dataclass
class Detail:
    """A record plus everything linked to it (`exo show`).

    ``links`` maps a relation ("studies", "diseases", "cited_in"...) to the
    records it holds, in order; broader records take in their narrower ones'.
    """

    record: dict
    links: dict[str, list[Ref]] = field(default_factory=dict)
    evidence: EvidenceSummary | None = None  # diseases, sources and sections
    url: str | None = None  # its DOI link: where a study (or the review) can be read


def evidence_summary(cat: Catalog, study_ids: list[int]) -> EvidenceSummary:
    """How many studies, at which evidence levels, over which years."""
    recs = [cat.record(i) for i in study_ids]
    levels = Counter(r.get("evidence") or model.NOT_STATED for r in recs)
    years = sorted(r["year"] for r in recs if isinstance(r.get("year"), int))
    order = [e.value for e in model.Evidence] + [model.NOT_STATED]
    return EvidenceSummary(len(recs), {k: levels[k] for k in order if levels.get(k)}, [years[0], years[-1]] if years else [])


def detail(cat: Catalog, rid: int) -> Detail:
    """A record plus everything linked to it, by key, grouped by relation.

    Records of a type studies link to (diseases, sources, sections) also get
    an evidence summary of their studies.
    """
    rec = cat.record(rid)
    view = Detail(rec)
    links = view.links

    def add(name: str, ids) -> None:
        seen = {x.key for x in links.get(name, [])}
        for i in ids:
            if cat.keys[i] not in seen:
                r = cat.record(i)
                links.setdefault(name, []).append(Ref(r["type"], r["key"], model.label(r)))
                seen.add(cat.keys[i])

    et = model.BY_NAME[rec["type"]]
    # Outgoing links (the record's own tags).
    for f in et.fields:
        if f.link and rec.get(f.name):
            values = rec[f.name] if isinstance(rec[f.name], list) else [rec[f.name]]
            add(f.shown_as or f.name, [i for i in (cat.lookup(v, f.link) for v in values) if i is not None])
    # Incoming links.
    incoming = cat.linked_from(rec)
    study_field = model.STUDY.link_to(rec["type"])
    if study_field is not None:
        # As the filters do, a broader record takes in its narrower ones'
        # studies and companies (cancer its subtypes, msc every MSC tissue,
        # a section its subsections).
        from .query import conditions_naming, descendants

        narrower = descendants(cat, rec["type"], rec["key"]) if et.parent is not None else []
        for other in model.ENTITY_TYPES:
            linking = other.link_to(rec["type"])
            # NOTE: many-valued links are tags (a study's diseases); a single
            # one (a term's disease) names only that record.
            if linking is None or other is et or linking.kind != "list":
                continue
            ids = list(incoming.get(other.plural, []))
            for k in narrower:
                ids += [i for i in cat.tagged(linking.name, k) if cat.type_of(i) == other.name]
            if other.name == "company" and rec["type"] == "disease":
                # A condition Table 1 names, such as a user's [epilepsy].
                ids += conditions_naming(cat, rec.get("name") or rec["key"])
            if ids or other is model.STUDY:
                incoming[other.plural] = sorted(set(ids))
    for name, ids in incoming.items():
        add(et.narrower if name == "children" else name, sorted(ids))
    if study_field is not None:
        view.evidence = evidence_summary(cat, incoming["studies"])
    if rec["type"] == "disease":
        # Sources of the studies on this disease, and the companies naming it.
        src = Counter()
        for i in incoming.get("studies", []):
            for s in cat.record(i).get("sources") or ():
                src[s] += 1
        add("sources", [i for i in (cat.lookup(k, "source") for k, _ in src.most_common()) if i is not None])
    if rec.get("doi"):
        view.url = "https://doi.org/" + rec["doi"]  # a study's, or the review's own
    return view


def link_of(rec: dict) -> str | None:
    """Where a record can be read: its DOI link, else the URL it was imported with."""
    if rec.get("doi"):
        return "https://doi.org/" + rec["doi"]
    url = rec.get("url")
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None


# -- evidence map -----------------------------------------------------------

AXES = model.MAP_AXES


def _axis(axis: str) -> tuple[str, model.Field, model.Field | None]:
    """How a study gets its values on an axis, from the schema: (kind, field, via).

    "link": a field linking to the type named (source, disease, topic);
    "own": a study field of that name (evidence, kind, year, vesicle);
    "via": a closed-set field of a type the study links to (a disease's category).
    """
    study = model.STUDY
    f = study.link_to(axis)
    if f is not None:
        return "link", f, None
    f = study.field(axis) or study.field(axis + "s")
    if f is not None and not f.link:
        return "own", f, None
    for link in study.fields:
        target = model.BY_NAME.get(link.link) if link.link else None
        g = target.field(axis) if target is not None else None
        if g is not None and g.choices:
            return "via", g, link
    raise UsageError(f"unknown axis {quoted(axis)}", "choose from: " + ", ".join(AXES))


def _axis_values(cat: Catalog, rec: dict, axis: str) -> list[str]:
    how, f, via = _axis(axis)
    if how == "via":
        out = []
        for k in rec.get(via.name) or ():
            i = cat.lookup(k, via.link)
            if i is not None and cat.record(i).get(f.name):
                out.append(cat.record(i)[f.name])
        return list(dict.fromkeys(out))
    value = rec.get(f.name)
    if how == "link" or f.kind == "list":
        return list(value or ())
    if f.kind == "int":
        return [str(value)] if value else []
    # A study with no value (no evidence level, no kind) is counted, as "not stated".
    return [value or model.NOT_STATED]


def _axis_order(cat: Catalog, axis: str, seen: set[str]) -> list[str]:
    how, f, _ = _axis(axis)
    if how == "link":
        base = [cat.keys[i] for i in cat.ids(axis)]
    elif f.choices:
        base = [*f.choices, model.NOT_STATED]
    else:
        base = sorted(seen)
    return [b for b in base if b in seen]


@dataclass
class EvidenceMap:
    """Counts of studies per (row value, column value), with the study keys.

    A cell holds the studies tagged with the row value and with at least one
    column value (for categories: at least one disease of that category).
    """

    rows: str  # the row axis ("source")
    cols: str  # the column axis ("category")
    row_keys: list[str]
    col_keys: list[str]
    cells: dict[tuple[str, str], list[str]]
    labels: dict[str, str]  # what a broader value's row holds: "msc, tissue not stated"

    def count(self, row: str, col: str) -> int:
        return len(self.cells.get((row, col), ()))

    def row_studies(self, row: str) -> set[str]:
        """The studies of a row (in any of its cells), counted once."""
        return {k for c in self.col_keys for k in self.cells.get((row, c), ())}

    def objects(self) -> list[dict]:
        """One object per non-empty cell: {rows-axis: r, cols-axis: c, count, studies}."""
        out = []
        for r in self.row_keys:
            for c in self.col_keys:
                keys = self.cells.get((r, c))
                if keys:
                    out.append({self.rows: r, self.cols: c, "count": len(keys), "studies": keys})
        return out


def evidence_map(cat: Catalog, rows: str = "source", cols: str = "category", msc_only: bool = False) -> EvidenceMap:
    """The evidence map of every study over two axes.

    A broader value's row holds only the studies tagged with it, since its
    narrower values have rows of their own; ``labels`` says so ("msc, tissue
    not stated"). With ``msc_only``, a source axis keeps only MSC sources.
    """
    for axis in (rows, cols):
        if axis not in AXES:
            raise UsageError(f"unknown axis {quoted(axis)}", "choose from: " + ", ".join(AXES))
    if rows == cols:
        raise UsageError("rows and columns must be different axes")
    cells: dict[tuple[str, str], list[str]] = {}
    row_seen: set[str] = set()
    col_seen: set[str] = set()

    def kept(axis: str, value: str) -> bool:
        if not (msc_only and axis == "source"):
            return True
        si = cat.lookup(value, "source")
        return si is not None and bool(cat.record(si).get("msc"))

    for i in cat.ids("study"):
        rec = cat.record(i)
        for r in _axis_values(cat, rec, rows):
            if not kept(rows, r):
                continue
            for c in _axis_values(cat, rec, cols):
                if not kept(cols, c):
                    continue
                cells.setdefault((r, c), []).append(rec["key"])
                row_seen.add(r)
                col_seen.add(c)
    row_keys = _axis_order(cat, rows, row_seen)
    col_keys = _axis_order(cat, cols, col_seen)
    labels = {**{k: exact_label(cat, rows, k) for k in row_keys}, **{k: exact_label(cat, cols, k) for k in col_keys}}
    return EvidenceMap(rows, cols, row_keys, col_keys, cells, labels)


# What a map row or column of a broader record holds: only the studies tagged
# with it, not those of its narrower records (which have their own rows).
EXACT = {"source": "tissue not stated", "disease": "type not stated", "topic": "not in a subsection"}


def exact_label(cat: Catalog, axis: str, key: str) -> str:
    """``key``, or "msc, tissue not stated" where the key has narrower records."""
    if axis not in EXACT:
        return key
    from .query import descendants

    return f"{key}, {EXACT[axis]}" if descendants(cat, axis, key) else key


# -- stats ------------------------------------------------------------------


def _parents(cat: Catalog, type_name: str) -> dict[str, str]:
    return {cat.keys[i]: cat.record(i)["parent"] for i in cat.ids(type_name) if cat.record(i).get("parent")}


def _with_broader(keys, parents: dict[str, str]) -> set[str]:
    out: set[str] = set()
    for k in keys:
        while k and k not in out:
            out.add(k)
            k = parents.get(k)
    return out


@dataclass(frozen=True)
class Count:
    """A record and how many studies (or companies) it counts."""

    key: str
    label: str
    count: int


@dataclass
class Stats:
    """`exo stats`: counts per type, studies per year, the most-studied diseases and sources."""

    counts: dict[str, int]  # plural type name -> records
    years: dict[str, int]  # "2018" -> studies, in year order
    top_diseases: list[Count]
    top_sources: list[Count]
    evidence: dict[str, int]  # level (or "not stated") -> studies
    company_areas: dict[str, int]


def stats(cat: Catalog, top: int = 10) -> Stats:
    """Counts per entity type, studies per year, top diseases, sources, areas.

    A disease's or source's count takes in its narrower ones (as
    ``--disease``/``--source`` do); every study counts once per evidence
    level, "not stated" included.
    """
    counts = {t.plural: cat.count(t.name) for t in model.ENTITY_TYPES}
    years = Counter(cat.years[i] for i in cat.ids("study") if cat.years[i])
    diseases = Counter()
    sources = Counter()
    evidence = Counter()
    up = {t: _parents(cat, t) for t in ("disease", "source")}
    for i in cat.ids("study"):
        rec = cat.record(i)
        # A broader tag counts its narrower ones' studies, once each, as the
        # filters do: cancer counts breast cancer, msc every MSC tissue.
        diseases.update(_with_broader(rec.get("diseases") or (), up["disease"]))
        sources.update(_with_broader(rec.get("sources") or (), up["source"]))
        evidence[rec.get("evidence") or model.NOT_STATED] += 1
    areas = Counter()
    for i in cat.ids("company"):
        areas.update(cat.record(i).get("areas") or ())

    def named(counter: Counter, type_name: str) -> list[Count]:
        out = []
        # NOTE: ties by key, so the same data always gives the same list.
        for key, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:top]:
            j = cat.lookup(key, type_name)
            out.append(Count(key, model.label(cat.record(j)) if j is not None else key, n))
        return out

    return Stats(
        counts=counts,
        years={str(y): years[y] for y in sorted(years)},
        top_diseases=named(diseases, "disease"),
        top_sources=named(sources, "source"),
        evidence={e: evidence[e] for e in [*(x.value for x in model.Evidence), model.NOT_STATED] if evidence.get(e)},
        company_areas={a.value: areas[a.value] for a in model.Area if areas.get(a.value)},
    )
