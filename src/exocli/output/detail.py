"""`exo show`: one record with everything linked to it, in every format.

The data formats get a row per field (``field``, ``value``); a terminal gets
the record in a box with each link list as key and label.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Iterable

from .. import model
from ..text import cells, chop, clip, pad, printable
from ..views import Detail
from .formats import Sheet
from .records import cell_text, object_for
from .terminal import glyph, wrap_cells


@dataclass
class DetailShape:
    """A `views.Detail` as the writers take it."""

    view: Detail

    def data(self) -> dict:
        d = self.view
        obj = object_for(d.record)
        obj["links"] = {name: [x.key for x in items] for name, items in d.links.items()}
        if d.evidence is not None:
            obj["evidence_summary"] = {"studies": d.evidence.studies, "evidence": d.evidence.evidence, "years": d.evidence.years}
        if d.url is not None:
            obj["url"] = d.url
        return obj

    def each_key(self) -> Iterable[str]:
        return [self.view.record["key"]]

    def rows(self, human: bool) -> list[tuple[str, str]]:
        """(field, value) for every field with a value, then the link lists.

        Data formats join lists with "; " as listings do; people get the
        author list as the review prints it.
        """
        d = self.view
        rec = d.record
        obj = object_for(rec)
        rows: list[tuple[str, str]] = [("type", rec["type"]), ("key", rec["key"])]
        for f in model.BY_NAME[rec["type"]].fields:
            if f.link or (human and f.name == "et_al"):
                continue  # links are shown with their labels below; et al. is in the author list
            text = cell_text(obj, f.name, human and f.name != "authors")
            if human and f.name == "authors" and obj.get("authors"):
                text = ", ".join(obj["authors"]) + (", et al." if obj.get("et_al") else "")
            if text and obj.get(f.name) is not False:
                rows.append((f.name, text))
        for name in model.ANNOTATION_FIELDS:
            text = cell_text(obj, name, human)
            if text:
                rows.append((name, text))
        if d.url is not None:
            rows.append(("url", d.url))
        if d.evidence is not None:
            rows.append(("evidence summary", d.evidence.line()))
        for name, items in d.links.items():
            rows.append((name, ("; " if not human else ", ").join(x.key for x in items)))
        return rows

    def sheet(self, human: bool) -> Sheet:
        rec = self.view.record
        rows = [[suggested_label(rec, k), v] for k, v in self.rows(human)]
        return Sheet(["field", "value"], rows, title=model.label(rec))

    def draw(self, con, color: bool) -> None:
        _detail_panel(self.view, self.rows(True), con, color)


SUGGESTED = "suggested from the title/abstract"


def suggested_label(rec: dict, name: str) -> str:
    """A field's name, saying so when `exo import` suggested its values rather than a person."""
    if name in (rec.get("suggested") or ()):
        return f"{name} ({SUGGESTED})"
    return name


# A terminal shows at most this many records of one link list, then a count
# and the command that lists them all (the review's longest list, the 82
# studies citing msc-exosomes, stays whole). JSON and the pipe formats keep
# every key.
MAX_LINKS = 100


def _more_hint(rec: dict, name: str, more: int, ellipsis: str) -> str:
    """"… and 99,900 more; `exo studies --disease gvhd` lists them"."""
    from ..query import LINKED, LISTING_FILTERS

    key = shlex.quote(rec["key"])
    lister = model.BY_PLURAL.get(name)
    listing = f"exo show {shlex.quote(rec['type'] + ':' + rec['key'])} --json"
    # The listing of the linking type that takes this type as a filter.
    if lister is model.STUDY and rec["type"] in LINKED:
        listing = f"exo studies --{rec['type']} {key}"
    elif lister is not None and rec["type"] in LISTING_FILTERS.get(lister.name, {}):
        listing = f"exo {lister.plural} --{rec['type']} {key}"
    return f"{ellipsis} and {more:,} more; `{listing}` lists them"


def _panel_wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` cells, broken at spaces; a word longer than a
    line is broken after its hyphens, then anywhere. Line breaks are kept."""
    return [line for para in text.split("\n") for line in wrap_cells(para, max(1, width), break_words=True)]


def _detail_panel(d: Detail, rows, con, color: bool) -> None:
    """The record in a box: fields, then each link list as key and label.

    NOTE: laid out by exo and drawn as one rich Text, like the tables: rich's
    grid measured every row of every list (56 s for a disease with 100,000
    studies); long lists are capped at MAX_LINKS.
    """
    from rich.text import Text

    rec = d.record
    edge = glyph(con, "╭─╮│╰╯", "+-+|++")
    ellipsis = glyph(con, "…", "...")
    inner = max(24, con.width - 4)  # "│ " + text + " │"
    # NOTE: in the box, "suggested" goes with the values, so the label
    # column stays as narrow as the field names.
    suggested = set(rec.get("suggested") or ())
    fields = [
        (k, printable(v) + (f" ({SUGGESTED})" if k in suggested else ""))
        for k, v in rows
        if k not in ("type", "key", "et_al") and k not in d.links
    ]
    lists = [(f"{name.replace('_', ' ')} ({len(items):,})", name, items) for name, items in d.links.items()]
    label_w = min(max([cells(k) for k, _ in fields] + [cells(h) for h, _, _ in lists] + [1]), inner - 18)
    value_w = inner - label_w - 2
    # (label, [(text, style), ...]) per line of the box
    lines: list[tuple[str, list[tuple[str, str | None]]]] = []

    def add(label: str, parts_lines: list[list[tuple[str, str | None]]]) -> None:
        # A label wider than its column (a narrow terminal) goes on over lines.
        heads = chop(label, label_w)
        for n in range(max(len(heads), len(parts_lines), 1)):
            lines.append((heads[n] if n < len(heads) else "", parts_lines[n] if n < len(parts_lines) else []))

    for k, v in fields:
        add(k, [[(line, None)] for line in (chop(v, value_w) if k in ("doi", "url") else _panel_wrap(v, value_w))])
    for head, name, items in lists:
        shown = items[:MAX_LINKS]
        keys = [printable(x.key) for x in shown]
        kw = min(max(cells(k) for k in keys), value_w)
        hang = kw + 2 if value_w - kw - 2 >= 16 else 0
        body: list[list[tuple[str, str | None]]] = []
        if name in suggested:
            body += [[(line, "dim")] for line in _panel_wrap(SUGGESTED, value_w)]
        for key, x in zip(keys, shown):
            label = _panel_wrap(printable(x.label), value_w - hang)
            key_lines = chop(key, value_w)
            if hang:
                body.append([(pad(key_lines[0], kw), "cyan"), ("  " + label[0], None)])
                body += [[(" " * hang + rest, None)] for rest in label[1:]]
            else:
                body += [[(k, "cyan")] for k in key_lines] + [[(rest, None)] for rest in label]
        if len(items) > len(shown):
            hint = _more_hint(rec, name, len(items) - len(shown), ellipsis)
            body += [[(line, "dim")] for line in _panel_wrap(hint, value_w)]
        add(head, body)

    title = clip(printable(f"{rec['type']} {rec['key']}"), inner - 2)
    text = Text()
    text.append(edge[0] + edge[1] + " ")
    text.append(title, style="bold cyan" if color else None)
    text.append(" " + edge[1] * (inner - cells(title) - 1) + edge[2] + "\n")
    for label, parts in lines:
        text.append(edge[3] + " ")
        text.append(pad(label, label_w), style="bold" if color else None)
        text.append("  ")
        used = 0
        for part, style in parts:
            text.append(part, style=style if color else None)
            used += cells(part)
        text.append(" " * max(0, value_w - used) + " " + edge[3] + "\n")
    text.append(edge[4] + edge[1] * (inner + 2) + edge[5] + "\n")
    con.print(text, end="", no_wrap=True, overflow="ignore", crop=False, soft_wrap=True)
