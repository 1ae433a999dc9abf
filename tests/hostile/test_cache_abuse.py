"""The cache survives abuse: same answers as a clean run, silently.

Real processes (`python -m exocli`), each with its own EXO_CACHE_DIR. "Clean
run" means a fresh, empty cache folder. Every abused run must exit 0, print
exactly what the clean run printed and nothing at all on stderr, and leave
the cache folder holding only complete exo-*.sqlite3 stores.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from exo_hostile import (
    sql,
    EXO,
    assert_only_complete_caches,
    base_env,
    cache_files,
    run,
    snapshot,
    synthetic_studies,
)

# One command that touches every part of the store: the full-text index, the
# links (diseases of studies), the keys and the record bodies.
ARGS = [["search", "gvhd", "--json"]]


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> dict[tuple[str, ...], bytes]:
    """What each command prints from a fresh, empty cache."""
    out = {}
    for args in ARGS:
        p = run(args, base_env(cache=tmp_path_factory.mktemp("clean-cache")))
        assert p.returncode == 0 and p.stderr == b"", p.stderr
        out[tuple(args)] = p.stdout
    # Something to compare with: the disease first, and the studies tagged with it.
    hits = json.loads(out[("search", "gvhd", "--json")])
    assert hits[0]["key"] == "gvhd" and {"Kordelas2014", "Fujii2018"} <= {h["key"] for h in hits}, hits
    return out


def assert_same_as_clean(env: dict, clean: dict, times: int = 2) -> None:
    """Run each command ``times`` times (cold, then warm): same output, silent."""
    for _ in range(times):
        for args in ARGS:
            p = run(args, env)
            assert p.returncode == 0, (args, p.stderr)
            assert p.stderr == b"", (args, p.stderr)
            assert p.stdout == clean[tuple(args)], args


def the_cache_file(cache: Path, env: dict) -> Path:
    """Warm the cache and return its one file."""
    p = run(ARGS[0], env)
    assert p.returncode == 0 and p.stderr == b"", p.stderr
    files = list(cache.glob("exo-*.sqlite3"))
    assert len(files) == 1, cache_files(cache)
    return files[0]


# -- damaged cache files --------------------------------------------------------------


def _garbage(data: bytes) -> bytes:
    return os.urandom(len(data))


def _flip_one_byte(data: bytes) -> bytes:
    i = len(data) * 2 // 3
    return data[:i] + bytes([data[i] ^ 0x5A]) + data[i + 1 :]


DAMAGE = {
    "corrupt-random-bytes": _garbage,
    "corrupt-one-byte-flipped": _flip_one_byte,
    "truncated-to-half": lambda d: d[: len(d) // 2],
    "truncated-to-header": lambda d: d[:16],
    "truncated-to-nothing": lambda _: b"",
    "pages-are-not-sqlite": lambda d: d[:100] + b"\x00not a database page" * (len(d) // 20),
    "extra-bytes-appended": lambda d: d + b"trailing junk",
}


@pytest.mark.parametrize("damage", list(DAMAGE.values()), ids=list(DAMAGE))
def test_damaged_cache_file_is_rebuilt_silently(tmp_path, clean, damage):
    cache = tmp_path / "cache"
    env = base_env(cache=cache)
    path = the_cache_file(cache, env)
    path.write_bytes(damage(path.read_bytes()))
    assert_same_as_clean(env, clean)
    assert_only_complete_caches(cache)


FOREIGN = {
    # what an older or newer exo, or another program, may leave at the name
    "another-layout": ["UPDATE meta SET v = '1' WHERE k = 'layout'"],
    "another-fingerprint": ["UPDATE meta SET v = 'x' WHERE k = 'fingerprint'"],
    "meta-missing": ["DROP TABLE meta"],
    "counts-garbled": ["UPDATE meta SET v = '{' WHERE k = 'counts'"],
    "links-missing": ["DROP TABLE links"],
    "index-missing": ["DROP TABLE vinst", "DROP TABLE vrow", "DROP TABLE fts"],
    "bodies-not-json": ["UPDATE records SET body = 'not json'"],
    "bodies-of-another-shape": ["UPDATE records SET body = '[1, 2]'"],
    "types-out-of-range": ["UPDATE records SET type = 99"],
    "another-program": ["DROP TABLE records", "CREATE TABLE records(x)"],
}


@pytest.mark.parametrize("how", list(FOREIGN), ids=list(FOREIGN))
def test_store_of_another_shape_is_rebuilt(tmp_path, clean, how):
    """A real SQLite file at the right name whose tables or values are not
    what this exo writes: treated as stale and rebuilt, never a crash."""
    cache = tmp_path / "cache"
    env = base_env(cache=cache)
    path = the_cache_file(cache, env)
    sql(path, *FOREIGN[how])
    assert_same_as_clean(env, clean)
    assert_only_complete_caches(cache)


# -- unusable or missing cache folders ---------------------------------------------------


def test_missing_cache_directory(tmp_path, clean):
    cache = tmp_path / "not" / "yet" / "there"
    assert_same_as_clean(base_env(cache=cache), clean)
    assert_only_complete_caches(cache)


def test_cache_directory_under_a_regular_file(tmp_path, clean):
    """EXO_CACHE_DIR=/x/file/sub: no folder can ever be made there (even as root)."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder\n")
    assert_same_as_clean(base_env(cache=blocker / "sub"), clean)
    assert blocker.read_text() == "not a folder\n"


def test_cache_directory_is_a_regular_file(tmp_path, clean):
    blocker = tmp_path / "cachefile"
    blocker.write_text("keep me\n")
    assert_same_as_clean(base_env(cache=blocker), clean)
    assert blocker.read_text() == "keep me\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through chmod; see test_cache_directory_under_a_regular_file")
def test_read_only_cache_directory(tmp_path, clean):
    cache = tmp_path / "ro"
    cache.mkdir()
    cache.chmod(0o555)
    try:
        assert_same_as_clean(base_env(cache=cache), clean)
        assert cache_files(cache) == []
    finally:
        cache.chmod(0o755)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads through chmod")
def test_unreadable_cache_file(tmp_path, clean):
    cache = tmp_path / "cache"
    env = base_env(cache=cache)
    path = the_cache_file(cache, env)
    path.chmod(0)
    try:
        assert_same_as_clean(env, clean)
    finally:
        path.chmod(0o644)


def test_cache_file_replaced_by_a_folder(tmp_path, clean):
    cache = tmp_path / "cache"
    env = base_env(cache=cache)
    path = the_cache_file(cache, env)
    path.unlink()
    path.mkdir()
    (path / "keep").write_text("x")
    assert_same_as_clean(env, clean)
    assert (path / "keep").read_text() == "x"


def test_home_unset(tmp_path, clean):
    """No HOME, no XDG_CACHE_HOME, no EXO_CACHE_DIR: no cache, same answers, and
    nothing written in the working folder (no stray './.cache')."""
    env = base_env()
    for name in ("HOME", "XDG_CACHE_HOME", "EXO_CACHE_DIR"):
        env.pop(name, None)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    for _ in range(2):
        for args in ARGS:
            p = subprocess.run([*EXO, *args], env=env, cwd=cwd, capture_output=True, timeout=60)
            assert p.returncode == 0, p.stderr
            assert p.stderr == b""
            assert p.stdout == clean[tuple(args)]
    assert list(cwd.iterdir()) == []


def test_home_is_not_writable(tmp_path, clean):
    """HOME points somewhere no folder can be made (a regular file)."""
    home = tmp_path / "homefile"
    home.write_text("")
    env = base_env(HOME=str(home))
    env.pop("EXO_CACHE_DIR", None)
    env.pop("XDG_CACHE_HOME", None)
    assert_same_as_clean(env, clean)


# -- many processes at once ---------------------------------------------------------------


@pytest.mark.slow
def test_eight_processes_at_once_on_an_empty_cache(tmp_path):
    """8 cold starts racing to build and write the same cache: all give the clean
    answer, silently, and the cache ends up as one complete file."""
    data = synthetic_studies(tmp_path / "data", 3000)
    before = snapshot(data)
    args = ["studies", "-o", "jsonl"]
    clean = run(args, base_env(cache=tmp_path / "clean", data_path=data))
    assert clean.returncode == 0 and clean.stderr == b"", clean.stderr
    assert len(clean.stdout.splitlines()) == 3000 + 114, clean.stdout[-300:]
    cache = tmp_path / "shared-cache"
    env = base_env(cache=cache, data_path=data)
    procs = [subprocess.Popen([*EXO, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(8)]
    results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    for i, (out, err, code) in enumerate(results):
        assert code == 0, (i, err)
        assert err == b"", (i, err)
        assert out == clean.stdout, f"process {i} printed something else than a clean run"
    assert_only_complete_caches(cache)
    assert len(cache_files(cache)) == 1, cache_files(cache)
    warm = run(args, env)
    assert warm.returncode == 0 and warm.stderr == b"" and warm.stdout == clean.stdout
    assert snapshot(data) == before, "exo wrote into a data folder"
