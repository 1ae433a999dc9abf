"""The store: one SQLite database holding every record and its full-text index.

A store is built from the checked records of a set of data folders (the
bundled data, the user's library, EXO_DATA_PATH, --data) and kept in the
user cache folder as a real database file that `sqlite3` or Datasette can
open. It holds:

- ``records``: each record's type, key, year and body (JSON);
- ``links``: (field, value, rid) for every link and closed-set value, so a
  filter such as ``--disease gvhd`` reads keys without decoding a record;
- ``names``: what each non-study record is called (key, name, aliases,
  abbreviation, products), folded, so ``exo show CAP-2003`` finds Capricor;
- ``fts``: an FTS5 index with one column per field group, tokenised by
  SQLite's Porter stemmer, and its vocabulary tables ``vrow`` and ``vinst``;
- ``terms``: each index term with the number of records holding it;
- ``meta``: the layout version, exo's version and the fingerprint of the
  data files it was built from, and the warnings the build raised.

The file is built beside its final name and renamed into place, so a reader
never sees half a store. It is rebuilt when any data file changes (size,
mtime, ctime, inode, device, readability), when the layout or exo's version
changes, or when it cannot be read. The cache folder is made private (0700);
a file or folder owned by someone else or writable by others is never
opened, so another local user cannot plant records.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import zlib
from pathlib import Path
from typing import Callable, Iterable

from . import model
from .model import ENTITY_TYPES
from .text import compact, fold, key_words, letter_runs

LAYOUT = 7  # bump whenever the tables or what goes into them change
KEEP = 8  # stores kept per cache folder (one per distinct set of data folders)
# NOTE: a store this small is checked whole on every open (about 1 ms
# for the bundled data); a big one (0.6 s for 100,000 studies) is trusted
# until SQLite meets a damaged page, which makes exo rebuild it and run again.
CHECK_BELOW = 8 << 20
TYPE_CODES = {t.name: i for i, t in enumerate(ENTITY_TYPES)}

# Index columns, in the order a match counts (the schema says which field goes where).
COLUMNS = model.INDEX_COLUMNS
COLUMN_CODE = {c: i for i, c in enumerate(COLUMNS)}
F_KEY, F_ALIAS, F_LABEL, F_AUTHOR, F_TAG, F_TEXT, F_OTHER, F_ABSTRACT = range(len(COLUMNS))

SCHEMA = f"""
CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;
CREATE TABLE records(
    rid INTEGER PRIMARY KEY, type INTEGER NOT NULL, key TEXT NOT NULL,
    fold TEXT NOT NULL, year INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE links(field TEXT NOT NULL, value TEXT NOT NULL, rid INTEGER NOT NULL,
    PRIMARY KEY(field, value, rid)) WITHOUT ROWID;
CREATE TABLE names(name TEXT NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY(name, rid)) WITHOUT ROWID;
CREATE VIRTUAL TABLE fts USING fts5({", ".join(COLUMNS)}, content='',
    tokenize='porter unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE vrow USING fts5vocab(fts, 'row');
CREATE VIRTUAL TABLE vinst USING fts5vocab(fts, 'instance');
CREATE TABLE terms(term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
"""
INDEXES = """
CREATE INDEX records_fold ON records(fold);
CREATE INDEX records_type ON records(type, rid);
"""


class Damaged(Exception):
    """The store could not be read; it is rebuilt."""


# --------------------------------------------------------------------------
# Where the store lives


def cache_dir(env: dict | None = None) -> Path | None:
    """EXO_CACHE_DIR, else $XDG_CACHE_HOME/exo, else ~/.cache/exo; None if none can be named.

    A relative XDG_CACHE_HOME is ignored, as the XDG spec says.
    """
    env = os.environ if env is None else env
    if env.get("EXO_CACHE_DIR"):
        return Path(env["EXO_CACHE_DIR"]).absolute()
    xdg = env.get("XDG_CACHE_HOME", "")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "exo"
    home = env.get("HOME")
    if not home or not os.path.isabs(home):
        return None
    return Path(home) / ".cache" / "exo"


def _uid() -> int | None:
    return os.getuid() if hasattr(os, "getuid") else None


def _private_dir(d: Path, create: bool) -> bool:
    """Whether ``d`` is a folder only this user can write (made so if ours)."""
    uid = _uid()
    try:
        st = os.lstat(d)
    except FileNotFoundError:
        if not create:
            return False
        # NOTE: mkdir gives the folders it makes on the way (~/.cache) the
        # umask's mode; under umask 000 they would be open to every user.
        old = os.umask(0o077)
        try:
            d.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(d, 0o700)  # NOTE: mkdir's mode is cut by the umask
            st = os.lstat(d)
        except OSError:
            return False
        finally:
            os.umask(old)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        return False
    if uid is None:
        return True
    if st.st_uid != uid:
        return False
    if st.st_mode & 0o077:
        try:
            os.chmod(d, 0o700)
        except OSError:
            return False
    return True


def store_dir(env: dict | None = None, create: bool = True) -> Path | None:
    """The private folder the store goes in, or None (then it is built in memory).

    When the named folder belongs to someone else (a shared XDG_CACHE_HOME),
    a private folder beside it is used instead.
    """
    d = cache_dir(env)
    if d is None:
        return None
    if _private_dir(d, create):
        return d
    uid = _uid()
    beside = d.with_name(f"{d.name}-{uid}") if uid is not None else None
    if beside is not None and _private_dir(beside, create):
        return beside
    return None


def _safe_file(path: Path) -> bool:
    """A regular file owned by this user and writable by no one else."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    uid = _uid()
    return stat.S_ISREG(st.st_mode) and (uid is None or st.st_uid == uid) and not st.st_mode & 0o022


class _Hash:
    """Two independent 32-bit checksums: a 64-bit name for a set of folders.

    NOTE: only names a file; whether the store is current is decided by the
    full fingerprint text kept inside it, so no digest strength is needed.
    """

    def __init__(self) -> None:
        self.a = 0
        self.b = 1

    def update(self, data: bytes) -> None:
        self.a = zlib.crc32(data, self.a)
        self.b = zlib.adler32(data, self.b)

    def hexdigest(self) -> str:
        return f"{self.a:08x}{self.b:08x}"


def fingerprint(folders: Iterable) -> tuple[str, str]:
    """(name, state): a name for this set of folders, and the state of their files.

    The state holds, for every ``*.toml`` in each folder, its size, mtime,
    ctime, inode, device and whether it can be read, so any edit (even one
    that restores the mtime), a new or renamed file, or a permission change
    is seen. A missing folder is part of the state too. The library's
    annotations.toml is left out (and a library holding nothing else, so
    the first tag, which creates the folder, changes nothing either): tags
    and notes are merged when a catalog is opened, so editing them never
    rebuilds the store.
    """
    from .version import __version__

    name = _Hash()
    # NOTE: the schema is part of the state: a field added, renamed or given
    # other choices changes what the store must hold, even at one version.
    # It is part of the name too, so two versions of exo sharing a cache
    # keep a store each instead of rebuilding it at every switch.
    parts = [f"exo {__version__} layout {LAYOUT} schema {model.signature()} sqlite {sqlite3.sqlite_version}"]
    name.update(parts[0].encode() + b"\0")
    for f in folders:
        path = Path(getattr(f, "path", f))
        kind = getattr(f, "kind", "")
        try:
            resolved = str(path.resolve())
        except (OSError, RuntimeError):
            resolved = str(path)
        try:
            entries = sorted(os.listdir(resolved))
        except OSError as e:
            entries = None
            error = e.errno
        if kind == "library" and entries is not None:
            entries = [e for e in entries if e != model.ANNOTATIONS_FILE]
            if not any(e.endswith(".toml") for e in entries):
                continue  # a library of tags and notes alone adds no record
        name.update(os.fsencode(resolved) + b"\0")
        parts.append(f"D {kind} {resolved}")
        if entries is None:
            parts.append(f"  unreadable {error}")
            continue
        for entry in entries:
            if not entry.endswith(".toml"):
                continue
            p = os.path.join(resolved, entry)
            try:
                st = os.stat(p)
                ok = os.access(p, os.R_OK)
                parts.append(f"  {entry} {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino} {st.st_dev} {st.st_mode:o} {ok}")
            except (OSError, RuntimeError) as e:
                parts.append(f"  {entry} unreadable {getattr(e, 'errno', '')}")
    return name.hexdigest(), "\n".join(parts)


# --------------------------------------------------------------------------
# Building


def _index_text(text: str, runs: bool = True) -> str:
    """Text folded for the index; mixed words also count by their letter runs
    (misev2018 -> misev), and Greek letters are spelt out (TGF-β -> tgf beta)."""
    # NOTE: the tokenizer folds case itself; only other scripts need fold().
    folded = text if text.isascii() else fold(text)
    if runs and _has_digit(folded):
        extra = letter_runs(folded)
        if extra:
            return folded + " " + " ".join(extra)
    return folded


def _has_digit(text: str) -> bool:
    return any(d in text for d in "0123456789")


_TAGGED_FIELDS = {et.name: tuple(f for f in et.fields if f.link or f.choices or f.column == "tag") for et in ENTITY_TYPES}


def index_columns(rec: dict, labels: dict[tuple[str, str], list[str]]) -> list[str]:
    """The texts of one record for each index column, as the schema's
    fields say (`EntityType.searched`): a link also brings the names of
    the record it links to; an author only the surname."""
    cols: list[list[str]] = [[] for _ in COLUMNS]
    cols[F_KEY].extend(key_words(rec["key"]))
    for f, column in model.BY_NAME[rec["type"]].searched:
        value = rec.get(f.name)
        if value is None or value is False:
            continue
        texts = cols[COLUMN_CODE[column]]
        for v in value if isinstance(value, list) else [value]:
            if f.name == "authors":
                v = v.split(",")[0]
            texts.append(str(v))
            if f.link:
                texts.extend(labels.get((f.link, v), ()))
    # NOTE: " ; " keeps the last word of one value and the first of the next
    # from counting as words that stand together.
    # Mixed words matter in names and tags (MISEV2018, CD73), not in prose.
    return [_index_text(" ; ".join(c), i < F_TEXT) if c else "" for i, c in enumerate(cols)]


def _names_of(rec: dict) -> list[str]:
    out = [rec["key"], *model.names_of(rec)]
    return list(dict.fromkeys(c for c in (compact(n) for n in out) if c))


class Builder:
    """Writes checked records into a fresh database, in batches.

    NOTE: the inserts run on a writer thread. SQLite releases the GIL while
    it tokenizes and writes, so preparing the next batch in Python and
    indexing this one overlap: on two cores this takes a third off building
    a big store. Only the writer thread touches the connection.
    """

    BATCH = 2000

    def __init__(self, conn: sqlite3.Connection) -> None:
        import queue
        import threading

        self.conn = conn
        conn.executescript(SCHEMA)
        self.labels: dict[tuple[str, str], list[str]] = {}
        self.rid = 0
        self._rows: list[tuple] = []
        self._fts: list[tuple] = []
        self._links: list[tuple] = []
        self._names: list[tuple] = []
        self.counts: dict[str, int] = {}
        self._marks: dict[str, tuple[int, dict[str, int]]] = {}
        self._error: BaseException | None = None
        self._q: queue.Queue = queue.Queue(maxsize=3)
        self._writer = threading.Thread(target=self._write, name="exo-store-writer", daemon=True)
        self._writer.start()
        self._do(lambda c: c.execute("BEGIN"))

    def _write(self) -> None:
        while True:
            job = self._q.get()
            try:
                if job is None:
                    return
                if self._error is None:
                    job(self.conn)
            except BaseException as e:  # noqa: BLE001 - handed to the main thread
                self._error = e
            finally:
                self._q.task_done()

    def _do(self, job) -> None:
        if self._error is not None:
            raise self._error
        self._q.put(job)

    def _sync(self) -> None:
        self._q.join()
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Stop the writer thread (after an error or an interrupt, too)."""
        if self._writer.is_alive():
            self._q.put(None)
            self._writer.join(timeout=30)

    def add(self, rec: dict) -> None:
        t = rec["type"]
        if t != "study":
            from .loader import _names

            self.labels[(t, rec["key"])] = _names(rec)
            self._names.extend((n, self.rid) for n in _names_of(rec))
        rid = self.rid
        self.rid += 1
        body = {k: v for k, v in rec.items() if k not in ("type", "key")}
        year = rec.get("year") if isinstance(rec.get("year"), int) else 0
        self._rows.append(
            (rid, TYPE_CODES[t], rec["key"], rec["key"].casefold(), year,
             json.dumps(body, ensure_ascii=False, separators=(",", ":")))
        )
        self._fts.append((rid, *index_columns(rec, self.labels)))
        for f in _TAGGED_FIELDS[t]:
            if f.name in rec:
                values = rec[f.name] if isinstance(rec[f.name], list) else [rec[f.name]]
                self._links.extend((f.name, v, rid) for v in dict.fromkeys(values) if isinstance(v, str))
        if isinstance(rec.get("doi"), str):
            self._links.append(("doi", rec["doi"].casefold(), rid))
        if isinstance(rec.get("pmid"), str):
            self._links.append(("pmid", rec["pmid"], rid))
        self.counts[t] = self.counts.get(t, 0) + 1
        if len(self._rows) >= self.BATCH:
            self.flush()

    # NOTE: each batch goes to SQLite as one JSON array, unpacked by json_each
    # in a single statement: executemany takes the GIL back after every row,
    # and with the main thread busy preparing the next batch the writer then
    # spent most of its time waiting for it (17 s for 100,000 studies, 9 s now).
    _INSERTS = (
        "INSERT INTO records SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5 FROM json_each(?)",
        f"INSERT INTO fts(rowid, {', '.join(COLUMNS)}) SELECT "
        + ", ".join(f"value->>{i}" for i in range(len(COLUMNS) + 1))
        + " FROM json_each(?)",
        "INSERT OR IGNORE INTO links SELECT value->>0, value->>1, value->>2 FROM json_each(?)",
        "INSERT OR IGNORE INTO names SELECT value->>0, value->>1 FROM json_each(?)",
    )

    def flush(self) -> None:
        batches = (self._rows, self._fts, self._links, self._names)
        self._rows, self._fts, self._links, self._names = [], [], [], []
        if not any(batches):
            return
        payload = [(sql, json.dumps(rows)) for sql, rows in zip(self._INSERTS, batches) if rows]

        def job(c: sqlite3.Connection) -> None:
            for sql, rows in payload:
                c.execute(sql, (rows,))

        self._do(job)

    def begin_file(self, path: str) -> None:
        self.flush()
        self._marks[path] = (self.rid, dict(self.counts))
        n = self._savepoint = len(self._marks)
        self._do(lambda c: c.execute(f"SAVEPOINT f{n}"))

    def rollback_file(self, path: str) -> None:
        """Forget the records of a file yielded so far."""
        self._rows, self._fts, self._links, self._names = [], [], [], []
        rid, counts = self._marks.pop(path)
        n = self._savepoint
        self._do(lambda c: c.execute(f"ROLLBACK TO f{n}"))
        self.rid, self.counts = rid, counts

    def finish(self, meta: dict[str, str]) -> None:
        self.flush()
        meta = dict(meta, counts=json.dumps(self.counts), total=str(self.rid))

        def job(c: sqlite3.Connection) -> None:
            for statement in INDEXES.strip().split(";"):
                if statement.strip():
                    c.execute(statement)  # NOTE: executescript would commit first
            c.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
            c.execute("INSERT INTO fts(fts) VALUES ('optimize')")
            # NOTE: FTS5 counts a term's records by walking its whole list
            # (30 ms for a word in most of a million studies); kept once here.
            c.execute("INSERT INTO terms SELECT term, doc FROM vrow")
            c.execute("COMMIT")

        self._do(job)
        self._sync()
        self.close()


def build(conn: sqlite3.Connection, folders: list, fp_state: str, progress=None) -> list[str]:
    """Fill an empty database from the folders; the warnings (user records left out).

    Raises DataError when the bundled data (or a --data folder) has problems.
    """
    from .errors import DataError
    from .loader import Reader

    reader = Reader(folders, progress)
    b = Builder(conn)
    try:
        for ev in reader.events():
            kind = ev[0]
            if kind == "record":
                b.add(ev[1])
            elif kind == "begin":
                b.begin_file(ev[1])
            elif kind == "rollback":
                b.rollback_file(ev[1])
        fatal = reader.fatal()
        if fatal:
            raise DataError(fatal)
        warnings = reader.warnings()
        b.finish({"layout": str(LAYOUT), "fingerprint": fp_state, "warnings": json.dumps(warnings)})
    finally:
        b.close()
    return warnings


def _tune_for_build(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode=MEMORY")  # savepoints need a journal; memory is enough
    conn.execute("PRAGMA synchronous=OFF")  # NOTE: the file is renamed into place only when complete
    conn.execute("PRAGMA cache_size=-65536")
    conn.execute("PRAGMA temp_store=MEMORY")


def _connect(path: str, ro: bool) -> sqlite3.Connection:
    # NOTE: isolation_level=None: the builder opens and closes its own transaction.
    if ro:
        uri = "file:" + _uri_path(path) + "?mode=ro"
        return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    return sqlite3.connect(path, isolation_level=None, check_same_thread=False)


def _uri_path(path: str) -> str:
    from urllib.parse import quote

    return quote(path)


def open_store(folders: list, use_cache: bool = True, progress=None, env: dict | None = None) -> tuple[sqlite3.Connection, list[str]]:
    """A read connection to the current store of these folders, building it if needed.

    Returns the connection and the warnings of the build. Never fails
    because of the cache: an unusable folder or file means a store built
    in memory for this run.
    """
    name, state = fingerprint(folders)
    d = store_dir(env) if use_cache else None
    if d is not None:
        path = d / f"exo-{name}.sqlite3"
        conn = _open_current(path, state)
        if conn is not None:
            return conn
        built = _build_file(d, path, folders, state, progress)
        if built is not None:
            return built
    conn = _connect(":memory:", ro=False)
    _tune_for_build(conn)
    warnings = build(conn, folders, state, progress)
    return conn, warnings


def _open_current(path: Path, state: str) -> tuple[sqlite3.Connection, list[str]] | None:
    if not _safe_file(path):
        return None
    try:
        conn = _connect(str(path), ro=True)
    except sqlite3.Error:
        return None
    try:
        meta = dict(conn.execute("SELECT k, v FROM meta WHERE k IN ('layout', 'fingerprint', 'warnings', 'counts', 'total')"))
        if meta.get("layout") != str(LAYOUT) or meta.get("fingerprint") != state:
            conn.close()
            return None
        warnings = json.loads(meta["warnings"])
        json.loads(meta["counts"])
        int(meta["total"])
        if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
            raise ValueError("warnings")
        if os.path.getsize(path) <= CHECK_BELOW and conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise ValueError("damaged")
    except (sqlite3.Error, KeyError, ValueError, TypeError, OSError):
        conn.close()
        return None
    return conn, warnings


def _build_file(d: Path, path: Path, folders: list, state: str, progress) -> tuple[sqlite3.Connection, list[str]] | None:
    """Build the store beside its final name and rename it into place."""
    _prune(d, keep=path)
    tmp = d / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    conn = None
    try:
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        conn = _connect(str(tmp), ro=False)
        _tune_for_build(conn)
        build(conn, folders, state, progress)  # its warnings are read back from the store
        conn.close()
        conn = None
        os.replace(tmp, path)
    except (OSError, sqlite3.Error):
        # NOTE: a full disk or an odd folder: build this run's store in memory.
        _unlink(tmp)
        if conn is not None:
            conn.close()
        return None
    except BaseException:
        if conn is not None:
            conn.close()
        _unlink(tmp)
        raise
    return _open_current(path, state)


def _unlink(p: Path) -> None:
    try:
        os.unlink(p)
    except OSError:
        pass


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _prune(folder: Path, keep: Path) -> None:
    """Drop temporary files left by killed builds, and all but the newest KEEP stores."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    stores = []
    for e in entries:
        if e.name.endswith(".tmp") and e.name.startswith(".exo-"):
            try:
                pid = int(e.name.rsplit(".", 3)[1])
            except (ValueError, IndexError):
                pid = -1
            if pid != os.getpid() and (pid <= 0 or not _pid_alive(pid)):
                _unlink(Path(e.path))
        elif e.name.startswith("exo-") and e.name.endswith(".sqlite3") and e.name != keep.name:
            try:
                stores.append((e.stat(follow_symlinks=False).st_mtime, e.path))
            except OSError:
                pass
        elif e.name.startswith("catalog-") and e.name.endswith(".bin"):
            _unlink(Path(e.path))  # the cache of exo 0.1
    stores.sort(reverse=True)
    for _, p in stores[KEEP - 1 :]:
        _unlink(Path(p))


def discard(conn: sqlite3.Connection) -> None:
    """Remove the file behind a connection that turned out to be damaged."""
    try:
        row = conn.execute("PRAGMA database_list").fetchone()
        path = row[2] if row else ""
    except sqlite3.Error:
        path = ""
    try:
        conn.close()
    except sqlite3.Error:
        pass
    if path:
        _unlink(Path(path))


Progress = Callable[[str, int, int], None]
