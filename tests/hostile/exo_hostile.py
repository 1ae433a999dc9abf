"""Helpers for the hostile-input suite: run exo for real, on pipes and on a pty.

This folder has no conftest.py on purpose: a second conftest.py without an
__init__.py would shadow tests/conftest.py as the module ``conftest`` and break
``from conftest import exo`` in the other test files. Fixtures live here and
are imported by the test modules that use them. tests/conftest.py still
applies to this folder (its autouse fixture gives every test its own
EXO_CACHE_DIR and no EXO_DATA_PATH).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Run, exo  # noqa: F401 - the in-process runner, shared with the other tests
from terminal import run_command

EXO = [sys.executable, "-m", "exocli"]

# A title and a note holding what a hostile (or careless) data file may hold:
# rich markup, an OSC "set window title" sequence ended by BEL, a CSI "clear
# screen", a C1 CSI, a right-to-left override and a newline.
MARKUP = "[bold]Tregs[/] [i]x[/i] [/] [link=http://x]y[/link]"
OSC_TITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J"
EVIL_TITLE = f"Evil {OSC_TITLE} exosomes {CLEAR} wipe {MARKUP}"
EVIL_NOTE = "note \u009b31m c1 \u202egnp.exe\u202c and\nsecond line\ttab"
RAW_FORBIDDEN = (b"\x1b]0;", b"\x1b[2J", b"\x07")


def toml_str(s: str) -> str:
    """A TOML basic string holding exactly ``s``."""
    out = []
    for ch in s:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\u{o:04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def evil_folder(folder: Path) -> Path:
    """A user data folder with one study whose title and note are hostile."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "studies.toml").write_text(
        "[Evil2020]\n"
        f"title = {toml_str(EVIL_TITLE)}\n"
        'authors = ["Evil, E.", "Doer, D."]\n'
        "year = 2020\n"
        'diseases = ["gvhd"]\n'
        f"note = {toml_str(EVIL_NOTE)}\n",
        encoding="utf-8",
    )
    return folder


def synthetic_studies(folder: Path, n: int, prefix: str = "Synth") -> Path:
    """A user data folder with ``n`` plain studies (written as strings, fast)."""
    folder.mkdir(parents=True, exist_ok=True)
    body = "".join(
        f'[{prefix}{i}]\ntitle = "Synthetic study {i} of exosome kinetics in model {i % 97}"\n'
        f'authors = ["Doe, J.", "Roe, R."]\nyear = {2000 + i % 20}\n\n'
        for i in range(n)
    )
    (folder / "studies.toml").write_text(body, encoding="utf-8")
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under a folder with its bytes (to prove nothing was written)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# -- real processes ----------------------------------------------------------------


def base_env(cache: Path | str | None = None, data_path: Path | str | None = None, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "EXO_DATA_PATH", "EXO_DEBUG", "COLUMNS", "LINES")}
    if cache is not None:
        env["EXO_CACHE_DIR"] = str(cache)
    if data_path is not None:
        env["EXO_DATA_PATH"] = str(data_path)
    env.update(extra)
    return env


def run(args: list[str], env: dict, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
    """`python -m exocli ARGS` in a real process; bytes out and err."""
    return subprocess.run([*EXO, *args], env=env, capture_output=True, timeout=timeout, **kw)


def sql(path: Path, *statements: str) -> None:
    """Run SQL statements on a store file (to plant damage or a foreign one)."""
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for st in statements:
            conn.execute(st)
    finally:
        conn.close()


def cache_files(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir()) if cache.is_dir() else []


def assert_only_complete_caches(cache: Path) -> None:
    """The cache folder holds nothing but exo-*.sqlite3 stores that read back whole."""
    import sqlite3

    for name in cache_files(cache):
        assert re.fullmatch(r"exo-[0-9a-f]{16}\.sqlite3", name), f"stray file in the cache folder: {name}"
        conn = sqlite3.connect(f"file:{cache / name}?mode=ro", uri=True)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", name
            meta = dict(conn.execute("SELECT k, v FROM meta"))
            assert {"layout", "fingerprint", "counts", "total"} <= set(meta), name
        finally:
            conn.close()


# -- a real pseudo-terminal ----------------------------------------------------------


def run_on_pty(args: list[str], env: dict, columns: int = 250, timeout: float = 60) -> tuple[int, bytes]:
    """Run exo with stdin, stdout and stderr on a pty; (exit code, bytes the terminal got)."""
    full = {**env, "COLUMNS": str(columns), "LINES": "60", "TERM": "xterm-256color"}
    full.pop("NO_COLOR", None)
    return run_command([*EXO, *args], env=full, columns=columns, rows=60, timeout=timeout)


_SGR = re.compile(rb"\x1b\[[0-9;]*m")


def visible(raw: bytes) -> str:
    """What a person reads: rich's colour codes (SGR only) removed, pty line ends undone."""
    return _SGR.sub(b"", raw).replace(b"\r\n", b"\n").decode("utf-8", "replace")


def raw_escapes(raw: bytes, strict: bool = True) -> list[bytes]:
    """Escape sequences from the hostile data that reached the terminal raw.

    ``strict`` also looks for the C1 CSI (U+009B) and the right-to-left
    override (U+202E) of EVIL_NOTE; JSON keeps those as they are (it must keep
    data intact, and only C0 controls are escaped by JSON itself).
    """
    found = [s for s in RAW_FORBIDDEN if s in raw]
    if strict:
        found += [s for s in (b"\xc2\x9b", b"\xe2\x80\xae") if s in raw]
    return found


# -- shared fixtures (imported by the modules that use them) -------------------------


@pytest.fixture(scope="session")
def big_data(tmp_path_factory) -> Path:
    """5,000 synthetic studies: output far larger than a pipe's buffer."""
    return synthetic_studies(tmp_path_factory.mktemp("big-data"), 5000)


@pytest.fixture
def evil_data(tmp_path) -> Path:
    return evil_folder(tmp_path / "evil-data")
