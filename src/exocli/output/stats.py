"""`exo stats`: counts, studies per year, the most-studied diseases and
sources, as bars on a terminal and as (group, name, count) rows elsewhere."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Iterable

from ..text import printable
from ..views import Stats
from .formats import Sheet
from .terminal import glyph


@dataclass
class StatsShape:
    """A `views.Stats` as the writers take it."""

    view: Stats

    def data(self) -> dict:
        return dataclasses.asdict(self.view)

    def rows(self) -> list[list[str]]:
        s = self.view
        rows = [["count", k, str(v)] for k, v in s.counts.items()]
        rows += [["year", k, str(v)] for k, v in s.years.items()]
        rows += [["disease", x.key, str(x.count)] for x in s.top_diseases]
        rows += [["source", x.key, str(x.count)] for x in s.top_sources]
        rows += [["evidence", k, str(v)] for k, v in s.evidence.items()]
        rows += [["area", k, str(v)] for k, v in s.company_areas.items()]
        return rows

    def each_key(self) -> Iterable[str]:
        return [r[1] for r in self.rows()]

    def sheet(self, human: bool) -> Sheet:  # noqa: ARG002 - counts read the same to people and programs
        return Sheet(["group", "name", "count"], self.rows())

    def draw(self, con, color: bool) -> None:
        _stats_view(self.view, con, color)


def _stats_view(s: Stats, con, color: bool) -> None:
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    counts = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, title=Text("records"), title_justify="left")
    counts.add_column("type")
    counts.add_column("count", justify="right")
    for k, v in s.counts.items():
        counts.add_row(Text(k), Text(str(v)))

    every = [str(k) for k in s.years] + [x.key for x in s.top_diseases + s.top_sources]
    every += list(s.evidence) + list(s.company_areas)
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

    span = [int(y) for y in s.years]
    every_year = [(str(y), s.years.get(str(y), 0)) for y in range(min(span), max(span) + 1)] if span else []
    years = bars("studies per year", every_year, "green")
    diseases = bars("most-studied diseases (narrower ones included)", [(x.key, x.count) for x in s.top_diseases], "red")
    sources = bars("most-used sources (narrower ones included)", [(x.key, x.count) for x in s.top_sources], "blue")
    evidence = bars("studies by evidence", list(s.evidence.items()), "magenta")
    areas = bars("companies by area", list(s.company_areas.items()), "yellow")
    con.print(Group(counts, Text(""), years, Text(""), diseases, Text(""), sources, Text(""), evidence, Text(""), areas))
