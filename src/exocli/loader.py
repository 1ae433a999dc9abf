"""Reading and validating data folders: TOML files in, checked records out.

This module owns the data folders (the bundled one, the user's library,
EXO_DATA_PATH and --data), the schema checks of every record, the
cross-references between records and the located problems (`Problem`: file,
line, record, field) that `exo validate` prints.

Records stream out one at a time (`Reader.events`), so a million-study
folder is never held in memory: the small files (diseases, sources,
companies, terms, sections) are read first, because studies link to them,
and then each studies.toml is parsed in pieces of about a megabyte cut at
table headers. A problem in the bundled data is an error; a bad record in a
user's folder is left out and reported as a warning, so one typo never takes
the knowledge base down (`exo validate` stays strict).
"""

from __future__ import annotations

import datetime as _dt
import functools
import os
import re
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from . import model
from .errors import DataError, Problem, quoted
from .model import ENTITY_TYPES, EntityType

INT_RANGE = (-(2**31), 2**31 - 1)  # an int field without a range of its own
KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+'-]*")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_FILE_BYTES = 4 << 30  # a data file larger than this is a mistake (or /dev/zero)
CHUNK_BYTES = 1_000_000
PROGRESS_MIN_BYTES = 1_000_000
LINKABLE_FIRST = tuple(t for t in ENTITY_TYPES if t.name != "study")


@dataclass(frozen=True)
class Folder:
    """A data folder and where it was named: bundled, library, env or option."""

    path: Path
    kind: str

    @property
    def strict(self) -> bool:
        # NOTE: the bundled data must be perfect; a user's folder may hold a
        # typo that should cost that record only.
        return self.kind == "bundled"


def bundled_data_dir() -> Path:
    """The data folder shipped with the package (or the checkout's, in development)."""
    here = Path(__file__).resolve().parent
    packaged = here / "data"
    if packaged.is_dir():
        return packaged
    return here.parent.parent / "data"


def _xdg(env: dict, name: str, default: str) -> Path | None:
    value = env.get(name, "")
    # NOTE: the XDG spec says a relative value is invalid and must be ignored.
    if value and os.path.isabs(value):
        return Path(value)
    home = env.get("HOME")
    return Path(home) / default if home else None


def library_dir(env: dict | None = None) -> Path | None:
    """The user's own library: EXO_LIBRARY, else $XDG_DATA_HOME/exo/library."""
    env = os.environ if env is None else env
    if env.get("EXO_LIBRARY"):
        return Path(env["EXO_LIBRARY"]).absolute()
    base = _xdg(env, "XDG_DATA_HOME", ".local/share")
    return None if base is None else base / "exo" / "library"


def folders(extra: Iterable[str | os.PathLike] = (), env: dict | None = None, library: bool = True) -> list[Folder]:
    """Bundled data, the user's library (if it exists), EXO_DATA_PATH, then --data."""
    env = os.environ if env is None else env
    found = [Folder(bundled_data_dir(), "bundled")]
    lib = library_dir(env) if library else None
    if lib is not None and is_dir(lib):
        found.append(Folder(lib, "library"))
    for part in env.get("EXO_DATA_PATH", "").split(os.pathsep):
        if part.strip():
            found.append(Folder(Path(part), "env"))
    found.extend(Folder(Path(d), "option") for d in extra)
    unique: dict[str, Folder] = {}
    for f in found:
        try:
            ident = str(f.path.resolve())
        except (OSError, RuntimeError):
            ident = str(f.path)
        unique.setdefault(ident, f)
    return list(unique.values())


def data_dirs(extra: Iterable[str | os.PathLike] = (), env: dict | None = None) -> list[Path]:
    """The paths of `folders`."""
    return [f.path for f in folders(extra, env)]


def is_dir(path: Path) -> bool:
    """Whether a path is a folder; False for any path the system refuses."""
    try:
        return path.is_dir()
    except (OSError, RuntimeError):
        return False


def same_path(a: Path, b: Path) -> bool:
    """Whether two paths name the same file or folder (by name if either cannot be resolved)."""
    try:
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):
        return a == b


# --------------------------------------------------------------------------
# TOML


def _tomllib():
    try:  # only needed when the store is built
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib
    return tomllib


def _fast_loads():
    """toml_rs's loads pinned to TOML 1.0 (what tomllib reads), or None.

    NOTE: toml_rs parses the synthetic 100,000-study file in 2.2 s against
    11.4 s for tomllib, with identical results; tomllib stays the reference
    (small files, every error message), so a file either parser rejects is
    re-read by tomllib for the exact message and line.
    """
    try:
        import toml_rs
    except ImportError:
        return None

    def loads(text: str) -> dict:
        # NOTE: toml_rs reads integers of any length; tomllib (and str()) refuse
        # those Python will not convert, so such a text gets tomllib's verdict.
        if _long_integer(text):
            raise ValueError("an integer too long to convert")
        return toml_rs.loads(text, toml_version="1.0.0")

    return loads


def _int_digits() -> int:
    """The most digits Python converts between an integer and text (0: no limit)."""
    return getattr(sys, "get_int_max_str_digits", lambda: 0)()


def _long_integer(text: str) -> re.Match | None:
    """Where a run of more digits than Python converts is, if any (a number or not)."""
    limit = _int_digits()
    return _digit_run(limit).search(text) if limit else None


@functools.lru_cache(maxsize=4)
def _digit_run(limit: int) -> re.Pattern:
    # NOTE: no lookbehind for the start of the run: three times faster (6 ms a
    # megabyte), and a run never spans lines, so the line found is the same.
    return re.compile(rf"[0-9][0-9_]{{{limit}}}")


_LINE_RE = re.compile(r"at line (\d+)")


def _toml_problem(e: Exception, path: Path, first_line: int = 1) -> Problem:
    msg = str(e)
    m = _LINE_RE.search(msg)
    line = int(m.group(1)) + first_line - 1 if m else None
    m2 = re.search(r"column (\d+)", msg)
    col = f", column {m2.group(1)}" if m2 else ""
    msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
    return Problem(str(path), f"TOML syntax error{col}: {msg}", line=line)


def _parse(text: str, path: Path, problems: list[Problem], first_line: int = 1, loads=None) -> dict | None:
    """Parsed TOML, or None with a located problem."""
    tomllib = _tomllib()
    try:
        return (loads or tomllib.loads)(text)
    except RecursionError:
        problems.append(Problem(str(path), "TOML nested too deeply to read; flatten the nested tables or arrays"))
    except ValueError as e:  # TOMLDecodeError, or an integer too long to convert
        if loads is not None:
            return _parse(text, path, problems, first_line)  # tomllib's verdict and message
        if isinstance(e, tomllib.TOMLDecodeError):
            problems.append(_toml_problem(e, path, first_line))
        else:
            # NOTE: the error does not say where; find the first such number.
            m = _long_integer(text)
            if m:
                line = text.count("\n", 0, m.start()) + first_line
                problems.append(Problem(str(path), f"an integer of over {_int_digits():,} digits cannot be read; shorten it", line=line))
            else:
                problems.append(Problem(str(path), f"a value cannot be read: {e}; shorten it"))
    return None


_HEADER = re.compile(rb"\s*\[\s*([A-Za-z0-9_'.+-]+)\s*\]\s*(?:#[^\n]*)?\r?\n?")


class _Pieces:
    """A big file cut into pieces of about CHUNK_BYTES at top-level table headers.

    Only plain ``[key]`` headers are cut at; a header-looking line inside a
    multi-line string is not. Lines are split on ``\\n`` alone, as TOML
    defines them (never on the other breaks Python knows, such as U+0085).
    A table header that repeats an earlier one is remembered: TOML forbids
    it, so the whole file is then left to tomllib's verdict.
    """

    def __init__(self, f, size: int) -> None:
        self.f = f
        self.size = size
        self.names: set[bytes] = set()
        self.repeated = False
        self.done = 0

    # Only two things matter to where a cut may go: lines starting with "["
    # and triple quotes (which open and close multi-line strings); the
    # scanner looks at nothing else, so a big file is cut at C speed.
    _TOKENS = re.compile(rb'"""|\'\'\'|^[ \t]*\[[^\n]*\n?', re.M)
    BLOCK = 1 << 20

    def __iter__(self) -> Iterator[tuple[bytes, int]]:
        pending = b""  # the current piece so far
        start_line = 1
        in_string: bytes | None = None
        while True:
            block = self.f.read(self.BLOCK)
            if block:
                block += self.f.readline()  # end on a line break, as TOML counts lines
            if not block:
                break
            buf = pending + block
            base = len(pending)
            cut_from = 0
            for m in self._TOKENS.finditer(buf, base):
                tok = m.group()
                if tok in (b'"""', b"\'\'\'"):
                    if in_string is None:
                        in_string = tok
                    elif in_string == tok:
                        in_string = None
                    continue
                if in_string is not None:
                    # a header-looking line inside a string; its quotes still count
                    for q in re.findall(rb'"""|\'\'\'', tok):
                        if in_string is None or in_string == q:
                            in_string = None if in_string == q else q
                    continue
                h = _HEADER.fullmatch(tok)
                if not h or b"." in h.group(1):
                    for q in re.findall(rb'"""|\'\'\'', tok):
                        if in_string is None or in_string == q:
                            in_string = None if in_string == q else q
                    continue
                name = h.group(1)
                if name in self.names:
                    self.repeated = True
                self.names.add(name)
                at = m.start()
                if at - cut_from >= self.size:
                    piece = buf[cut_from:at]
                    yield piece, start_line
                    self.done += len(piece)
                    start_line += piece.count(b"\n")
                    cut_from = at
            pending = buf[cut_from:]
        if pending:
            yield pending, start_line
            self.done += len(pending)


def _parsed_ahead(pieces: "_Pieces", loads) -> Iterator[tuple[str | None, dict | None, int]]:
    """(text, parsed table or None, first line) of each piece, the next one
    parsed on a second thread while this one is checked and stored.

    NOTE: toml_rs releases the GIL while it parses, so on two cores parsing
    costs almost no wall time; with tomllib the thread just takes turns.
    """
    from concurrent.futures import ThreadPoolExecutor

    def parse(raw: bytes, first_line: int) -> tuple[str | None, dict | None, int]:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None, None, first_line
        if first_line == 1 and text.startswith("\ufeff"):
            text = text[1:]
        try:
            return text, (loads or _tomllib().loads)(text), first_line
        except (ValueError, RecursionError):
            return text, None, first_line

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="exo-parse") as pool:
        ahead = None
        for raw, first_line in pieces:
            nxt = pool.submit(parse, raw, first_line)
            if ahead is not None:
                yield ahead.result()
            ahead = nxt
        if ahead is not None:
            yield ahead.result()


# --------------------------------------------------------------------------
# Checking records


class _Locator:
    """Line numbers of tables and fields in one parsed text, indexed once."""

    def __init__(self, text: str, first_line: int = 1) -> None:
        self.text = text
        self.first = first_line
        self._tables: dict[str, int] | None = None
        self._lines: list[str] | None = None

    def _index(self) -> None:
        self._lines = self.text.split("\n")
        self._tables = {}
        for i, line in enumerate(self._lines):
            s = line.strip()
            if s.startswith("["):
                name = s.split("#")[0].strip().strip("[] \t")
                for q in ('"', "'"):
                    name = ".".join(p.strip().strip(q) for p in name.split("."))
                self._tables.setdefault(name, i)

    def line(self, key: str, table: str | None, fieldname: str | None = None) -> int | None:
        if self._tables is None:
            self._index()
        assert self._tables is not None and self._lines is not None
        start = self._tables.get(f"{table}.{key}" if table else key)
        if start is None:
            return None
        if fieldname is not None:
            pat = re.compile(rf"\s*[\"']?{re.escape(fieldname)}[\"']?\s*=")
            for i in range(start + 1, len(self._lines)):
                s = self._lines[i]
                if s.lstrip().startswith("["):
                    break
                if pat.match(s):
                    return i + self.first
        return start + self.first


# difflib's ratio for "did you mean" in data problems and tags: its own
# default, loose enough for a slip of two letters in a short key.
CLOSE_RATIO = 0.6


def close_matches(word: str, options: Iterable[str], n: int = 3) -> list[str]:
    """The options closest to a word, in their own spelling."""
    import difflib

    lower = {o.lower(): o for o in options}
    found = difflib.get_close_matches(word.lower()[:200], list(lower), n=n, cutoff=CLOSE_RATIO)
    return [lower[f] for f in found]


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
        if type(value) is _dt.date:
            return None
        # NOTE: fromisoformat also takes 20200801 and 2020-W31-6 (Python 3.11).
        if isinstance(value, str) and _DATE_RE.fullmatch(value):
            try:
                _dt.date.fromisoformat(value)
                return None
            except ValueError:
                pass
        return "a date (YYYY-MM-DD)"
    return None


def _what(value: object) -> str:
    if isinstance(value, list):
        return "an array of tables" if value and all(isinstance(v, dict) for v in value) else "an array"
    return f"a plain value ({type(value).__name__})"


_FIELDS = {et.name: {f.name: f for f in et.fields} for et in ENTITY_TYPES}
_REQUIRED = {et.name: tuple(f for f in et.fields if f.required) for et in ENTITY_TYPES}
_LINKS = {et.name: tuple(f for f in et.fields if f.link) for et in ENTITY_TYPES}


def check_record(et: EntityType, key: str, raw: object, path: Path, problems: list[Problem], where: _Locator) -> tuple[dict | None, bool]:
    """The record with its valid fields, and whether it had no problem.

    A record with a bad field is still returned (without that field), so its
    links and key are checked too and every problem is reported at once.
    """

    def problem(msg: str, fieldname: str | None = None) -> None:
        problems.append(
            Problem(str(path), msg, record=key, field=fieldname, line=where.line(key, et.table, fieldname))
        )

    if not isinstance(raw, dict):
        problem(f"expected a table [{key}] with fields, found {_what(raw)}")
        return None, False
    if not KEY_RE.fullmatch(key):
        problem(
            "a key must start with an ASCII letter or digit and hold only those and . _ + ' - "
            "(drop accents: Müller2023 -> Muller2023)"
        )
        return None, False
    rec: dict = {"type": et.name, "key": key}
    ok = True
    known = _FIELDS[et.name]
    for name, value in raw.items():
        f = known.get(name)
        if f is None:
            close = close_matches(name, et.field_names, 1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problem(f"unknown field{hint}; {et.name} fields are: {', '.join(et.field_names)}", name)
            ok = False
            continue
        expected = _type_ok(f, value)
        if expected:
            problem(f"expected {expected}, found {type(value).__name__} {quoted(value, 60)}", name)
            ok = False
            continue
        if f.kind == "int":
            lo, hi = f.range or INT_RANGE
            if not lo <= value <= hi:
                problem(f"{quoted(value, 20)} is out of range; expected {lo} to {hi}", name)
                ok = False
                continue
        if f.pattern and not _pattern(f.pattern).fullmatch(value):
            if f.what:
                problem(f"{quoted(value, 60)} is not {f.what}; write it as {f.form}", name)
            else:
                problem(f"{quoted(value, 60)} is not of the form {f.form or f.pattern}", name)
            ok = False
            continue
        if f.kind == "date" and not isinstance(value, str):
            value = value.isoformat()
        if f.choices:
            for v in value if isinstance(value, list) else [value]:
                if v not in f.choices:
                    close = _loose_choice(name, v) or close_matches(v, f.choices, 1)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    problem(f"{quoted(v, 60)} is not allowed{hint}; choose from: {', '.join(f.choices)}", name)
                    ok = False
        rec[name] = value
    for msg, fieldname in _cross_field_problems(rec):
        problem(msg, fieldname)
        ok = False
    for f in _REQUIRED[et.name]:
        if f.name not in raw:
            problem(f"missing required field {f.name!r}", f.name)
            ok = False
        elif f.name in rec and isinstance(rec[f.name], (str, list)):
            value = rec[f.name]
            if not value or (isinstance(value, str) and not value.strip()):
                problem(f"required field {f.name!r} is empty", f.name)
                ok = False
    return rec, ok


_PATTERNS: dict[str, re.Pattern] = {}


def _pattern(p: str) -> re.Pattern:
    if p not in _PATTERNS:
        _PATTERNS[p] = re.compile(p)
    return _PATTERNS[p]


_QUOTED = re.compile(r'^title: "([^"]+)"')


def _cross_field_problems(rec: dict) -> Iterator[tuple[str, str]]:
    """Rules between fields of one record (a study's basis and printed journal)."""
    basis = rec.get("evidence_basis")
    if isinstance(basis, str):
        if "evidence" not in rec and "model" not in rec:
            yield "a basis without an evidence level or model to rest it on; set evidence or model, or remove it", "evidence_basis"
        m = _QUOTED.match(basis)
        title = rec.get("title")
        if m and isinstance(title, str) and m.group(1).casefold() not in title.casefold():
            yield f"the quoted words {quoted(m.group(1), 60)} are not in the title; quote the title as printed", "evidence_basis"
    printed = rec.get("journal_as_printed")
    if isinstance(printed, str):
        journal = rec.get("journal")
        if not isinstance(journal, str) or printed != journal + ".":
            yield f"should be the journal followed by a period ({quoted(str(journal) + '.', 60)})", "journal_as_printed"


def _loose_choice(fieldname: str, value: str) -> list[str]:
    """The closed-set value a filter would read ``value`` as (mouse -> animal)."""
    names = model.CHOICE_ALIASES.get(fieldname, {})
    v = value.strip().casefold()
    return [choice for choice, aliases in names.items() if v in (a.casefold() for a in aliases)]


def _records_in(file_name: str, data: dict) -> Iterator[tuple[EntityType, str, object]]:
    """The (entity type, key, raw table) triples of one parsed file."""
    types = [t for t in ENTITY_TYPES if t.file == file_name]
    plain = [t for t in types if t.table is None]
    nested = {t.table: t for t in types if t.table is not None}
    for key, value in data.items():
        if key in nested and isinstance(value, dict):
            for sub, raw in value.items():
                yield nested[key], sub, raw
        elif plain:
            yield plain[0], key, value


# --------------------------------------------------------------------------
# Reading folders


@dataclass
class FileReport:
    """What happened to one data file: its problems and the records left out."""

    path: str
    folder: Folder
    problems: list[Problem] = field(default_factory=list)
    left_out: int = 0
    whole: bool = False  # the whole file was left out


Progress = Callable[[str, int, int], None]


class Reader:
    """Every record of a set of folders, checked, in the order they are stored.

    ``events()`` yields ``("record", rec, origin)`` for each good record,
    ``("begin", path)`` before a file's records and ``("rollback", path)``
    when the records of that file yielded so far must be forgotten (a big
    file whose pieces disagreed with the whole; it is then read again).
    After the iteration, ``reports`` holds every problem by file, and
    ``strict_problems()`` the ones that make the data unusable.
    """

    def __init__(self, dirs: list[Folder], progress: Progress | None = None, strict: bool = False) -> None:
        self.dirs = dirs
        self.progress = progress
        self.all_strict = strict
        self.reports: list[FileReport] = []
        self.folder_problems: list[tuple[Folder, Problem]] = []
        self.origins: list[str] = []
        # type -> folded key -> (key, origin index); diseases, sources... stay small.
        self._keys: dict[str, dict[str, tuple[str, int]]] = {t.name: {} for t in ENTITY_TYPES}
        self.labels: dict[tuple[str, str], list[str]] = {}

    # -- the public result ------------------------------------------------

    def is_strict(self, folder: Folder) -> bool:
        return self.all_strict or folder.strict

    def problems(self) -> list[Problem]:
        out = [p for _, p in self.folder_problems]
        for r in self.reports:
            out.extend(r.problems)
        return out

    def fatal(self) -> list[Problem]:
        """Problems that make loading fail (any, in strict mode; else the bundled data's)."""
        out = [p for f, p in self.folder_problems if self.is_strict(f) or f.kind == "option"]
        for r in self.reports:
            if self.is_strict(r.folder):
                out.extend(r.problems)
        return out

    def warnings(self) -> list[str]:
        """One line for each user file or folder that lost records."""
        out = []
        for f, p in self.folder_problems:
            if not self.is_strict(f) and f.kind != "option":
                out.append(f"{p.file}: {p.message}; skipped")
        for r in self.reports:
            if self.is_strict(r.folder) or not r.problems:
                continue
            first = r.problems[0]
            # NOTE: the first clause of the first problem; `exo validate` says it all.
            detail = str(first).split("; ")[0]
            if r.whole:
                what = f"{r.path} left out"
            else:
                n = r.left_out
                what = f"{n} record{'s' if n != 1 else ''} of {r.path} left out" if n else f"{r.path} has problems"
            more = f" (and {len(r.problems) - 1} more)" if len(r.problems) > 1 else ""
            out.append(f"{what}: {detail}{more}; run `exo validate {r.folder.path}`")
        return out

    # -- reading ----------------------------------------------------------

    def events(self) -> Iterator[tuple]:
        usable = []
        for folder in self.dirs:
            if self._folder_ok(folder):
                usable.append(folder)
        # Everything but studies first: studies link to them.
        pending: list[tuple[dict, int, FileReport, _Locator]] = []
        for folder in usable:
            for name in model.DATA_FILES:
                if name == model.STUDY.file:
                    continue
                path = folder.path / name
                report = FileReport(str(path), folder)
                text = self._read_small(path, report)
                if text is not None:
                    data = _parse(text, path, report.problems)
                    if data is None:
                        report.whole = True
                    else:
                        where = _Locator(text)
                        for et, key, raw in _records_in(name, data):
                            rec = self._take(et, key, raw, path, report, where)
                            if rec is not None:
                                pending.append((rec, self._origin(path), report, where))
                if report.problems or text is not None:
                    self.reports.append(report)
        good = self._link_small(pending)
        for rec, origin in good:
            yield ("record", rec, origin)
        for folder in usable:
            yield from self._studies(folder)
        self._unknown_files(usable)

    def _origin(self, path: Path) -> int:
        s = str(path)
        if not self.origins or self.origins[-1] != s:
            self.origins.append(s)
        return len(self.origins) - 1

    def _folder_ok(self, folder: Folder) -> bool:
        d = folder.path
        try:
            st = os.stat(d)
            if stat.S_ISDIR(st.st_mode):
                os.listdir(d)
                return True
            what = "is not a folder"
        except FileNotFoundError:
            what = "does not exist"
        except RuntimeError:
            what = "cannot be read (a symbolic link loop)"
        except OSError as e:
            what = f"cannot be read ({e.strerror or e})"
        self.folder_problems.append((folder, Problem(str(d), f"data folder {what}; check EXO_DATA_PATH and --data")))
        return False

    def _unknown_files(self, usable: list[Folder]) -> None:
        for folder in usable:
            try:
                strays = sorted(
                    p for p in folder.path.glob("*.toml") if p.name not in model.DATA_FILES and not _annotations(folder, p)
                )
            except OSError:
                continue
            for stray in strays:
                close = close_matches(stray.name, model.DATA_FILES, 1)
                hint = f"did you mean {close[0]}? " if close else ""
                report = FileReport(str(stray), folder, whole=True)
                report.problems.append(
                    Problem(str(stray), f"not a file exo reads; {hint}data files are: {', '.join(model.DATA_FILES)}")
                )
                self.reports.append(report)

    def _open(self, path: Path, report: FileReport):
        """A data file opened for reading, or None (absent, or a located problem)."""
        try:
            st = os.stat(path)
        except FileNotFoundError:
            if os.path.islink(path):
                report.problems.append(Problem(str(path), "cannot read: a symbolic link to nothing"))
                report.whole = True
            return None
        except RuntimeError:
            report.problems.append(Problem(str(path), "cannot read: a symbolic link loop"))
            report.whole = True
            return None
        except OSError as e:
            report.problems.append(Problem(str(path), f"cannot read: {e.strerror or e}"))
            report.whole = True
            return None
        if not stat.S_ISREG(st.st_mode):
            what = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            report.problems.append(Problem(str(path), f"cannot read: {what}; a data file must be a plain file"))
            report.whole = True
            return None
        if st.st_size > MAX_FILE_BYTES:
            report.problems.append(
                Problem(str(path), f"too big to be a data file ({st.st_size >> 20} MiB; the limit is {MAX_FILE_BYTES >> 20} MiB)")
            )
            report.whole = True
            return None
        try:
            return open(path, "rb")
        except OSError as e:
            report.problems.append(Problem(str(path), f"cannot read: {e.strerror or e}"))
            report.whole = True
            return None

    def _decode(self, raw: bytes, path: Path, report: FileReport, first_line: int = 1) -> str | None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            line = raw[: e.start].count(b"\n") + first_line
            report.problems.append(Problem(str(path), f"not UTF-8 (byte {e.start}); save the file as UTF-8", line=line))
            report.whole = True
            return None
        return text[1:] if first_line == 1 and text.startswith("\ufeff") else text

    def _read_small(self, path: Path, report: FileReport) -> str | None:
        f = self._open(path, report)
        if f is None:
            return None
        with f:
            try:
                # NOTE: read(n) sets aside n bytes first; _open has checked this
                # is a regular file within MAX_FILE_BYTES, so read it at its size.
                raw = f.read()
            except OSError as e:
                report.problems.append(Problem(str(path), f"cannot read: {e.strerror or e}"))
                report.whole = True
                return None
        return self._decode(raw, path, report)

    def _take(self, et: EntityType, key: str, raw: object, path: Path, report: FileReport, where: _Locator) -> dict | None:
        """A checked record, not yet linked; None if it must be left out."""
        rec, ok = check_record(et, key, raw, path, report.problems, where)
        if rec is None:
            report.left_out += 1
            return None
        fold = key.casefold()
        seen = self._keys[et.name]
        if fold in seen:
            other, origin = seen[fold]
            report.problems.append(
                Problem(
                    str(path),
                    f"{et.name} key {key!r} is already defined in {self.origins[origin]}"
                    + (f" (as {other!r})" if other != key else "")
                    + "; rename one of them",
                    record=key,
                    line=where.line(key, et.table),
                )
            )
            report.left_out += 1
            return None
        if not ok and not self.is_strict(report.folder):
            report.left_out += 1
            return None
        seen[fold] = (key, self._origin(path))
        return rec

    def _link(self, rec: dict, problems: list[Problem], where: _Locator, path: str) -> bool:
        """Canonicalise a record's links (any letter case) and check they resolve."""
        et = model.BY_NAME[rec["type"]]
        ok = True
        for f in _LINKS[et.name]:
            if f.name not in rec:
                continue
            single = not isinstance(rec[f.name], list)
            values = [rec[f.name]] if single else rec[f.name]
            table = self._keys[f.link]
            fixed = []
            for v in values:
                hit = table.get(v.casefold())
                if hit is not None:
                    fixed.append(hit[0])
                    continue
                ok = False
                close = self._suggest_link(f.link, v)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                problems.append(
                    Problem(path, f"unknown {f.link} {quoted(v, 60)}{hint}", record=rec["key"], field=f.name,
                            line=where.line(rec["key"], et.table, f.name))
                )
            if single:
                if fixed:
                    rec[f.name] = fixed[0]
                else:
                    del rec[f.name]
            else:
                rec[f.name] = fixed
        return ok

    def _suggest_link(self, link: str, value: str) -> list[str]:
        """Keys a wrong link value may have meant: by alias or name first, then by spelling."""
        from .text import compact

        v = compact(value)
        by_name = [k for (t, k), names in self.labels.items() if t == link and any(compact(n) == v for n in names)]
        if by_name:
            return by_name[:3]
        return close_matches(value, [k for k, _ in self._keys[link].values()])

    def _link_small(self, pending: list[tuple[dict, int, FileReport, _Locator]]) -> list[tuple[dict, int]]:
        """Link the small files' records; in a user folder a record whose link
        fails is left out, which may leave out records linking to it in turn."""
        for rec, _, _, _ in pending:
            self.labels[(rec["type"], rec["key"])] = _names(rec)
        # Terms name diseases and sources by key; sections, diseases and
        # sources name parents. Link in an order that lets a left-out record's
        # dependants find out.
        alive = list(pending)
        while True:
            dropped = False
            keep = []
            for item in alive:
                rec, origin, report, where = item
                scratch: list[Problem] = []
                if self._link(dict(rec), scratch, where, report.path) or self.is_strict(report.folder):
                    keep.append(item)  # a strict folder's problems are reported below
                    continue
                report.problems.extend(scratch)
                report.left_out += 1
                self._keys[rec["type"]].pop(rec["key"].casefold(), None)
                self.labels.pop((rec["type"], rec["key"]), None)
                dropped = True
            alive = keep
            if not dropped:
                break
        out = []
        for rec, origin, report, where in alive:
            self._link(rec, report.problems, where, report.path)
            out.append((rec, origin))
        self._check_parent_cycles(out)
        return out

    def _check_parent_cycles(self, records: list[tuple[dict, int]]) -> None:
        """Parents form trees (sections, diseases, sources); a loop is an error.

        Linear in the number of records: each record is walked once.
        """
        for et in model.ENTITY_TYPES:
            if et.parent is None:
                continue
            type_name = et.name
            parent = {r["key"]: r.get("parent") for r, _ in records if r["type"] == type_name}
            where = {r["key"]: o for r, o in records if r["type"] == type_name}
            state: dict[str, int] = {}  # 1: on the current path, 2: known to end
            for start in parent:
                path: list[str] = []
                k: str | None = start
                while k is not None and k in parent and state.get(k) is None:
                    state[k] = 1
                    path.append(k)
                    k = parent.get(k)
                if k is not None and state.get(k) == 1:
                    loop = path[path.index(k):] + [k]
                    origin = self.origins[where[k]]
                    report = next(r for r in self.reports if r.path == origin)
                    # NOTE: a long loop is named by its ends, not in a line of 100,000 keys.
                    shown = loop if len(loop) <= 12 else [*loop[:6], "...", *loop[-5:]]
                    size = f" ({len(loop) - 1:,} {et.plural})" if len(loop) > 12 else ""
                    report.problems.append(
                        Problem(origin, f"{et.plural} form a loop through their parents: " + " -> ".join(shown) + size,
                                record=k, field="parent", line=None)
                    )
                for p in path:
                    state[p] = 2

    def _studies(self, folder: Folder) -> Iterator[tuple]:
        path = folder.path / model.STUDY.file
        report = FileReport(str(path), folder)
        f = self._open(path, report)
        if f is None:
            if report.problems:
                self.reports.append(report)
            return
        self.reports.append(report)
        with f:
            try:
                size = os.fstat(f.fileno()).st_size
                yield ("begin", str(path))
                if size < CHUNK_BYTES:
                    text = self._decode(f.read(), path, report)
                    if text is not None:
                        yield from self._study_text(text, path, report, 1, None)
                    return
                if self.progress:
                    self.progress(str(path), 0, size)
                pieces = _Pieces(f, CHUNK_BYTES)
                loads = _fast_loads()
                clean = True
                for text, data, first_line in _parsed_ahead(pieces, loads):
                    if data is None:
                        if text is None:  # not UTF-8: the whole-file pass below says where
                            self._decode(b"\xff", path, report, first_line)
                        clean = False
                        break
                    yield from self._study_data(data, text, path, report, first_line)
                    if self.progress:
                        self.progress(str(path), pieces.done, size)
                if clean and not pieces.repeated:
                    return
            except OSError as e:
                report.problems.append(Problem(str(path), f"cannot read: {e.strerror or e}"))
                report.whole = True
                yield ("rollback", str(path))
                return
        # The pieces disagreed with the file as a whole (a syntax error, a
        # repeated table): forget them and let tomllib read the whole file.
        yield ("rollback", str(path))
        self._forget(path)
        report.problems.clear()
        report.left_out = 0
        report.whole = False
        with open(path, "rb") as f:
            text = self._decode(f.read(), path, report)
        if text is not None:
            yield ("begin", str(path))
            yield from self._study_text(text, path, report, 1, None)

    def _forget(self, path: Path) -> None:
        origin = self._origin(path)
        table = self._keys["study"]
        for fold in [k for k, (_, o) in table.items() if o == origin]:
            del table[fold]

    def _study_text(self, text: str, path: Path, report: FileReport, first_line: int, loads) -> Iterator[tuple]:
        data = _parse(text, path, report.problems, first_line, loads)
        if data is None:
            report.whole = True
            yield ("rollback", str(path))
            return
        yield from self._study_data(data, text, path, report, first_line)

    def _study_data(self, data: dict, text: str, path: Path, report: FileReport, first_line: int) -> Iterator[tuple]:
        where = _Locator(text, first_line)
        origin = self._origin(path)
        for et, key, raw in _records_in(model.STUDY.file, data):
            rec = self._take(et, key, raw, path, report, where)
            if rec is None:
                continue
            if not self._link(rec, report.problems, where, str(path)) and not self.is_strict(report.folder):
                self._keys["study"].pop(key.casefold(), None)
                report.left_out += 1
                continue
            yield ("record", rec, origin)


def _annotations(folder: Folder, path: Path) -> bool:
    """Whether a file is the library's tags and notes (read by the catalog, not here)."""
    return path.name == model.ANNOTATIONS_FILE and is_library(folder)


def is_library(folder: Folder) -> bool:
    """Whether a folder is the user's library, however it was named (`exo validate DIR` too)."""
    if folder.kind == "library":
        return True
    lib = library_dir()
    if lib is None:
        return False
    try:
        return folder.path.resolve() == lib.resolve()
    except (OSError, RuntimeError):
        return False


def _names(rec: dict) -> list[str]:
    """What a record is called (`model.names_of`)."""
    return model.names_of(rec)


def read_all(dirs: list[Path] | list[Folder], strict: bool = True, progress: Progress | None = None) -> tuple[list[dict], Reader]:
    """Every record of the folders in memory (tests, small folders); DataError on fatal problems."""
    fs = [d if isinstance(d, Folder) else Folder(d, "bundled" if i == 0 else "option") for i, d in enumerate(dirs)]
    reader = Reader(fs, progress, strict=strict)
    records: list[dict] = []
    marks: dict[str, int] = {}
    for ev in reader.events():
        if ev[0] == "record":
            records.append(ev[1])
        elif ev[0] == "begin":
            marks[ev[1]] = len(records)
        elif ev[0] == "rollback":
            del records[marks.get(ev[1], len(records)):]
    fatal = reader.fatal()
    if fatal:
        raise DataError(fatal)
    return records, reader


def parse_dirs(dirs: list[Path], progress: Progress | None = None) -> tuple[list[dict], list[str]]:
    """Every record of the folders, strictly checked; DataError lists every problem."""
    records, reader = read_all(dirs, strict=True, progress=progress)
    return records, reader.origins


def validate(dirs: list[Path]) -> dict[str, int]:
    """Records per entity type in the given folders; DataError listing every problem.

    Streams: a million-record folder is checked without being held in memory.
    """
    fs = [Folder(d, "bundled" if i == 0 else "option") for i, d in enumerate(dirs)]
    reader = Reader(fs, strict=True)
    counts: dict[str, int] = {}
    since: dict[str, int] = {}
    for ev in reader.events():
        if ev[0] == "record":
            t = ev[1]["type"]
            counts[t] = counts.get(t, 0) + 1
            path = reader.origins[ev[2]]
            since[path] = since.get(path, 0) + 1
        elif ev[0] == "rollback":
            counts["study"] = counts.get("study", 0) - since.pop(ev[1], 0)
    problems = reader.problems() + _annotation_problems(fs)
    if problems:
        raise DataError(problems)
    return counts


def _annotation_problems(fs: list[Folder]) -> list[Problem]:
    """What is wrong with the library's annotations.toml, when one of the folders is the library."""
    for f in fs:
        if is_library(f) and (f.path / model.ANNOTATIONS_FILE).is_file():
            from . import annotations

            try:
                annotations.load(f.path)
            except DataError as e:
                return list(e.problems)
    return []
