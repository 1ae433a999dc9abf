"""Rendering of the composite views: `exo show`, `exo map` and `exo stats`.

Like `render`, every format is handled here and nowhere else: json/jsonl from
the standard library, plain text for pipes, rich panels and grids on a
terminal. Data text reaches rich only as `Text`, never as markup.
"""

from __future__ import annotations

from typing import TextIO

from . import model
from .render import Format, cell_text, console, glyph, md_cell, object_for, sheet_cell, tsv_cell, write_csv, write_json
from .text import one_line, printable
from .views import row_studies, summary_line



def _detail_json(d: dict) -> dict:
    obj = object_for(d["record"])
    obj["links"] = {name: [x["key"] for x in items] for name, items in d["links"].items()}
    if "evidence" in d:
        obj["evidence_summary"] = d["evidence"]
    if "url" in d:
        obj["url"] = d["url"]
    return obj


def render_detail(
    d: dict, fmt: Format, out: TextIO, *, color: bool = True, width: int | None = None, terminal: bool = False
) -> None:
    """One record with its links, in any format (``terminal``: neutralise control characters)."""
    rec = d["record"]
    if fmt in (Format.JSON, Format.JSONL):
        write_json(_detail_json(d), fmt, out)
        return
    if fmt is Format.KEYS:
        out.write(one_line(rec["key"]) + "\n")
        return
    obj = object_for(rec)
    # CSV and TSV join lists with "; " as listings do; people get the
    # author list as the review prints it.
    human = fmt not in (Format.CSV, Format.TSV)
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
    if "url" in d:
        rows.append(("url", d["url"]))
    if "evidence" in d:
        rows.append(("evidence summary", summary_line(d["evidence"])))
    for name, items in d["links"].items():
        rows.append((name, ("; " if not human else ", ").join(x["key"] for x in items)))
    if fmt is not Format.TABLE:
        rows = [(suggested_label(rec, k), v) for k, v in rows]
    if fmt is Format.PLAIN:
        for k, v in rows:
            out.write(f"{k}\t{one_line(v)}\n")
        return
    if fmt is Format.TSV:
        # NOTE: the listings' own cell writer, so a value reads the same in both.
        safe = printable if terminal else str
        for k, v in rows:
            out.write(f"{k}\t{safe(tsv_cell(v))}\n")
        return
    if fmt is Format.CSV:
        write_csv(out, [["field", "value"]], [(k, sheet_cell(printable(v) if terminal else v)) for k, v in rows])
        return
    if fmt is Format.MARKDOWN:
        out.write(f"## {md_cell(model.label(rec))}\n\n| field | value |\n|---|---|\n")
        for k, v in rows:
            out.write(f"| {k} | {md_cell(v)} |\n")
        return
    _detail_panel(d, rows, out, color=color, width=width)


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
    import shlex

    key = shlex.quote(rec["key"])
    listing = {
        ("disease", "studies"): f"exo studies --disease {key}",
        ("source", "studies"): f"exo studies --source {key}",
        ("topic", "studies"): f"exo studies --topic {key}",
        ("disease", "companies"): f"exo companies --disease {key}",
    }.get((rec["type"], name), f"exo show {shlex.quote(rec['type'] + ':' + rec['key'])} --json")
    return f"{ellipsis} and {more:,} more; `{listing}` lists them"


def _panel_wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` cells, broken at spaces; a word longer than a
    line is broken after its hyphens, then anywhere. Line breaks are kept."""
    from .render import wrap_cells

    return [line for para in text.split("\n") for line in wrap_cells(para, max(1, width), break_words=True)]


def _detail_panel(d: dict, rows, out: TextIO, *, color: bool, width: int | None) -> None:
    """The record in a box: fields, then each link list as key and label.

    NOTE: laid out by exo and drawn as one rich Text, like the tables: rich's
    grid measured every row of every list (56 s for a disease with 100,000
    studies); long lists are capped at MAX_LINKS.
    """
    from rich.text import Text

    from .text import cells, chop, clip, pad

    rec = d["record"]
    con = console(out, color, width)
    edge = glyph(con, "╭─╮│╰╯", "+-+|++")
    ellipsis = glyph(con, "…", "...")
    inner = max(24, con.width - 4)  # "│ " + text + " │"
    # NOTE: in the box, "suggested" goes with the values, so the label
    # column stays as narrow as the field names.
    suggested = set(rec.get("suggested") or ())
    fields = [
        (k, printable(v) + (f" ({SUGGESTED})" if k in suggested else ""))
        for k, v in rows
        if k not in ("type", "key", "et_al") and k not in d["links"]
    ]
    lists = [(f"{name.replace('_', ' ')} ({len(items):,})", name, items) for name, items in d["links"].items()]
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
        keys = [printable(x["key"]) for x in shown]
        kw = min(max(cells(k) for k in keys), value_w)
        hang = kw + 2 if value_w - kw - 2 >= 16 else 0
        body: list[list[tuple[str, str | None]]] = []
        if name in suggested:
            body += [[(line, "dim")] for line in _panel_wrap(SUGGESTED, value_w)]
        for key, x in zip(keys, shown):
            label = _panel_wrap(printable(x["label"]), value_w - hang)
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


# -- map --------------------------------------------------------------------------


def render_map(m: dict, objs: list[dict], fmt: Format, out: TextIO, *, color: bool = True, width: int | None = None) -> None:
    """The evidence map as a grid on a terminal, or one object per cell."""
    if fmt in (Format.JSON, Format.JSONL):
        write_json(objs, fmt, out)
        return
    rows, cols = m["row_keys"], m["col_keys"]
    if fmt is Format.KEYS:
        for r in rows:
            out.write(r + "\n")
        return
    if fmt in (Format.CSV, Format.TSV, Format.PLAIN, Format.MARKDOWN):
        # NOTE: data formats keep the keys; formats people read say what a
        # broader value's row holds ("msc, tissue not stated").
        name = (lambda k: k) if fmt in (Format.CSV, Format.TSV) else (lambda k: m["labels"].get(k, k))
        header = [m["rows"]] + [name(c) for c in cols] + ["all"]
        lines = [
            [name(r)] + [str(len(m["cells"].get((r, c), []))) for c in cols] + [str(len(row_studies(m, r)))]
            for r in rows
        ]
        if fmt is Format.CSV:
            import csv

            w = csv.writer(out, lineterminator="\n")
            w.writerow(header)
            w.writerows(lines)
        elif fmt is Format.MARKDOWN:
            out.write("| " + " | ".join(header) + " |\n|" + "|".join("---" for _ in header) + "|\n")
            for line in lines:
                out.write("| " + " | ".join(line) + " |\n")
        else:
            # NOTE: even plain output keeps the header row: a matrix without
            # its column names cannot be read.
            out.write("\t".join(header) + "\n")
            for line in lines:
                out.write("\t".join(line) + "\n")
        return
    _map_grid(m, out, color=color, width=width)


HEAT = ("black on light_goldenrod1", "black on orange1", "white on dark_orange3", "bold white on red3")


def _heat(n: int, top: int) -> str:
    """A colour per count: four steps from the single study to the busiest cell."""
    if n == 0:
        return "dim"
    if n == 1 or top <= 1:
        return HEAT[0]
    step = min(3, 1 + int(3 * (n - 1) / top))
    return HEAT[step]


def _short_heads(cols: list[str], size: int) -> list[str]:
    """Column heads of at most ``size`` characters, unique, for a narrow grid."""
    if all(len(c) <= size for c in cols):
        return list(cols)
    cut = [c if len(c) <= size else c[: size - 1] + "." for c in cols] if size >= 4 else [c[:size] for c in cols]
    if len(set(cut)) == len(cut):
        return cut
    tail = [c[-size:] for c in cols]  # years: 2006 -> 06
    if len(set(tail)) == len(tail):
        return tail
    return [str(i + 1) for i in range(len(cols))]


def _map_grid(m: dict, out: TextIO, *, color: bool, width: int | None) -> None:
    """The grid, laid out by hand so it never overflows and never cuts a name.

    Narrow terminals get short column heads with a legend; if even those do
    not fit, the columns are split over several grids.
    """
    from rich.text import Text

    rows, cols = m["row_keys"], m["col_keys"]
    cells = m["cells"]
    top = max((len(v) for v in cells.values()), default=0)
    con = console(out, color, width)
    totals = {r: len(row_studies(m, r)) for r in rows}
    # A broader value's row holds only its own studies; on a grid its name is
    # marked with * and explained below, so the columns keep their room.
    labels = m.get("labels", {})
    names = {k: (k + "*" if labels.get(k, k) != k else k) for k in [*rows, *cols]}
    label_w = max([len(m["rows"])] + [len(names[r]) for r in rows])
    num_w = max(2, len(str(top)))
    all_w = max(3, len(str(max(totals.values(), default=0))))
    avail = con.width - label_w - (all_w + 2)
    col_names = [names[c] for c in cols]
    full_w = sum(max(num_w, len(c)) + 2 for c in col_names)
    if full_w <= avail:
        heads = list(col_names)
    else:
        cap = max(len(c) for c in col_names)
        while cap > num_w and sum(max(num_w, min(len(c), cap)) + 2 for c in col_names) > avail:
            cap -= 1
        heads = _short_heads(col_names, cap)
    widths = [max(num_w, len(h)) for h in heads]
    # Split the columns into chunks that fit.
    chunks: list[list[int]] = [[]]
    used = 0
    for i, w in enumerate(widths):
        if chunks[-1] and used + w + 2 > avail:
            chunks.append([])
            used = 0
        chunks[-1].append(i)
        used += w + 2
    con.print(Text(f"studies by {m['rows']} x {m['cols']}", style="bold" if color else ""))
    for n, chunk in enumerate(chunks):
        last = n == len(chunks) - 1
        head = Text(m["rows"].ljust(label_w), style="bold" if color else "")
        for i in chunk:
            head.append("  " + heads[i].rjust(widths[i]), style="bold" if color else "")
        if last:
            head.append("  " + "all".rjust(all_w), style="bold" if color else "")
        con.print(head, no_wrap=True, overflow="ignore", crop=False)
        rule = label_w + sum(widths[i] + 2 for i in chunk) + (all_w + 2 if last else 0)
        con.print(Text(glyph(con, "─", "-") * rule, style="dim" if color else ""), no_wrap=True, crop=False)
        for r in rows:
            line = Text(printable(names[r]).ljust(label_w), style="bold cyan" if color else "")
            for i in chunk:
                k = len(cells.get((r, cols[i]), []))
                line.append("  ")
                line.append((str(k) if k else "·").rjust(widths[i]), style=_heat(k, top) if color else "")
            if last:
                line.append("  " + str(totals[r]).rjust(all_w), style="bold" if color else "")
            con.print(line, no_wrap=True, crop=False)
        if not last:
            con.print(Text(""))
    if heads != col_names:
        con.print(Text(_legend(col_names, heads), style="dim" if color else ""))
    marked = [k for k in dict.fromkeys([*rows, *cols]) if names[k] != k]
    if marked:
        note = "; ".join(f"{names[k]}\u00a0=\u00a0{labels[k]}".replace(" ", "\u00a0") for k in marked)
        con.print(Text(note, style="dim" if color else ""))


def _legend(cols, heads) -> str:
    # Non-breaking spaces inside an entry: lines wrap only between entries.
    return "; ".join(f"{h}\u00a0=\u00a0{c}" for c, h in zip(cols, heads) if c != h)


# -- stats ------------------------------------------------------------------------


def render_stats(s: dict, fmt: Format, out: TextIO, *, color: bool = True, width: int | None = None) -> None:
    """Counts, a bar chart of studies per year and the top tags."""
    if fmt in (Format.JSON, Format.JSONL):
        write_json(s, fmt, out)
        return
    rows: list[tuple[str, str, str]] = []
    for k, v in s["counts"].items():
        rows.append(("count", k, str(v)))
    for y, n in s["years"].items():
        rows.append(("year", y, str(n)))
    for x in s["top_diseases"]:
        rows.append(("disease", x["key"], str(x["count"])))
    for x in s["top_sources"]:
        rows.append(("source", x["key"], str(x["count"])))
    for k, v in s["evidence"].items():
        rows.append(("evidence", k, str(v)))
    for k, v in s["company_areas"].items():
        rows.append(("area", k, str(v)))
    if fmt is not Format.TABLE:
        if fmt is Format.CSV:
            import csv

            w = csv.writer(out, lineterminator="\n")
            w.writerow(["group", "name", "count"])
            w.writerows(rows)
        elif fmt is Format.MARKDOWN:
            out.write("| group | name | count |\n|---|---|---|\n")
            for r in rows:
                out.write("| " + " | ".join(r) + " |\n")
        elif fmt is Format.KEYS:
            for r in rows:
                out.write(r[1] + "\n")
        else:
            if fmt is Format.TSV:
                out.write("group\tname\tcount\n")
            for r in rows:
                out.write("\t".join(r) + "\n")
        return
    _stats_view(s, out, color=color, width=width)


def _stats_view(s: dict, out: TextIO, *, color: bool, width: int | None) -> None:
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    con = console(out, color, width)
    counts = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, title=Text("records"), title_justify="left")
    counts.add_column("type")
    counts.add_column("count", justify="right")
    for k, v in s["counts"].items():
        counts.add_row(Text(k), Text(str(v)))

    every = [str(k) for k in s["years"]] + [x["key"] for x in s["top_diseases"] + s["top_sources"]]
    every += list(s["evidence"]) + list(s["company_areas"])
    label_w = max((len(k) for k in every), default=4)

    def bars(title: str, items: list[tuple[str, int]], style: str) -> Table:
        t = Table(box=None, show_header=False, title=Text(title), title_justify="left", pad_edge=False)
        t.add_column(no_wrap=True, style="cyan" if color else None, min_width=label_w)
        t.add_column(justify="right", no_wrap=True)
        t.add_column(no_wrap=True)
        top = max((n for _, n in items), default=1)
        room = max(10, min(40, con.width - 40))
        for name, n in items:
            bar = glyph(con, "█", "#") * (max(1, round(n / top * room)) if n else 0)
            t.add_row(Text(printable(name)), Text(str(n)), Text(bar, style=style if color else ""))
        return t

    span = [int(y) for y in s["years"]]
    every_year = [(str(y), s["years"].get(str(y), 0)) for y in range(min(span), max(span) + 1)] if span else []
    years = bars("studies per year", every_year, "green")
    diseases = bars("most-studied diseases (narrower ones included)", [(f"{x['key']}", x["count"]) for x in s["top_diseases"]], "red")
    sources = bars("most-used sources (narrower ones included)", [(f"{x['key']}", x["count"]) for x in s["top_sources"]], "blue")
    evidence = bars("studies by evidence", list(s["evidence"].items()), "magenta")
    areas = bars("companies by area", list(s["company_areas"].items()), "yellow")
    con.print(Group(counts, Text(""), years, Text(""), diseases, Text(""), sources, Text(""), evidence, Text(""), areas))
