"""The user's tags and notes on any record: ``annotations.toml`` in the library folder.

One TOML table per record key, holding ``tags`` (a list of strings) and
``user_note`` (a string)::

    [Bruno2009]
    tags = ["kidney", "to-read"]
    user_note = "Compare with the AKI studies of 2018."

The file is plain TOML that people may edit by hand and keep in git. Every
change is written atomically (`files.write_atomic`) and touches only the
table it changes: the rest of the file, comments included, is kept as it
was. (Comments inside the changed table itself are rewritten away.) A
record with neither tags nor a note has no table.

This module checks nothing about the keys: the command line resolves a key
to a record before calling it, so an unknown key never reaches the file.
It never prints. tomllib reads, tomli-w writes the values.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from . import model
from .errors import DataError, Problem, UsageError

FILE = model.ANNOTATIONS_FILE
FIELDS = model.ANNOTATION_FIELDS
HEADER = (
    "# Your tags and notes on exo records, one table per record key.\n"
    "# Edit by hand if you like: `tags` is a list of strings, `user_note` a string.\n"
)


def annotations_path(folder: str | os.PathLike | None = None, env: dict | None = None) -> Path:
    """FOLDER/annotations.toml, FOLDER defaulting to the user library (`loader.library_dir`)."""
    if folder is None:
        from .loader import library_dir

        folder = library_dir(env)
        if folder is None:
            raise UsageError(
                "no library folder: HOME is not set",
                "set EXO_LIBRARY to the folder where exo may keep your tags and notes",
            )
    return Path(folder) / FILE


def _tomllib():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib
    return tomllib


def _read(path: Path) -> tuple[str, dict[str, dict]]:
    """The file's text and its checked content; ('', {}) when it does not exist."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return "", {}
    except OSError as e:
        raise DataError([Problem(str(path), f"cannot read: {e.strerror or e}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise DataError([Problem(str(path), f"not UTF-8 (byte {e.start}); save the file as UTF-8", line=line)]) from None
    text = text[1:] if text.startswith("\ufeff") else text
    tomllib = _tomllib()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"at line (\d+)", str(e))
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e))
        raise DataError([Problem(str(path), f"TOML syntax error: {msg}", line=int(m.group(1)) if m else None)]) from None
    problems: list[Problem] = []
    out: dict[str, dict] = {}
    for key, table in data.items():
        line = _header_line(text, key)
        if not isinstance(table, dict):
            problems.append(Problem(str(path), f"expected a table [{key}] with tags and user_note", record=key, line=line))
            continue
        rec: dict = {}
        for name, value in table.items():
            if name not in FIELDS:
                problems.append(Problem(str(path), f"unknown field; annotation fields are: {', '.join(FIELDS)}",
                                        record=key, field=name, line=line))
            elif name == "tags" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                problems.append(Problem(str(path), "expected a list of strings", record=key, field=name, line=line))
            elif name == "user_note" and not isinstance(value, str):
                problems.append(Problem(str(path), "expected a string", record=key, field=name, line=line))
            else:
                rec[name] = value
        out[key] = rec
    if problems:
        raise DataError(problems)
    return text, out


def load(folder: str | os.PathLike | None = None, env: dict | None = None) -> dict[str, dict]:
    """Every record's annotations: ``{key: {"tags": [...], "user_note": "..."}}``.

    An absent file is no annotations; a malformed one is a DataError naming
    the file, record, field and line.
    """
    return _read(annotations_path(folder, env))[1]


def get(key: str, folder: str | os.PathLike | None = None, env: dict | None = None) -> dict:
    """One record's annotations (``{}`` when it has none); the key matches in any letter case."""
    data = load(folder, env)
    found = _find_key(data, key)
    return dict(data[found]) if found else {}


def _find_key(data: dict, key: str) -> str | None:
    if key in data:
        return key
    fold = key.casefold()
    return next((k for k in data if k.casefold() == fold), None)


def _clean_tags(tags) -> list[str]:
    out = []
    for t in tags:
        t = " ".join(str(t).split())
        if not t:
            raise UsageError("a tag cannot be empty", "give tags as words, e.g. `exo tag Bruno2009 kidney to-read`")
        out.append(t)
    return out


def tag(key: str, tags, folder: str | os.PathLike | None = None, env: dict | None = None) -> list[str]:
    """Add tags to a record (a tag it has, in any letter case, is not added twice); its tags after."""
    new = _clean_tags(tags)

    def change(rec: dict) -> dict:
        current = list(rec.get("tags", []))
        folded = {t.casefold() for t in current}
        for t in new:
            if t.casefold() not in folded:
                current.append(t)
                folded.add(t.casefold())
        rec["tags"] = current
        return rec

    return _update(key, change, folder, env).get("tags", [])


def untag(key: str, tags, folder: str | os.PathLike | None = None, env: dict | None = None) -> list[str]:
    """Remove tags (any letter case) from a record; its tags after."""
    gone = {t.casefold() for t in _clean_tags(tags)}

    def change(rec: dict) -> dict:
        rec["tags"] = [t for t in rec.get("tags", []) if t.casefold() not in gone]
        return rec

    return _update(key, change, folder, env).get("tags", [])


def set_note(key: str, text: str, folder: str | os.PathLike | None = None, env: dict | None = None) -> None:
    """Set a record's note (replacing the one it had). Surrounding blank lines are trimmed."""
    note = str(text).strip("\n").rstrip()
    if not note.strip():
        raise UsageError("the note is empty", "give the text, or use --clear to remove the note")

    def change(rec: dict) -> dict:
        rec["user_note"] = note
        return rec

    _update(key, change, folder, env)


def clear_note(key: str, folder: str | os.PathLike | None = None, env: dict | None = None) -> bool:
    """Remove a record's note; whether it had one."""
    had = {"note": False}

    def change(rec: dict) -> dict:
        had["note"] = "user_note" in rec
        rec.pop("user_note", None)
        return rec

    _update(key, change, folder, env)
    return had["note"]


def all_tags(folder: str | os.PathLike | None = None, env: dict | None = None) -> dict[str, int]:
    """Every tag with the number of records carrying it, most used first, then by name."""
    counts: dict[str, int] = {}
    spelled: dict[str, str] = {}
    for rec in load(folder, env).values():
        for t in set(x.casefold() for x in rec.get("tags", [])):
            counts[t] = counts.get(t, 0) + 1
        for x in rec.get("tags", []):
            spelled.setdefault(x.casefold(), x)
    return {spelled[t]: n for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}


def tagged(tags, folder: str | os.PathLike | None = None, env: dict | None = None) -> set[str]:
    """Keys of the records carrying any of ``tags`` (any letter case), for ``--tag``."""
    wanted = {t.casefold() for t in tags}
    return {k for k, rec in load(folder, env).items() if wanted & {t.casefold() for t in rec.get("tags", [])}}


# ---------------------------------------------------------------------------
# Writing one table, keeping the rest of the file


def _update(key: str, change, folder, env) -> dict:
    path = annotations_path(folder, env)
    text, data = _read(path)
    found = _find_key(data, key) or key
    rec = change(dict(data.get(found, {})))
    rec = {k: v for k, v in rec.items() if v not in ([], "", None)}
    want = dict(data)
    if rec:
        want[found] = rec
    else:
        want.pop(found, None)
    if want == data:
        return rec
    new_text = _edited(text, found, rec, found in data)
    try:
        ok = _tomllib().loads(new_text) == want
    except Exception:  # noqa: BLE001 - any doubt: write the whole file afresh
        ok = False
    if not ok:
        # NOTE: the file holds something the table-by-table edit cannot
        # place safely (a header inside a multi-line string, a dotted key):
        # write it whole from the data, which loses its comments but never
        # its content.
        new_text = HEADER + "".join("\n" + _render(k, v) for k, v in want.items())
    from .files import write_atomic

    try:
        write_atomic(path, new_text.encode("utf-8"))
    except OSError as e:
        raise DataError([Problem(str(path), f"cannot write: {e.strerror or e}; nothing was changed")]) from None
    return rec


_HEADER_LINE = re.compile(r"""^\s*\[\s*(?P<key>[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')\s*\]\s*(?:#.*)?$""")
_ANY_HEADER = re.compile(r"^\s*\[")


def _header_key(line: str) -> str | None:
    m = _HEADER_LINE.match(line.rstrip("\r\n"))
    if not m:
        return None
    k = m.group("key")
    if k.startswith('"'):
        return _tomllib().loads(f"k = {k}")["k"]
    if k.startswith("'"):
        return k[1:-1]
    return k


def _header_line(text: str, key: str) -> int | None:
    for i, line in enumerate(text.splitlines(), 1):
        if _header_key(line) == key:
            return i
    return None


def _edited(text: str, key: str, rec: dict, exists: bool) -> str:
    """``text`` with the table of ``key`` replaced by ``rec`` (removed when empty, appended when new)."""
    lines = text.splitlines(keepends=True)
    if exists:
        start = next((i for i, ln in enumerate(lines) if _header_key(ln) == key), None)
        if start is not None:
            end = start + 1
            while end < len(lines) and not _ANY_HEADER.match(lines[end]):
                end += 1
            # Comments and blank lines just above the next table belong to it.
            while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
                end -= 1
            replacement = _render(key, rec) if rec else ""
            tail = lines[end:]
            if not rec and tail and not tail[0].strip():
                tail = tail[1:]
            return "".join(lines[:start]) + replacement + "".join(tail)
    if not rec:
        return text
    if not text.strip():
        text = HEADER
    if not text.endswith("\n"):
        text += "\n"
    return text + "\n" + _render(key, rec)


def _value(value) -> str:
    import tomli_w

    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return tomli_w.dumps({"v": value})[4:].rstrip("\n")


def _render(key: str, rec: dict) -> str:
    name = key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _value(key)
    lines = [f"[{name}]"]
    for f in FIELDS:
        if f in rec:
            lines.append(f"{f} = {_value(rec[f])}")
    return "\n".join(lines) + "\n"
