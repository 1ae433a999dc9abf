"""Loading, validating and caching the knowledge base.

A catalog is every record of the bundled ``data/`` folder plus the folders in
``EXO_DATA_PATH`` and ``--data``. Loading parses each TOML file, checks every
record against `model`, resolves every cross-reference and reports all
problems at once (`DataError`). The result is cached (see `cache`), so a
folder that has not changed is never parsed twice.

The catalog keeps records as compact per-record blobs and decodes one only
when it is asked for: a search over 100,000 studies touches the word index
and decodes just the hits.
"""

from __future__ import annotations

import functools
import marshal
import os
import re
import sys
from array import array
from bisect import bisect_left
from pathlib import Path
from typing import Callable, Iterable, Iterator

from . import model
from .errors import DataError, NotFound, Problem, quoted
from .model import ENTITY_TYPES, EntityType

INT_RANGE = {"year": (1000, 2999)}
DOI_RE = re.compile(r"^10\.\d+(\.\d+)*/\S+$")
KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+'-]*$")
TYPE_CODES = {t.name: i for i, t in enumerate(ENTITY_TYPES)}

# Field codes of the word index, and how much a match in each counts.
# Ordered by weight: where a word occurs in several fields, the index keeps
# the lowest code, which is the field that counts most.
F_KEY, F_ALIAS, F_LABEL, F_AUTHOR, F_TAG, F_TEXT, F_OTHER = range(7)
FIELD_NAMES = ("key", "alias", "label", "author", "tag", "text", "other")
FIELD_WEIGHTS = (1.0, 0.95, 0.9, 0.85, 0.8, 0.6, 0.5)
# Plain-value fields indexed like links, so filters never decode every record.
_ALPHA = re.compile(r"[a-z]{2,}")
VALUE_TAGS = frozenset({"mechanisms", "evidence", "kind", "areas", "category", "model", "vesicle"})


def bundled_data_dir() -> Path:
    """The data folder shipped with the package (or the checkout's, in development)."""
    here = Path(__file__).resolve().parent
    packaged = here / "data"
    if packaged.is_dir():
        return packaged
    return here.parent.parent / "data"


def data_dirs(extra: Iterable[str | os.PathLike] = (), env: dict | None = None) -> list[Path]:
    """Bundled data, then each folder of EXO_DATA_PATH, then each --data folder."""
    env = os.environ if env is None else env
    dirs = [bundled_data_dir()]
    for part in env.get("EXO_DATA_PATH", "").split(os.pathsep):
        if part.strip():
            dirs.append(Path(part))
    dirs.extend(Path(d) for d in extra)
    unique: dict[str, Path] = {}
    for d in dirs:
        try:
            ident = str(d.resolve())
        except OSError:
            ident = str(d)
        unique.setdefault(ident, d)
    return list(unique.values())


# --------------------------------------------------------------------------
# Parsing and validation


_LINE_RE = re.compile(r"at line (\d+)")


def _tomllib():
    try:  # only needed when the cache is cold
        import tomllib  # noqa: PLC0415
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib  # noqa: PLC0415
    return tomllib


def _read_text(path: Path, problems: list[Problem]) -> str | None:
    """A data file's text, or None (with a problem) if it cannot be read as UTF-8."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        problems.append(Problem(str(path), f"cannot read: {e.strerror or e}"))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        problems.append(
            Problem(str(path), f"not UTF-8 (byte {e.start}); save the file as UTF-8", line=line)
        )
        return None
    return text[1:] if text.startswith("\ufeff") else text


def _parse_toml(text: str, path: Path, problems: list[Problem]) -> dict | None:
    """The whole file parsed, or None with a located problem."""
    tomllib = _tomllib()
    try:
        return tomllib.loads(text)
    except RecursionError:
        problems.append(Problem(str(path), "TOML nested too deeply to read; flatten the nested tables or arrays"))
        return None
    except tomllib.TOMLDecodeError as e:
        msg = str(e)
        m = _LINE_RE.search(msg)
        line = int(m.group(1)) if m else None
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        m2 = re.search(r"column (\d+)", str(e))
        col = f", column {m2.group(1)}" if m2 else ""
        problems.append(Problem(str(path), f"TOML syntax error{col}: {msg}", line=line))
        return None


CHUNK_CHARS = 1_000_000
_HEADER = re.compile(r"\[\s*([A-Za-z0-9_'.+-]+)\s*\]\s*(?:#.*)?$")


def _chunks(text: str, size: int = CHUNK_CHARS) -> list[str] | None:
    """A big file cut at table headers into pieces of about ``size`` characters.

    Only for files whose top level is plain `[key]` tables, each named once,
    with no header-looking line inside a multi-line string; anything else
    (None) is parsed whole, so TOML's own rules about redefined tables still
    apply. Parsing in pieces keeps memory down and lets progress be shown.
    """
    cuts = [0]
    names: set[str] = set()
    pos = 0
    in_string: str | None = None
    last = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if in_string is None and stripped.startswith("["):
            m = _HEADER.match(stripped)
            if not m or "." in m.group(1) or m.group(1) in names:
                return None
            names.add(m.group(1))
            if pos - last >= size:
                cuts.append(pos)
                last = pos
        for quote in ('"""', "'''"):
            n = line.count(quote)
            if n % 2 and (in_string is None or in_string == quote):
                in_string = None if in_string == quote else quote
        pos += len(line)
    cuts.append(len(text))
    return [text[a:b] for a, b in zip(cuts, cuts[1:]) if b > a]


@functools.lru_cache(maxsize=8)
def _lines_of_file(path: str) -> list[str] | None:
    # NOTE: cached, so a file with many problems is read once, not per problem.
    try:
        return Path(path).read_text("utf-8", errors="replace").splitlines()
    except OSError:
        return None


def _line_of(path: Path, key: str, table: str | None, field: str | None = None) -> int | None:
    """The line of a record's table, or of one of its fields (for error messages only)."""
    lines = _lines_of_file(str(path))
    if lines is None:
        return None
    names = {key, f'"{key}"', f"'{key}'"}
    if table:
        names = {f"{table}.{n}" for n in names}
    start = None
    for i, line in enumerate(lines, 1):
        s = line.strip()
        if start is None:
            if s.startswith("[") and s.split("#")[0].strip().strip("[] \t") in names:
                start = i
                if field is None:
                    return i
        elif s.startswith("["):
            break
        elif field is not None and re.match(rf"{re.escape(field)}\s*=", s):
            return i
    return start


def _type_ok(f: model.Field, value: object) -> str | None:
    """None if value fits the field, else what was expected."""
    if f.kind == "str":
        return None if isinstance(value, str) else "a string"
    if f.kind == "int":
        return None if isinstance(value, int) and not isinstance(value, bool) else "an integer"
    if f.kind == "bool":
        return None if isinstance(value, bool) else "true or false"
    if f.kind == "list":
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return None
        return "a list of strings"
    if f.kind == "date":
        import datetime as _dt  # noqa: PLC0415

        return None if isinstance(value, (str, _dt.date)) else "a date (YYYY-MM-DD)"
    return None


def _close(word: str, options: Iterable[str], n: int = 3) -> list[str]:
    import difflib  # noqa: PLC0415

    opts = list(options)
    lower = {o.lower(): o for o in opts}
    found = difflib.get_close_matches(word.lower(), list(lower), n=n, cutoff=0.6)
    return [lower[f] for f in found]


def _check_record(
    et: EntityType, key: str, raw: object, path: Path, problems: list[Problem]
) -> tuple[dict | None, bool]:
    """The record with its valid fields, and whether it had no problem.

    A record with a bad field is still returned (without that field), so
    its links and key are checked too and every problem is reported at once.
    """
    where = dict(file=str(path), record=key)

    def problem(msg: str, field: str | None = None) -> None:
        problems.append(Problem(message=msg, field=field, line=_line_of(path, key, et.table, field), **where))

    if not isinstance(raw, dict):
        problem(f"expected a table [{key}] with fields, found a plain value")
        return None, False
    if not KEY_RE.match(key):
        problem(
            "a key must start with an ASCII letter or digit and hold only those and . _ + ' - "
            "(drop accents: Müller2023 -> Muller2023)"
        )
        return None, False
    rec: dict = {"type": et.name, "key": key}
    ok = True
    for name, value in raw.items():
        f = et.field(name)
        if f is None:
            close = _close(name, et.field_names)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problem(f"unknown field{hint}; {et.name} fields are: {', '.join(et.field_names)}", name)
            ok = False
            continue
        expected = _type_ok(f, value)
        if expected:
            problem(f"expected {expected}, found {type(value).__name__} {value!r:.60}", name)
            ok = False
            continue
        if name == "doi" and not DOI_RE.match(value):
            problem(f"{quoted(value, 60)} is not a DOI; write it as 10.NNNN/suffix, without doi: or a URL", name)
            ok = False
            continue
        lo, hi = INT_RANGE.get(name, (-(2**31), 2**31 - 1))
        if f.kind == "int" and not lo <= value <= hi:
            problem(f"{value} is out of range; expected {lo} to {hi}", name)
            ok = False
            continue
        if f.kind == "date" and not isinstance(value, str):
            value = value.isoformat()
        if f.choices:
            values = value if isinstance(value, list) else [value]
            for v in values:
                if v not in f.choices:
                    close = _close(v, f.choices, 1)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    problem(f"{v!r} is not allowed{hint}; choose from: {', '.join(f.choices)}", name)
                    ok = False
        rec[name] = value
    for f in et.fields:
        if f.required and f.name not in raw:
            problem(f"missing required field {f.name!r}", f.name)
            ok = False
        elif f.required and f.name in rec and isinstance(rec[f.name], (str, list)):
            value = rec[f.name]
            if not value or (isinstance(value, str) and not value.strip()):
                problem(f"required field {f.name!r} is empty", f.name)
                ok = False
    return rec, ok


def _records_in(et_file: str, data: dict) -> Iterator[tuple[EntityType, str, object]]:
    """The (entity type, key, raw table) triples of one parsed file."""
    types = [t for t in ENTITY_TYPES if t.file == et_file]
    plain = [t for t in types if t.table is None]
    nested = {t.table: t for t in types if t.table is not None}
    for key, value in data.items():
        if key in nested and isinstance(value, dict):
            for sub, raw in value.items():
                yield nested[key], sub, raw
        elif plain:
            yield plain[0], key, value


def _file_records(
    path: Path, name: str, problems: list[Problem], progress: Callable[[str, int, int], None] | None
) -> list[tuple[EntityType, str, dict]]:
    """Every record of one data file, checked against the schema."""
    text = _read_text(path, problems)
    if text is None:
        return []
    total = len(text)
    found: list[tuple[EntityType, str, dict]] = []
    local: list[Problem] = []

    def take(data: dict) -> None:
        for et, key, raw in _records_in(name, data):
            rec, _ok = _check_record(et, key, raw, path, local)
            if rec is not None:
                found.append((et, key, rec))

    pieces = _chunks(text) if total >= CHUNK_CHARS else None
    if pieces:
        tomllib = _tomllib()
        done = 0
        try:
            for piece in pieces:
                take(tomllib.loads(piece))
                done += len(piece)
                if progress:
                    progress(str(path), done, total)
        except (tomllib.TOMLDecodeError, RecursionError):
            pieces = None  # parse it whole below, for the exact error and line
            found.clear()
            local.clear()
    if not pieces:
        if progress:
            progress(str(path), 0, total)
        data = _parse_toml(text, path, problems)
        if data is None:
            return []
        del text
        take(data)
    problems.extend(local)
    return found


def parse_dirs(
    dirs: list[Path], progress: Callable[[str, int, int], None] | None = None
) -> tuple[list[dict], list[str]]:
    """Parse and validate every data folder; return records and their files.

    Raises DataError listing every problem found, in every folder.
    """
    _lines_of_file.cache_clear()  # the files may have changed since the last call
    problems: list[Problem] = []
    records: list[dict] = []
    origins: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for d in dirs:
        if not d.is_dir():
            what = "does not exist" if not d.exists() else "is not a folder"
            problems.append(
                Problem(str(d), f"data folder {what}; check EXO_DATA_PATH and --data")
            )
            continue
        for stray in sorted(d.glob("*.toml")):
            if stray.name not in model.DATA_FILES:
                close = _close(stray.name, model.DATA_FILES, 1)
                hint = f"did you mean {close[0]}? " if close else ""
                problems.append(
                    Problem(str(stray), f"not a file exo reads; {hint}data files are: {', '.join(model.DATA_FILES)}")
                )
        for name in model.DATA_FILES:
            path = d / name
            if not path.exists():
                continue
            for et, key, rec in _file_records(path, name, problems, progress):
                ident = (et.name, key.casefold())
                if ident in seen:
                    first = origins[seen[ident]]
                    other = records[seen[ident]]["key"]
                    problems.append(
                        Problem(
                            str(path),
                            f"{et.name} key {key!r} is already defined in {first}"
                            + (f" (as {other!r})" if other != key else "")
                            + "; rename one of them",
                            record=key,
                            line=_line_of(path, key, et.table),
                        )
                    )
                    continue
                seen[ident] = len(records)
                records.append(rec)
                origins.append(str(path))
    # Cross-references.
    index = {(r["type"], r["key"]) for r in records}
    lower = {(t, k.casefold()): k for t, k in index}
    by_type: dict[str, list[str]] = {}
    for r in records:
        by_type.setdefault(r["type"], []).append(r["key"])
    for r, origin in zip(records, origins):
        et = model.BY_NAME[r["type"]]
        for f in et.fields:
            if not f.link or f.name not in r:
                continue
            values = r[f.name] if isinstance(r[f.name], list) else [r[f.name]]
            fixed = []
            for v in values:
                if (f.link, v) in index:
                    fixed.append(v)
                elif (f.link, v.casefold()) in lower:
                    fixed.append(lower[(f.link, v.casefold())])
                else:
                    close = _close(v, by_type.get(f.link, []))
                    hint = f" (did you mean {', '.join(close)}?)" if close else ""
                    problems.append(
                        Problem(
                            origin,
                            f"unknown {f.link} {v!r}{hint}",
                            record=r["key"],
                            field=f.name,
                            line=_line_of(Path(origin), r["key"], et.table, f.name),
                        )
                    )
            if isinstance(r[f.name], list):
                r[f.name] = fixed
    _check_parent_cycles(records, origins, problems)
    if problems:
        raise DataError(problems)
    return records, origins


def _check_parent_cycles(records: list[dict], origins: list[str], problems: list[Problem]) -> None:
    """Parents form trees (sections, diseases, sources): a chain that comes back
    on itself is an error."""
    for type_name in ("topic", "disease", "source"):
        et = model.BY_NAME[type_name]
        parent = {r["key"]: r.get("parent") for r in records if r["type"] == type_name}
        where = {r["key"]: o for r, o in zip(records, origins) if r["type"] == type_name}
        reported: set[str] = set()
        for start in parent:
            seen = []
            k: str | None = start
            while k is not None and k not in seen:
                seen.append(k)
                k = parent.get(k)
            if k is not None and k == start and start not in reported:
                loop = seen[seen.index(k) :] + [k]
                reported.update(loop)
                problems.append(
                    Problem(
                        where[start],
                        f"{et.plural} form a loop through their parents: " + " -> ".join(loop),
                        record=start,
                        field="parent",
                        line=_line_of(Path(where[start]), start, et.table, "parent"),
                    )
                )


def validate(dirs: list[Path]) -> dict[str, int]:
    """Records per entity type in the given folders; DataError listing every problem."""
    records, _ = parse_dirs(dirs)
    counts: dict[str, int] = {}
    for r in records:
        counts[r["type"]] = counts.get(r["type"], 0) + 1
    return counts


# --------------------------------------------------------------------------
# The catalog


class Catalog:
    """Every record, with a word index for search and a tag index for filters.

    Records are addressed by id (their position). ``blobs`` holds each record
    marshalled on its own, so only the records a command shows are decoded.
    """

    def __init__(self, state: dict) -> None:
        self.keys: list[str] = state["keys"]
        self.types: bytes = state["types"]
        self.years: array = array("i")
        self.years.frombytes(state["years"])
        self._blob_data = state["blob_data"]  # bytes, or a view of the mapped cache
        self._blob_off: array = array("I")
        self._blob_off.frombytes(state["blob_off"])
        self.origins: list[str] = state["origins"]
        # NOTE: the word index is one sorted vocabulary and one postings
        # buffer, so loading 100,000 records builds a few big objects rather
        # than hundreds of thousands of small ones.
        vocab = state["vocab"]
        if not isinstance(vocab, str):
            raise TypeError("vocab")
        self.vocab: list[str] = vocab.split("\n") if vocab else []
        self._post_off: array = array("I")
        self._post_off.frombytes(state["post_off"])
        self._postings: memoryview = memoryview(state["postings"]).cast("I")
        self.tags: dict[str, bytes] = state["tags"]
        self._check_shape()
        self._decoded: dict[int, dict] = {}
        self._by_fold: dict[str, list[int]] | None = None

    def _check_shape(self) -> None:
        """ValueError unless the parts agree (a cache of another shape is rebuilt)."""
        n = len(self.keys)
        ok = (
            isinstance(self.keys, list)
            and all(isinstance(k, str) for k in self.keys[:1] + self.keys[-1:])
            and isinstance(self.types, bytes)
            and len(self.types) == n
            and all(t < len(ENTITY_TYPES) for t in set(self.types))
            and len(self.years) == n
            and len(self._blob_off) == n + 1
            and (n == 0 or self._blob_off[-1] <= len(self._blob_data))
            and isinstance(self.origins, list)
            and len(self.origins) == n
            and isinstance(self.vocab, list)
            and len(self._post_off) == len(self.vocab) + 1
            and (not self.vocab or self._post_off[-1] <= len(self._postings))
            and isinstance(self.tags, dict)
            and all(isinstance(k, str) and isinstance(v, (bytes, bytearray)) for k, v in self.tags.items())
        )
        if not ok:
            raise ValueError("catalog state of another shape")

    # -- the word index ---------------------------------------------------

    def word_id(self, word: str) -> int | None:
        """The position of a word in the sorted vocabulary, or None."""
        i = bisect_left(self.vocab, word)
        return i if i < len(self.vocab) and self.vocab[i] == word else None

    def has_word(self, word: str) -> bool:
        return self.word_id(word) is not None

    def prefixed(self, prefix: str) -> list[str]:
        """Vocabulary words that start with ``prefix`` (longer than it)."""
        i = bisect_left(self.vocab, prefix)
        out = []
        while i < len(self.vocab) and self.vocab[i].startswith(prefix):
            if self.vocab[i] != prefix:
                out.append(self.vocab[i])
            i += 1
        return out

    def postings(self, word: str) -> memoryview:
        """Packed (record id * 8 + field code) entries of a word."""
        i = self.word_id(word)
        if i is None:
            return self._postings[0:0]
        return self._postings[self._post_off[i] : self._post_off[i + 1]]

    def doc_freq(self, word: str) -> int:
        i = self.word_id(word)
        return 0 if i is None else self._post_off[i + 1] - self._post_off[i]

    # -- records ----------------------------------------------------------

    def __len__(self) -> int:
        return len(self.keys)

    def record(self, rid: int) -> dict:
        rec = self._decoded.get(rid)
        if rec is None:
            rec = marshal.loads(self._blob_data[self._blob_off[rid] : self._blob_off[rid + 1]])
            rec = {"type": ENTITY_TYPES[self.types[rid]].name, "key": self.keys[rid], **rec}
            self._decoded[rid] = rec
        return rec

    def type_of(self, rid: int) -> str:
        return ENTITY_TYPES[self.types[rid]].name

    def ids(self, type_name: str | None = None) -> list[int]:
        if type_name is None:
            return list(range(len(self.keys)))
        code = TYPE_CODES[type_name]
        return [i for i, t in enumerate(self.types) if t == code]

    def records(self, type_name: str | None = None) -> list[dict]:
        return [self.record(i) for i in self.ids(type_name)]

    def count(self, type_name: str) -> int:
        return self.types.count(TYPE_CODES[type_name])

    def _build_key_maps(self) -> None:
        self._by_fold = {}
        for i, k in enumerate(self.keys):
            self._by_fold.setdefault(k.casefold(), []).append(i)

    def lookup(self, key: str, type_name: str | None = None) -> int | None:
        """The id of a record by key, in any letter case; None if absent.

        ``type:key`` picks a type when a key is shared (``term:gvhd``).
        """
        if self._by_fold is None:
            self._build_key_maps()
        assert self._by_fold is not None
        if type_name is None and ":" in key:
            t, _, k = key.partition(":")
            t = t.strip().lower()
            if t in model.BY_NAME or t in model.BY_PLURAL:
                type_name, key = model.entity_type(t).name, k
        found = self._by_fold.get(key.strip().casefold(), [])
        if type_name is not None:
            found = [i for i in found if self.type_of(i) == type_name]
        if not found:
            return None
        return min(found, key=lambda i: self.types[i])

    def get(self, key: str, type_name: str | None = None) -> dict:
        """A record by key, or NotFound with the closest keys."""
        rid = self.lookup(key, type_name)
        if rid is None:
            what = type_name or "record"
            raise NotFound(f"{what} key" if type_name else "key", key, self.suggest_keys(key, type_name))
        return self.record(rid)

    def suggest_keys(self, key: str, type_name: str | None = None, n: int = 3) -> list[str]:
        from rapidfuzz import fuzz, process  # noqa: PLC0415

        pool = self.keys if type_name is None else [self.keys[i] for i in self.ids(type_name)]
        choices = {k.casefold(): k for k in pool}
        q = key.casefold()[:200]
        hits = process.extract(q, list(choices), scorer=fuzz.ratio, limit=n, score_cutoff=60)
        if not hits:
            hits = process.extract(q, list(choices), scorer=fuzz.WRatio, limit=n, score_cutoff=85)
        return [choices[h[0]] for h in hits]

    # -- links --------------------------------------------------------------

    def tagged(self, field: str, key: str) -> list[int]:
        """Ids of records whose link field ``field`` holds ``key``."""
        blob = self.tags.get(f"{field}:{key}")
        if not blob:
            return []
        a = array("I")
        a.frombytes(blob)
        return list(a)

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


# --------------------------------------------------------------------------
# Building the indexes


def _index_entries(rec: dict, labels: dict[tuple[str, str], list[str]]) -> Iterator[tuple[int, str]]:
    """(field code, text) pairs of one record for the word index."""
    from .text import key_words  # noqa: PLC0415

    et = model.BY_NAME[rec["type"]]
    for w in key_words(rec["key"]):
        yield F_KEY, w
    for name in (et.label_field, "name", "title", "abbreviation", "expansion"):
        if isinstance(rec.get(name), str):
            yield F_LABEL, rec[name]
    for name in ("aliases", "products", "keywords"):
        for v in rec.get(name) or ():
            yield F_ALIAS, v
    for a in rec.get("authors") or ():
        yield F_AUTHOR, a.split(",")[0]
    for f in et.fields:
        if f.link and f.name in rec:
            values = rec[f.name] if isinstance(rec[f.name], list) else [rec[f.name]]
            for v in values:
                yield F_TAG, v
                for text in labels.get((f.link, v), ()):
                    yield F_TAG, text
    for name in ("mechanisms", "conditions"):
        for v in rec.get(name) or ():
            yield F_TAG, v
    for name in ("note", "summary", "focus", "tissue", "expansion_note", "doi_note"):
        if isinstance(rec.get(name), str):
            yield F_TEXT, rec[name]
    for name in ("category", "evidence", "kind"):
        if isinstance(rec.get(name), str):
            yield F_TAG, rec[name]
    for name in ("model", "vesicle", "areas"):
        for v in rec.get(name) or ():
            yield F_TAG, v
    if isinstance(rec.get("journal"), str):
        yield F_OTHER, rec["journal"]
    if isinstance(rec.get("year"), int):
        yield F_OTHER, str(rec["year"])


def build_state(records: list[dict], origins: list[str]) -> dict:
    """The cacheable state of a catalog: keys, blobs and the two indexes.

    Consumes ``records``: each is dropped from the list once indexed, so a
    big first parse does not hold every record twice.
    """
    from .text import words as split_words  # noqa: PLC0415

    labels: dict[tuple[str, str], list[str]] = {}
    for r in records:
        if r["type"] in ("disease", "source", "topic", "company"):
            texts = [r.get("name") or r.get("title") or ""]
            texts += list(r.get("aliases") or ())
            if r.get("abbreviation"):
                texts.append(r["abbreviation"])
            labels[(r["type"], r["key"])] = texts
    words: dict[str, array] = {}
    tags: dict[str, array] = {}
    years = array("i")
    blob_off = array("I", [0])
    blob_parts = []
    size = 0
    keys = [r["key"] for r in records]
    types = bytes(TYPE_CODES[r["type"]] for r in records)
    for rid in range(len(records)):
        r = records[rid]
        records[rid] = None  # type: ignore[call-overload]  # free each record once indexed
        body = marshal.dumps({k: v for k, v in r.items() if k not in ("type", "key")})
        blob_parts.append(body)
        size += len(body)
        blob_off.append(size)
        years.append(r.get("year") if isinstance(r.get("year"), int) else 0)
        best: dict[str, int] = {}
        for code, text in _index_entries(r, labels):
            for w in split_words(text):
                # Mixed words also count by their letter runs (misev2018 -> misev).
                parts = [w] if w.isalpha() or w.isdigit() else [w, *_ALPHA.findall(w)]
                for p in parts:
                    if p not in best or code < best[p]:
                        best[p] = code
        for w, code in best.items():
            words.setdefault(w, array("I")).append(rid * 8 + code)
        et = model.BY_NAME[r["type"]]
        for f in et.fields:
            if (f.link or f.name in VALUE_TAGS) and f.name in r:
                values = r[f.name] if isinstance(r[f.name], list) else [r[f.name]]
                for v in values:
                    tags.setdefault(f"{f.name}:{v}", array("I")).append(rid)
        if isinstance(r.get("doi"), str):
            tags.setdefault("doi:" + r["doi"].casefold(), array("I")).append(rid)
    vocab = sorted(words)
    post_off = array("I", [0])
    postings = array("I")
    for w in vocab:
        postings.extend(words[w])
        post_off.append(len(postings))
    return {
        "keys": keys,
        "types": types,
        "years": years.tobytes(),
        "blob_data": b"".join(blob_parts),
        "blob_off": blob_off.tobytes(),
        "origins": origins,
        "vocab": "\n".join(vocab),
        "post_off": post_off.tobytes(),
        "postings": postings.tobytes(),
        "tags": {t: a.tobytes() for t, a in tags.items()},
    }


def load(
    extra_dirs: Iterable[str | os.PathLike] = (),
    *,
    use_cache: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
    env: dict | None = None,
) -> Catalog:
    """The catalog of the bundled data plus EXO_DATA_PATH and extra folders."""
    from . import cache  # noqa: PLC0415

    dirs = data_dirs(extra_dirs, env)
    fingerprint = cache.fingerprint(dirs) if use_cache else None
    if fingerprint is not None:
        state = cache.read(fingerprint, env)
        if state is not None:
            try:
                return Catalog(state)
            except (KeyError, TypeError, ValueError, IndexError, AttributeError):
                pass  # a cache of another shape: rebuild it
    import gc  # noqa: PLC0415

    enabled = gc.isenabled()
    gc.disable()  # NOTE: parsing builds millions of small objects, none cyclic garbage
    try:
        records, origins = parse_dirs(dirs, progress)
        state = build_state(records, origins)
        del records
    finally:
        if enabled:
            gc.enable()
    if fingerprint is not None:
        cache.write(fingerprint, state, env)
    return Catalog(state)


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
