"""Records as the public objects of JSON and the rows of every listing.

`object_for` is the one place that says what a record looks like to a
script (type, key, every schema field, the user's tags and note); a
`Listing` is the result of every listing command and of search.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from .. import model
from ..errors import UsageError, quoted
from .formats import Sheet

# Columns a person sees by default, per entity type; "hit" is a search result.
# A type with no entry lists by its key and label field (`default_columns`).
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "study": ("key", "year", "authors", "title"),
    "disease": ("key", "name", "category", "aliases"),
    "source": ("key", "abbreviation", "name", "tissue", "msc"),
    "company": ("key", "name", "areas", "products"),
    "term": ("key", "abbreviation", "expansion"),
    "topic": ("key", "title", "parent"),
    "review": ("key", "year", "authors", "title"),
    "hit": ("type", "key", "label", "score", "matched"),
    "tag": ("key", "count", "records"),
}

# Objects that are not records: their fields.
OTHER_COLUMNS = {"tag": ("type", "key", "count", "records")}
HIT_FIELDS = ("score", "matched", "label")


def default_columns(type_name: str) -> tuple[str, ...]:
    """The columns of a type: its own choice, else its key and label field
    (so a new entity type lists without an entry here)."""
    if type_name in DEFAULT_COLUMNS:
        return DEFAULT_COLUMNS[type_name]
    et = model.BY_NAME.get(type_name)
    return ("key", et.label_field) if et is not None else ("key",)


def object_for(record: dict, extra: dict | None = None) -> dict:
    """The public JSON object of a record: type, key, every schema field, then
    the user's ``tags`` and ``user_note`` (annotations.toml)."""
    et = model.BY_NAME[record["type"]]
    obj = {"type": record["type"], "key": record["key"]}
    for f in et.fields:
        value = record.get(f.name)
        if value is None and f.kind == "list":
            value = []
        if value is None and f.kind == "bool":
            value = False
        obj[f.name] = value
    obj["tags"] = list(record.get("tags") or [])
    obj["user_note"] = record.get("user_note")
    if extra:
        obj.update(extra)
    return obj


def curated_object(obj: dict) -> dict:
    """A study object without the values `exo import` suggested (`--curated`)."""
    for name in obj.get("suggested") or ():
        if name in obj:
            obj[name] = [] if isinstance(obj[name], list) else None
    return obj


def hit_objects(cat, hits) -> list[dict]:
    """Search hits as public objects: the record plus score, matched and label."""
    out = []
    for h in hits:
        rec = cat.record(h.rid)
        out.append(object_for(rec, {"score": h.score, "matched": h.matched, "label": model.label(rec)}))
    return out


def valid_fields(types: Sequence[str], hit: bool = False) -> list[str]:
    names: dict[str, None] = {"type": None, "key": None}
    for t in types:
        if t in OTHER_COLUMNS:
            names.update(dict.fromkeys(OTHER_COLUMNS[t]))
            continue
        for f in model.BY_NAME[t].fields:
            names[f.name] = None
        names.update(dict.fromkeys(model.ANNOTATION_FIELDS))
    if hit:
        names.update(dict.fromkeys(HIT_FIELDS))
    return list(names)


def parse_fields(spec: str | None, types: Sequence[str], hit: bool = False) -> list[str] | None:
    """`--fields a,b,c` checked against the fields of the listed types."""
    if spec is None:
        return None
    wanted = list(dict.fromkeys(f.strip().lower() for f in spec.split(",") if f.strip()))
    valid = valid_fields(types, hit)
    bad = [f for f in wanted if f not in valid]
    if bad or not wanted:
        raise UsageError(
            f"unknown field{'s' if len(bad) > 1 else ''}: {', '.join(quoted(b, 40) for b in bad[:5]) or '(none given)'}",
            "valid fields: " + ", ".join(valid),
        )
    return wanted


def short_authors(authors: list[str], et_al: bool) -> str:
    """"Bruno et al.", "Lai and Chen", "Kalluri": an author list for a table."""
    if not authors:
        return ""
    first = authors[0].split(",")[0]
    if len(authors) == 1 and not et_al:
        return first
    if len(authors) == 2 and not et_al:
        return f"{first} and {authors[1].split(',')[0]}"
    return f"{first} et al."


def cell_text(obj: dict, name: str, human: bool) -> str:
    """One value as text; lists joined; people get short author lists."""
    value = obj.get(name)
    if name == "authors" and human and isinstance(value, list):
        return short_authors(value, bool(obj.get("et_al")))
    if value is None:
        return ""
    if isinstance(value, bool):
        return ("yes" if value else "no") if human else ("true" if value else "false")
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ("; " if not human else ", ").join(str(v) for v in value)
    return str(value)


@dataclass
class Listing:
    """Records (as `object_for` gives them) for a listing command or search.

    ``types`` are the types asked for (they decide the valid fields and the
    columns when nothing was found); ``hit`` marks search results.
    """

    objects: list[dict]
    types: Sequence[str] = ("study",)
    hit: bool = False
    fields: list[str] | None = None  # --fields, already checked

    def columns(self) -> list[str]:
        if self.fields:
            return list(self.fields)
        types = list(dict.fromkeys(o["type"] for o in self.objects)) or list(self.types) or ["study"]
        if self.hit:
            cols = list(DEFAULT_COLUMNS["hit"])
        else:
            cols = list(default_columns(types[0])) if len(types) == 1 else ["type", "key", "label"]
        if types[0] not in OTHER_COLUMNS and any(o.get("tags") for o in self.objects):
            cols.append("tags")  # the user's own tags, once there are any to show
        return cols

    def data(self) -> list[dict]:
        if self.fields:
            return [{k: o.get(k) for k in self.fields} for o in self.objects]
        return self.objects

    def each_key(self) -> Iterable[str]:
        return (o["key"] for o in self.objects)

    def sheet(self, human: bool) -> Sheet:
        cols = self.columns()
        return Sheet(cols, ([cell_text(o, c, human) for c in cols] for o in self.objects))

    def draw(self, con, color: bool) -> None:
        from .terminal import draw_table

        cols = self.columns()
        draw_table(con, color, cols, [[cell_text(o, c, True) for c in cols] for o in self.objects])
