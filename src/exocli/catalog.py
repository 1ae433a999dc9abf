"""The catalog: the read API over the store, for every command.

A `Catalog` answers by record id (a record's position in the store):
its key, type, year and record; the records of a type; the records a
link or value points at (``tagged("diseases", "gvhd")``); a record by key or
by name; and, for search, the index's vocabulary and postings. Records are
decoded only when asked for and kept for the rest of the run, so a search
over a million studies decodes just its hits.

`load` names the data folders (`loader.folders`), opens the current store
(building it when a data file changed) and returns the catalog.

The user's tags and notes (annotations.toml in the library folder) are not
in the store: they are read when the catalog is opened and merged into the
records they name (`record` adds ``tags`` and ``user_note``), so changing
one tag never re-indexes anything.
"""

from __future__ import annotations

import json
import os
import sqlite3
from typing import Callable, Iterable, Iterator

from . import model
from .errors import NotFound, UsageError
from .loader import bundled_data_dir, data_dirs, folders, library_dir, validate  # noqa: F401 - the public names
from .model import ENTITY_TYPES
from .store import COLUMN_CODE, TYPE_CODES, Damaged


def _sqlable(args: tuple) -> tuple:
    """Arguments SQLite can take: text that is not UTF-8 (undecodable bytes
    from the command line arrive as surrogates) has them replaced."""
    out = []
    for a in args:
        if isinstance(a, str) and not a.isascii():
            a = a.encode("utf-8", "replace").decode("utf-8")
        out.append(a)
    return tuple(out)


# What each column must hold; anything else means a damaged store.
_KINDS = {"key": str, "year": int, "type": int}


# rapidfuzz cut-offs for "did you mean" (0-100).
KEY_CLOSE = 75  # a key spelt nearly right (kordelass); 75 keeps Smith2024 from suggesting "mi"
NAME_CLOSE = 80  # a name spelt nearly right: names are shorter and closer to each other than keys
NAME_BEGUN = 85  # the start of a longer name (capricr), by partial_ratio


class _Column:
    """One column of the records table, read by record id on demand."""

    def __init__(self, cat: "Catalog", name: str) -> None:
        self._cat = cat
        self._name = name
        self._cache: dict[int, object] = {}

    def __getitem__(self, rid: int):
        v = self._cache.get(rid)
        if v is None and rid not in self._cache:
            row = self._cat._one(f"SELECT {self._name} FROM records WHERE rid = ?", (rid,))
            # NOTE: ids come from the store itself, so a missing row or a value
            # of another kind means the store disagrees with itself.
            v = row[0] if row is not None else None
            if type(v) is not _KINDS[self._name] or (self._name == "type" and not 0 <= v < len(ENTITY_TYPES)):
                raise Damaged(f"record {rid}: {self._name}")
            self._cache[rid] = v
        return v

    def __len__(self) -> int:
        return len(self._cat)

    def __iter__(self) -> Iterator:
        for (v,) in self._cat._all(f"SELECT {self._name} FROM records ORDER BY rid"):
            yield v


class Catalog:
    """Every record of the loaded folders, read from the store."""

    def __init__(self, conn: sqlite3.Connection, warnings: list[str] | None = None) -> None:
        self.conn = conn
        self.warnings = list(warnings or [])
        try:
            meta = dict(conn.execute("SELECT k, v FROM meta WHERE k IN ('counts', 'total')"))
            self._counts: dict[str, int] = json.loads(meta["counts"])
            self._total = int(meta["total"])
            # NOTE: one aggregate a query, so each is a single index lookup.
            lo, hi = conn.execute("SELECT (SELECT min(rid) FROM records), (SELECT max(rid) FROM records)").fetchone()
        except (sqlite3.Error, KeyError, ValueError, TypeError) as e:
            raise Damaged(str(e)) from None
        counts = list(self._counts.values()) if isinstance(self._counts, dict) else None
        if counts is None or not all(type(n) is int for n in counts) or sum(counts) != self._total:
            raise Damaged("the counts disagree with the total")
        if (lo, hi) != ((0, self._total - 1) if self._total else (None, None)):
            raise Damaged("the record ids disagree with the total")
        self.keys = _Column(self, "key")
        self.years = _Column(self, "year")
        self.types = _Column(self, "type")
        self._decoded: dict[int, dict] = {}
        self._tok: sqlite3.Connection | None = None
        self.annotations: dict[int, dict] = {}  # record id -> {"tags": [...], "user_note": "..."}
        self.unmatched: list[str] = []  # annotated keys that name no loaded record

    # -- plumbing -----------------------------------------------------------

    def _one(self, sql: str, args: tuple = ()):
        try:
            return self.conn.execute(sql, _sqlable(args)).fetchone()
        except sqlite3.DatabaseError as e:
            raise Damaged(str(e)) from None

    def _all(self, sql: str, args: tuple = ()) -> list:
        try:
            return self.conn.execute(sql, _sqlable(args)).fetchall()
        except sqlite3.DatabaseError as e:
            raise Damaged(str(e)) from None

    # -- records --------------------------------------------------------------

    def __len__(self) -> int:
        return self._total

    def record(self, rid: int) -> dict:
        rec = self._decoded.get(rid)
        if rec is None:
            row = self._one("SELECT type, key, body FROM records WHERE rid = ?", (rid,))
            if row is None:
                raise Damaged(f"record {rid} is missing")
            try:
                body = json.loads(row[2])
                rec = {"type": ENTITY_TYPES[row[0]].name, "key": row[1], **body}
                if type(rec["key"]) is not str:
                    raise TypeError("a key that is not text")
            except (ValueError, IndexError, TypeError, RecursionError) as e:
                raise Damaged(f"record {rid}: {e}") from None
            ann = self.annotations.get(rid)
            if ann:
                rec.update({k: list(v) if isinstance(v, list) else v for k, v in ann.items()})
            self._decoded[rid] = rec
        return rec

    def type_of(self, rid: int) -> str:
        return ENTITY_TYPES[self.types[rid]].name

    def ids(self, type_name: str | None = None) -> list[int]:
        if type_name is None:
            return list(range(self._total))
        return [r for (r,) in self._all("SELECT rid FROM records WHERE type = ? ORDER BY rid", (TYPE_CODES[type_name],))]

    def records(self, type_name: str | None = None) -> list[dict]:
        return [self.record(i) for i in self.ids(type_name)]

    def stream(self, type_names: Iterable[str]) -> Iterator[dict]:
        """Every record of these types, decoded one at a time and not kept
        (for a pass over a million studies, such as `exo import`'s duplicate check)."""
        codes = [TYPE_CODES[t] for t in type_names]
        q = f"SELECT type, key, body FROM records WHERE type IN ({','.join('?' * len(codes))}) ORDER BY rid"
        try:
            for t, key, body in self.conn.execute(q, tuple(codes)):
                yield {"type": ENTITY_TYPES[t].name, "key": key, **json.loads(body)}
        except (sqlite3.DatabaseError, ValueError) as e:
            raise Damaged(str(e)) from None

    def count(self, type_name: str) -> int:
        return self._counts.get(type_name, 0)

    def key_list(self, ids: Iterable[int]) -> list[str]:
        """The keys of many records, in one query per thousand."""
        ids = list(ids)
        out: dict[int, str] = {}
        for i in range(0, len(ids), 900):
            part = ids[i : i + 900]
            q = f"SELECT rid, key FROM records WHERE rid IN ({','.join('?' * len(part))})"
            out.update(self._all(q, tuple(part)))
        if len(out) != len(set(ids)):
            raise Damaged("records are missing")
        return [out[i] for i in ids]

    def prime(self, rids: Iterable[int]) -> None:
        """Read the key, type and year of many records at once (for sorting hits)."""
        todo = [r for r in rids if r not in self.keys._cache]
        for i in range(0, len(todo), 900):
            part = todo[i : i + 900]
            q = f"SELECT rid, key, type, year FROM records WHERE rid IN ({','.join('?' * len(part))})"
            for rid, key, type_, year in self._all(q, tuple(part)):
                if type(key) is not str or type(year) is not int or type(type_) is not int or not 0 <= type_ < len(ENTITY_TYPES):
                    raise Damaged(f"record {rid}")  # as _Column checks one by one
                self.keys._cache[rid] = key
                self.types._cache[rid] = type_
                self.years._cache[rid] = year

    def years_between(self, lo: int, hi: int, type_name: str = "study") -> set[int]:
        rows = self._all("SELECT rid FROM records WHERE type = ? AND year BETWEEN ? AND ?", (TYPE_CODES[type_name], lo, hi))
        return {r for (r,) in rows}

    # -- by key and by name ---------------------------------------------------

    def lookup(self, key: str, type_name: str | None = None) -> int | None:
        """The id of a record by key, in any letter case; None if absent.

        ``type:key`` picks a type when a key is shared (``term:gvhd``).
        """
        if type_name is None and ":" in key:
            t, _, k = key.partition(":")
            t = t.strip().lower()
            if t in model.BY_NAME or t in model.BY_PLURAL:
                type_name, key = model.entity_type(t).name, k
        rows = self._all("SELECT rid, type FROM records WHERE fold = ? ORDER BY type, rid", (key.strip().casefold(),))
        if type_name is not None:
            rows = [r for r in rows if r[1] == TYPE_CODES[type_name]]
        return rows[0][0] if rows else None

    def by_name(self, text: str, type_name: str | None = None) -> list[int]:
        """Records other than studies called ``text`` (a name, alias, abbreviation
        or product), punctuation and letter case aside: ``CAP 2003`` -> Capricor."""
        from .text import compact

        c = compact(text)
        if not c:
            return []
        rids = [r for (r,) in self._all("SELECT rid FROM names WHERE name = ? ORDER BY rid", (c,))]
        if type_name is not None:
            rids = [r for r in rids if self.type_of(r) == type_name]
        return sorted(rids, key=lambda r: (self.types[r], r))

    def require(self, key: str) -> int:
        """The record a key (or name) names; UsageError for an empty one,
        NotFound with the closest keys for one that names nothing."""
        if not key.strip():
            raise UsageError("empty key", "give a key such as Bruno2009 or gvhd; `exo search WORDS` finds one")
        rid = self.find(key)
        if rid is None:
            raise NotFound("key", key, self.suggest_keys(key))
        return rid

    def find(self, key: str) -> int | None:
        """A record by key, else by name (exo show CAP-2003)."""
        rid = self.lookup(key)
        if rid is None:
            named = self.by_name(key)
            rid = named[0] if named else None
        return rid

    def get(self, key: str, type_name: str | None = None) -> dict:
        """A record by key, or NotFound with the closest keys."""
        rid = self.lookup(key, type_name)
        if rid is None:
            raise NotFound(f"{type_name} key" if type_name else "key", key, self.suggest_keys(key, type_name))
        return self.record(rid)

    def suggest_keys(self, key: str, type_name: str | None = None, n: int = 3) -> list[str]:
        """Keys (and names) close to a mistyped key; only close ones.

        Only keys sharing the first letter are compared when the store is big.
        """
        from rapidfuzz import fuzz, process

        q = key.strip().casefold()[:200]
        if not q:
            return []
        args: tuple = ()
        where = ""
        if type_name is not None:
            where, args = "WHERE type = ?", (TYPE_CODES[type_name],)
        if self._total > 50_000:
            where = (where + " AND" if where else "WHERE") + " fold >= ? AND fold < ?"
            args = args + (q[0], q[0] + "\U0010ffff")
        pool = {f: k for f, k in self._all(f"SELECT fold, key FROM records {where}", args)}
        # NOTE: a score of 75 on ratio keeps Smith2024 from suggesting "mi".
        hits = process.extract(q, list(pool), scorer=fuzz.ratio, limit=n, score_cutoff=KEY_CLOSE)
        out = [pool[h[0]] for h in hits]
        if len(out) < n:
            names = {f: r for f, r in self._all("SELECT name, rid FROM names")}
            from .text import compact

            c = compact(key)[:200]
            found = process.extract(c, list(names), scorer=fuzz.ratio, limit=n, score_cutoff=NAME_CLOSE)
            if len(c) >= 5:
                # A name begun or half-remembered ("capricr"): the start of a
                # longer name, never a short name inside the query ("mi").
                longer = [nm for nm in names if len(nm) >= len(c)]
                found += process.extract(c, longer, scorer=fuzz.partial_ratio, limit=n, score_cutoff=NAME_BEGUN)
            for h in found:
                k = self.keys[names[h[0]]]
                if k not in out and (type_name is None or self.type_of(names[h[0]]) == type_name):
                    out.append(k)
        return out[:n]

    # -- links ----------------------------------------------------------------

    def tagged(self, field: str, key: str, type_name: str | None = None) -> list[int]:
        """Ids of records (of a type) whose field ``field`` holds ``key`` (a link or a value)."""
        if field == "doi":
            key = key.casefold()
        if type_name is not None:
            q = ("SELECT links.rid FROM links JOIN records ON records.rid = links.rid "
                 "WHERE field = ? AND value = ? AND records.type = ? ORDER BY links.rid")
            return [r for (r,) in self._all(q, (field, key, TYPE_CODES[type_name]))]
        return [r for (r,) in self._all("SELECT rid FROM links WHERE field = ? AND value = ? ORDER BY rid", (field, key))]

    def tagged_count(self, field: str, key: str) -> int:
        row = self._one("SELECT count(*) FROM links WHERE field = ? AND value = ?", (field, key))
        return row[0] if row else 0

    def values(self, field: str) -> list[str]:
        """Every value a field holds in some record (mechanisms, tags...)."""
        return [v for (v,) in self._all("SELECT DISTINCT value FROM links WHERE field = ? ORDER BY value", (field,))]

    def linked_from(self, record: dict) -> dict[str, list[int]]:
        """Every record that links to this one, grouped by the linking field."""
        out: dict[str, list[int]] = {}
        for et in ENTITY_TYPES:
            for f in et.fields:
                if f.link == record["type"]:
                    ids = [i for i in self.tagged(f.name, record["key"]) if self.type_of(i) == et.name]
                    if ids:
                        # Records naming this one as parent are its children.
                        out.setdefault("children" if f.name == "parent" else et.plural, []).extend(ids)
        return out

    # -- the user's tags and notes ---------------------------------------------

    def annotate(self, data: dict[str, dict]) -> None:
        """Merge annotations (``{key: {"tags": [...], "user_note": "..."}}``) into the records.

        A key may be ``type:key`` (``term:gvhd``). Keys naming no record
        loaded now (one of a --data folder, say) are kept in the file and
        listed in ``unmatched`` (`exo tags` names them).
        """
        unknown = self.unmatched
        for key, ann in data.items():
            rid = self.lookup(key)
            if rid is None:
                unknown.append(key)
                continue
            merged = self.annotations.setdefault(rid, {})
            if ann.get("tags"):
                merged["tags"] = list(dict.fromkeys([*merged.get("tags", []), *ann["tags"]]))
            if ann.get("user_note"):
                merged["user_note"] = ann["user_note"]
            self._decoded.pop(rid, None)

    def annotation_key(self, rid: int) -> str:
        """The key annotations.toml files a record under: its key, or
        ``type:key`` when the bare key names a record of another type first."""
        key = self.keys[rid]
        return key if self.lookup(key) == rid else f"{self.type_of(rid)}:{key}"

    def tag_counts(self) -> dict[str, list[int]]:
        """Every tag (in its first spelling) with the ids of the records carrying it (any letter case)."""
        out: dict[str, list[int]] = {}
        spelled: dict[str, str] = {}
        for rid in sorted(self.annotations):
            for t in self.annotations[rid].get("tags", ()):
                name = spelled.setdefault(t.casefold(), t)
                if rid not in out.setdefault(name, []):
                    out[name].append(rid)
        return out

    def with_tags(self, tags: Iterable[str]) -> set[int]:
        """Ids of the records carrying any of ``tags``, in any letter case."""
        wanted = {t.casefold() for t in tags}
        return {rid for rid, ann in self.annotations.items() if wanted & {t.casefold() for t in ann.get("tags", ())}}

    # -- the word index (for search) -------------------------------------------

    def tokenize(self, text: str) -> list[str]:
        """The index terms of a text, in order, by the store's own tokenizer."""
        from .store import _index_text

        if self._tok is None:
            self._tok = sqlite3.connect(":memory:", isolation_level=None)
            self._tok.execute(
                "CREATE VIRTUAL TABLE q USING fts5(x, tokenize='porter unicode61 remove_diacritics 2')"
            )
            self._tok.execute("CREATE VIRTUAL TABLE qv USING fts5vocab(q, 'instance')")
        t = self._tok
        t.execute("DELETE FROM q")
        t.execute("INSERT INTO q(rowid, x) VALUES (1, ?)", _sqlable((_index_text(text),)))
        return [term for term, _ in t.execute("SELECT term, offset FROM qv ORDER BY offset")]

    def doc_freq(self, term: str) -> int:
        """How many records hold an index term (from the store's own count,
        since FTS5's vocabulary table counts by walking the whole list)."""
        row = self._one("SELECT df FROM terms WHERE term = ?", (term,))
        return row[0] if row else 0

    def prefixed(self, prefix: str, limit: int = 200) -> list[tuple[str, int]]:
        """(term, document count) of index terms starting with ``prefix`` (longer than it)."""
        rows = self._all(
            "SELECT term, df FROM terms WHERE term > ? AND term < ? LIMIT ?", (prefix, prefix + "\U0010ffff", limit)
        )
        return [(t, d) for t, d in rows if t.startswith(prefix)]

    def terms_like(self, term: str) -> list[str]:
        """Index terms that may be a typo's intended word: of about its length,
        and in a big store only those sharing its first or second letter (a
        swapped first pair), where the whole vocabulary is too long to compare."""
        lo, hi = max(1, len(term) - 2), len(term) + 2
        if self._total <= 50_000:
            return [t for (t,) in self._all("SELECT term FROM terms WHERE length(term) BETWEEN ? AND ?", (lo, hi))]
        out = []
        for first in dict.fromkeys(term[:2]):
            out += [t for (t,) in self._all(
                "SELECT term FROM terms WHERE term >= ? AND term < ? AND length(term) BETWEEN ? AND ?",
                (first, first + "\U0010ffff", lo, hi),
            )]
        return out

    def weighted_postings(self, term: str, weights: tuple[float, ...]) -> list[tuple[int, float]]:
        """(record id, weight of the best column holding the term), one row a record."""
        from .store import COLUMNS

        case = " ".join(f"WHEN '{c}' THEN {w!r}" for c, w in zip(COLUMNS, weights))
        return self._all(f"SELECT doc, max(CASE col {case} ELSE 0 END) FROM vinst WHERE term = ? GROUP BY doc", (term,))

    def postings(self, term: str) -> list[tuple[int, int, int]]:
        """(record id, column code, offset) of every occurrence of a term."""
        code = COLUMN_CODE
        return [(d, code[c], o) for d, c, o in self._all("SELECT doc, col, offset FROM vinst WHERE term = ?", (term,))]

    def match(self, expr: str, limit: int, within: list[int] | None = None) -> list[int]:
        """Record ids matching an FTS5 expression, in id order (bundled data first)."""
        if within is not None:
            if not within:
                return []
            q = f"SELECT rowid FROM fts WHERE fts MATCH ? AND rowid IN ({','.join('?' * len(within))}) LIMIT ?"
            return [r for (r,) in self._all(q, (expr, *within, limit))]
        return [r for (r,) in self._all("SELECT rowid FROM fts WHERE fts MATCH ? LIMIT ?", (expr, limit))]


_OPEN: list[sqlite3.Connection] = []


def discard_current() -> None:
    """Forget the stores opened in this run (one was damaged); the next load rebuilds."""
    from . import store

    while _OPEN:
        store.discard(_OPEN.pop())


def opened() -> int:
    """How many stores this run has open (a mark for `close_opened`)."""
    return len(_OPEN)


def close_opened(since: int = 0) -> None:
    """Close the stores opened since the mark ``since`` (a command has ended)."""
    while len(_OPEN) > since:
        try:
            _OPEN.pop().close()
        except sqlite3.Error:
            pass


def load(
    extra_dirs: Iterable[str | os.PathLike] = (),
    *,
    use_cache: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
    env: dict | None = None,
) -> Catalog:
    """The catalog of the bundled data, the user's library, EXO_DATA_PATH and extra folders."""
    from . import store

    fs = folders(extra_dirs, env)
    for attempt in range(2):
        conn, warnings = store.open_store(fs, use_cache=use_cache, progress=progress, env=env)
        try:
            cat = Catalog(conn, warnings)
            _OPEN.append(conn)
            _annotate(cat, env)
            return cat
        except Damaged:
            store.discard(conn)  # NOTE: rebuilt on the next attempt
            if attempt:
                raise
    raise AssertionError("unreachable")


def _annotate(cat: Catalog, env: dict | None) -> None:
    """Merge the library's annotations.toml, if there is one; a broken file is a warning."""
    lib = library_dir(env)
    if lib is None:
        return
    path = lib / model.ANNOTATIONS_FILE
    try:
        if not path.is_file():
            return
    except OSError:
        return
    from . import annotations
    from .errors import DataError

    try:
        data = annotations.load(lib)
    except DataError as e:
        first = str(e.problems[0]) if e.problems else str(path)
        more = f" (and {len(e.problems) - 1} more)" if len(e.problems) > 1 else ""
        cat.warnings.append(f"{first}{more}; your tags and notes are left out until the file is fixed")
        return
    cat.annotate(data)

