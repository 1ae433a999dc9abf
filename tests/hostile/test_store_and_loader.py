"""The store and the loader under attack: planted, damaged and odd stores,
odd data files and folders, big and pathological data.

Real processes (`python -m exocli`) unless a case only needs the in-process
runner. A bad record in a user folder (EXO_DATA_PATH, --data) is left out
with a warning; only `exo validate` exits 2 for it (see test_bad_data.py).
Where a regression could hang or run for minutes, the run has a subprocess
timeout, never a timed assert.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest

from exocli.loader import bundled_data_dir, validate
from conftest import write
from exo_hostile import (
    sql,
    assert_only_complete_caches,
    base_env,
    cache_files,
    exo,
    run,
    snapshot,
    synthetic_studies,
    toml_str,
)
from helpers import ok, ok_json, validated

ROOT = os.geteuid() == 0
NOBODY = 65534  # the uid of another local user (root can chown to it)
ARGS = (["show", "gvhd", "--json"], ["search", "gvhd", "--json"])
# Commands that read every record and the counts, for the damaged stores.
EVERY = (
    *ARGS,
    ["stats", "--json"],
    ["studies", "--disease", "gvhd", "-o", "keys"],
    ["show", "Bruno2009", "--json"],
    ["search", "stem", "cell", "-n", "1000", "-o", "keys"],  # ranks by the number of records
    ["show", "CAP-2003", "--json"],  # found by a product's name
)
GOOD = '[Smith2020]\ntitle = "A made-up study"\nauthors = ["Smith, J."]\nyear = 2020\n'




@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> dict[tuple[str, ...], bytes]:
    """What each command of EVERY prints from a fresh, empty cache."""
    out = {}
    for args in EVERY:
        p = run(args, base_env(cache=tmp_path_factory.mktemp("clean-cache")))
        assert p.returncode == 0 and p.stderr == b"", p.stderr
        assert p.stdout.strip(), args  # something to compare with
        out[tuple(args)] = p.stdout
    return out


def assert_same_as_clean(env: dict, clean: dict, times: int = 2, commands=ARGS, **kw) -> None:
    """Each command, ``times`` times: exit 0, silent, the clean output."""
    for _ in range(times):
        for args in commands:
            p = run(list(args), env, **kw)
            assert p.returncode == 0, (args, p.returncode, p.stderr)
            assert p.stderr == b"", (args, p.stderr)
            assert p.stdout == clean[tuple(args)], (args, p.stdout[:300])


def warm(cache: Path, env: dict) -> Path:
    """Build the store for env and return its one file."""
    p = run(list(ARGS[0]), env)
    assert p.returncode == 0 and p.stderr == b"", p.stderr
    files = list(cache.glob("exo-*.sqlite3"))
    assert len(files) == 1, cache_files(cache)
    return files[0]


PLANTED = "PLANTED by another user"


def plant(path: Path) -> None:
    """Make a well-formed store serve a record nobody wrote: its fingerprint
    and tables stay as exo wrote them, only a name is changed."""
    sql(path, f"UPDATE records SET body = json_set(body, '$.name', '{PLANTED}') WHERE key = 'gvhd'")
    assert_only_complete_caches(path.parent)


def private(path: Path) -> bool:
    st = os.lstat(path)
    return st.st_uid == os.getuid() and not st.st_mode & 0o077


# -- 1. planted caches ------------------------------------------------------------------------


def test_the_cache_folder_is_made_private_whatever_the_umask(tmp_path, clean):
    """Under umask 000 the folders exo makes must not be writable by others:
    not the cache folder, and not the folders it makes to reach it."""
    cache = tmp_path / "new" / "deeper" / "exo"
    env = base_env(cache=cache)
    assert_same_as_clean(env, clean, times=1, preexec_fn=lambda: os.umask(0))
    for d in (tmp_path / "new", tmp_path / "new" / "deeper"):
        assert not os.stat(d).st_mode & 0o022, f"{d} made writable by others: {oct(os.stat(d).st_mode)}"
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o700, oct(os.stat(cache).st_mode)
    files = list(cache.glob("exo-*.sqlite3"))
    assert len(files) == 1 and private(files[0]), [(f, oct(os.stat(f).st_mode)) for f in files]


@pytest.mark.skipif(not ROOT, reason="only root can give a file to another user")
def test_a_store_owned_by_another_user_is_ignored_and_replaced(tmp_path, clean):
    cache = tmp_path / "cache"
    env = base_env(cache=cache)
    path = warm(cache, env)
    plant(path)
    os.chown(path, NOBODY, -1)
    assert_same_as_clean(env, clean)
    assert private(path), "the planted store was kept"
    assert_only_complete_caches(cache)


@pytest.mark.parametrize("mode", [0o666, 0o620, 0o602], ids=["world-and-group", "group", "world"])
def test_a_store_writable_by_others_is_ignored_and_replaced(tmp_path, clean, mode):
    cache = tmp_path / "cache"
    env = base_env(cache=cache)
    path = warm(cache, env)
    plant(path)
    path.chmod(mode)
    assert_same_as_clean(env, clean)
    assert private(path), oct(os.stat(path).st_mode)


@pytest.mark.skipif(not ROOT, reason="only root can give a folder to another user")
def test_a_cache_folder_of_another_user_is_never_read(tmp_path, clean):
    """A shared EXO_CACHE_DIR (or XDG_CACHE_HOME) made by someone else, open to
    all, holding a store at the very name exo would use: never opened; a
    private folder beside it is used instead, and theirs is left alone."""
    shared = tmp_path / "shared"
    env = base_env(cache=shared)
    path = warm(shared, env)
    plant(path)
    os.chown(path, NOBODY, -1)
    os.chown(shared, NOBODY, -1)
    shared.chmod(0o777)
    before = snapshot(shared)
    assert_same_as_clean(env, clean)
    assert snapshot(shared) == before, "exo wrote into another user's folder"
    assert os.stat(path).st_uid == NOBODY
    beside = [d for d in tmp_path.iterdir() if d != shared]
    assert len(beside) == 1 and private(beside[0]) and beside[0].is_dir(), beside
    assert_only_complete_caches(beside[0])


@pytest.mark.skipif(not ROOT, reason="only root can give a file to another user")
def test_a_store_planted_while_the_cache_folder_was_open_to_all_is_ignored(tmp_path, clean):
    """Our own cache folder left 0777: another user may have put a store in it.
    Theirs is never read, and the folder exo uses ends up private."""
    cache = tmp_path / "cache"
    env = base_env(cache=cache)
    path = warm(cache, env)
    plant(path)
    os.chown(path, NOBODY, -1)
    cache.chmod(0o777)
    assert_same_as_clean(env, clean)
    used = [d for d in tmp_path.iterdir() if d.is_dir() and private(d) and list(d.glob("exo-*.sqlite3"))]
    assert used, "no private folder holds the store"
    for d in used:
        for f in d.glob("exo-*.sqlite3"):
            assert private(f), f


def test_a_store_that_is_a_symlink_is_not_followed(tmp_path, clean):
    """The store's name made a symbolic link to a planted store elsewhere."""
    cache = tmp_path / "cache"
    env = base_env(cache=cache)
    path = warm(cache, env)
    elsewhere = tmp_path / "elsewhere" / path.name
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(path.read_bytes())
    plant(elsewhere)
    path.unlink()
    path.symlink_to(elsewhere)
    assert_same_as_clean(env, clean)
    assert not path.is_symlink(), "the planted link was kept"


# A store that is a real SQLite file of the right layout and fingerprint but
# whose rows do not agree with each other (a disk error, a crash, a hand edit).
INCONSISTENT = {
    "rows-missing": ["DELETE FROM records WHERE rid % 2 = 0"],
    "all-rows-missing": ["DELETE FROM records"],
    "rows-renumbered": ["UPDATE records SET rid = rid + 100000"],
    "link-to-a-missing-record": ["INSERT INTO links VALUES ('parent', 'gvhd', 999999)"],
    "name-of-a-missing-record": ["INSERT INTO names VALUES ('cap2003', 999999)"],
    "year-not-a-number": ["UPDATE records SET year = 'abc'"],
    "key-not-text": ["UPDATE records SET key = CAST(key AS BLOB)"],
    "total-too-big": ["UPDATE meta SET v = '99999' WHERE k = 'total'"],
    "total-not-a-number": ["UPDATE meta SET v = 'many' WHERE k = 'total'"],
    "counts-not-numbers": ["""UPDATE meta SET v = '{"study": "many"}' WHERE k = 'counts'"""],
    "counts-disagree-with-total": ["""UPDATE meta SET v = '{"study": 5}' WHERE k = 'counts'"""],
    "body-nested-deeply": [
        "UPDATE records SET body = '{\"note\": ' || replace(hex(zeroblob(50000)), '00', '[') "
        "|| replace(hex(zeroblob(50000)), '00', ']') || '}' WHERE key = 'gvhd'"
    ],
}


@pytest.mark.parametrize("how", list(INCONSISTENT), ids=list(INCONSISTENT))
def test_an_inconsistent_store_is_rebuilt(tmp_path, clean, how):
    """Never exit 3 ("a bug in exo") or a crash: such a store is stale."""
    cache = tmp_path / "cache"
    env = base_env(cache=cache)
    path = warm(cache, env)
    sql(path, *INCONSISTENT[how])
    assert_same_as_clean(env, clean, times=1, commands=EVERY)
    assert_only_complete_caches(cache)


# -- 4. the chunked parser and tomllib agree -------------------------------------------------

# Line breaks Python's str.splitlines knows and TOML does not: inside a
# comment, the first three are allowed text, the others are control
# characters TOML refuses. Either way what follows them is still the comment.
ODD_BREAKS = ["\x85", "\u2028", "\u2029", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e"]


@pytest.mark.parametrize("brk", ODD_BREAKS, ids=[f"U+{ord(b):04X}" for b in ODD_BREAKS])
@pytest.mark.slow
def test_a_big_file_is_read_as_tomllib_reads_it_whatever_the_line_breaks(tmp_path, brk):
    """A file over a megabyte is parsed in pieces cut at table headers; a
    header-looking text after an odd line break inside a comment is no header
    (to tomllib), so it must never become a phantom record."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib

    n = 15_000
    text = "".join(
        f'# comment {i}{brk}[Evil{i}]\n[Syn{i}]\ntitle = "Synthetic study {i}"\nauthors = ["Doe, J."]\nyear = 2020\n\n'
        for i in range(n)
    )
    assert len(text.encode()) > 1_200_000
    write(tmp_path / "data", "studies.toml", text)
    try:
        expected = set(tomllib.loads(text))
    except tomllib.TOMLDecodeError:
        expected = None
    env = base_env(cache=tmp_path / "cache")
    v = run(["validate", str(tmp_path / "data")], env, timeout=120)
    s = run(["studies", "--data", str(tmp_path / "data"), "-o", "keys"], env, timeout=120)
    assert b"Traceback" not in v.stderr + s.stderr and b"internal error" not in v.stderr + s.stderr
    assert s.returncode == 0, s.stderr
    keys = set(s.stdout.decode().split())
    assert not {k for k in keys if k.startswith("Evil")}, "a comment became a record"
    mine = {k for k in keys if k.startswith("Syn")}
    if expected is None:
        assert v.returncode == 2 and b"syntax" in v.stderr, v.stderr
        assert mine == set() and b"warning" in s.stderr, "exo read a file tomllib refuses"
    else:
        assert v.returncode == 0, v.stderr
        assert mine == expected, (len(mine), len(expected))


# -- 6, 7. stale answers ---------------------------------------------------------------------


@pytest.mark.parametrize("how", ["in-place", "renamed-over"])
def test_a_same_size_edit_with_its_mtime_restored_is_seen(tmp_path, how):
    data = tmp_path / "data"
    path = write(data, "studies.toml", GOOD.replace("A made-up study", "Alpha exosome study"))
    env = base_env(cache=tmp_path / "cache", data_path=data)
    p = run(["show", "Smith2020", "--json"], env)
    assert p.returncode == 0 and p.stderr == b"" and json.loads(p.stdout)["title"] == "Alpha exosome study", p
    before = os.stat(path)
    new = GOOD.replace("A made-up study", "Omega exosome study")
    if how == "in-place":
        with open(path, "r+", encoding="utf-8") as f:
            f.write(new)
    else:
        other = write(tmp_path, "new.toml", new)
        os.replace(other, path)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    p = run(["show", "Smith2020", "--json"], env)
    assert p.returncode == 0 and p.stderr == b"", p
    assert json.loads(p.stdout)["title"] == "Omega exosome study", "the old record was served"


def _runs(data: Path, cache: Path) -> list[tuple]:
    """What three commands say about a data folder: (exit, stdout, stderr) each.

    Each command has a cache folder of its own, so a second call is warm.
    """
    out = []
    for args, env in (
        (["studies", "-o", "keys"], base_env(cache=cache / "1", data_path=data)),
        (["show", "Smith2020", "--data", str(data)], base_env(cache=cache / "2")),
        (["validate", str(data)], base_env(cache=cache / "3")),
    ):
        p = run(args, env)
        out.append((p.returncode, p.stdout, p.stderr))
    return out


def _assert_warm_is_cold(tmp_path: Path, data: Path, spoil) -> list[tuple]:
    cache = tmp_path / "warm-cache"
    first = _runs(data, cache)
    assert all(code == 0 for code, _, _ in first), first
    spoil()
    warm_runs = [_runs(data, cache) for _ in range(2)]
    cold = _runs(data, tmp_path / "cold-cache")
    for w in warm_runs:
        assert w == cold, "a warm cache answers otherwise than a cold run"
    return cold


def test_a_misnamed_data_file_is_reported_warm_as_cold(tmp_path):
    data = tmp_path / "data"
    write(data, "studies.toml", GOOD)
    cold = _assert_warm_is_cold(tmp_path, data, lambda: write(data, "studeis.toml", GOOD.replace("Smith2020", "Other2020")))
    (c1, _, e1), (c2, o2, _), (c3, _, e3) = cold
    assert c1 == 0 and b"studeis.toml" in e1 and b"warning" in e1, e1
    assert c2 == 0 and b"Smith2020" in o2, o2
    assert c3 == 2 and b"studeis.toml" in e3 and b"did you mean studies.toml" in e3, e3


@pytest.mark.skipif(ROOT, reason="root reads through chmod")
def test_an_unreadable_data_file_is_reported_warm_as_cold(tmp_path):
    data = tmp_path / "data"
    path = write(data, "studies.toml", GOOD)
    try:
        cold = _assert_warm_is_cold(tmp_path, data, lambda: path.chmod(0))
    finally:
        path.chmod(0o644)
    assert cold[2][0] == 2 and b"cannot read" in cold[2][2], cold[2]


# -- 8. single-value links in another letter case ---------------------------------------------

DISEASES = '[ovarian-cancer]\nname = "ovarian cancer"\ncategory = "cancer"\nparent = "CANCER"\n'
STUDY_OC = GOOD + 'diseases = ["ovarian-cancer"]\n'


def test_a_parent_in_another_letter_case_is_followed(tmp_path, monkeypatch):
    write(tmp_path, "diseases.toml", DISEASES)
    write(tmp_path, "studies.toml", STUDY_OC)
    validated(tmp_path)
    monkeypatch.setenv("EXO_DATA_PATH", str(tmp_path))
    r = ok("studies", "--disease", "cancer", "-o", "keys")
    assert "Smith2020" in r.stdout.split(), "a study of a narrower disease dropped out"
    assert "ovarian-cancer" in ok_json("show", "cancer", "--json")["links"]["narrower"]
    assert ok_json("show", "ovarian-cancer", "--json")["parent"] == "cancer"


def test_a_terms_disease_in_another_letter_case_is_followed(tmp_path, monkeypatch):
    write(tmp_path, "diseases.toml", DISEASES)
    write(tmp_path, "glossary.toml", '[oc]\nabbreviation = "OC"\nexpansion = "ovarian cancer"\ndisease = "Ovarian-Cancer"\n')
    validated(tmp_path)
    monkeypatch.setenv("EXO_DATA_PATH", str(tmp_path))
    assert ok_json("show", "oc", "--json")["disease"] == "ovarian-cancer"
    assert ok_json("show", "ovarian-cancer", "--json")["links"].get("terms") == ["oc"]


def test_a_parent_loop_in_another_letter_case_is_reported(tmp_path, monkeypatch):
    write(
        tmp_path,
        "diseases.toml",
        '[x1]\nname = "x one"\ncategory = "cancer"\nparent = "X2"\n\n[x2]\nname = "x two"\ncategory = "cancer"\nparent = "X1"\n',
    )
    r = exo("validate", str(tmp_path))
    assert r.code == 2, r
    assert "loop" in r.stderr and ("x1 -> x2 -> x1" in r.stderr or "x2 -> x1 -> x2" in r.stderr), r
    monkeypatch.setenv("EXO_DATA_PATH", str(tmp_path))
    r = exo("studies", "--disease", "x1", "-o", "keys")
    # No study is tagged x1: nothing found, with the loop warned about.
    assert r.code == 1 and r.stdout == "" and "loop" in r.stderr and "Traceback" not in r.stderr, r


# -- 9. keys ---------------------------------------------------------------------------------


def test_a_key_with_a_trailing_newline_is_refused(tmp_path, monkeypatch):
    path = write(
        tmp_path,
        "studies.toml",
        GOOD.replace("[Smith2020]", '["Bruno2009\\n"]') + "\n" + GOOD.replace("[Smith2020]", '["Smith2020\\n"]'),
    )
    write(tmp_path, "diseases.toml", '["ovary\\n"]\nname = "ovary disease"\ncategory = "cancer"\n')
    r = exo("validate", str(tmp_path))
    assert r.code == 2 and "3 problems" in r.stderr, r
    assert r.stderr.count("a key must") == 3, r
    monkeypatch.setenv("EXO_DATA_PATH", str(tmp_path))
    r = exo("studies", "-o", "keys")
    assert r.code == 0 and "warning" in r.stderr and str(path) in r.stderr, r
    keys = r.stdout.split("\n")
    assert keys.count("Bruno2009") == 1, "a key with a newline passed as a second Bruno2009"
    assert not [k for k in keys if k.startswith("Smith2020")], r
    r = exo("show", "ovary", "--json")
    assert r.code == 1 and r.stdout == "" and "no key matches 'ovary'" in r.stderr, r


# -- 10, 17. data files that are not plain files -----------------------------------------------


def _assert_cannot_read(folder: Path, path: Path, *patterns: str, **kw) -> None:
    """validate: exit 2 naming the file; EXO_DATA_PATH: a warning, the rest answered.
    Each run has a timeout: a FIFO must never be opened and waited on."""
    env = base_env(cache=folder.parent / "cache")
    v = run(["validate", str(folder)], env, timeout=60, **kw)
    assert v.returncode == 2, v
    err = v.stderr.decode()
    assert str(path) in err and "Traceback" not in err and "internal error" not in err and "MemoryError" not in err, err
    for pat in patterns:
        assert re.search(pat, err), (pat, err)
    s = run(["studies", "--disease", "gvhd", "-o", "keys"], base_env(cache=folder.parent / "cache", data_path=folder), timeout=60, **kw)
    assert s.returncode == 0 and b"Kordelas2014" in s.stdout.split(), s
    assert b"warning" in s.stderr and str(path).encode() in s.stderr, s.stderr


@pytest.mark.parametrize("name", ["studies.toml", "diseases.toml"])
@pytest.mark.parametrize("kind", ["dangling", "loop"])
def test_a_symlink_to_nothing_as_a_data_file_cannot_be_read(tmp_path, name, kind):
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / name
    if kind == "dangling":
        path.symlink_to(tmp_path / "gone.toml")
    else:
        (folder / "other.lnk").symlink_to(path)
        path.symlink_to(folder / "other.lnk")
    _assert_cannot_read(folder, path, "cannot read")


def _limit_memory() -> None:
    # NOTE: a regression reading /dev/zero must fail fast here, not take the
    # machine's memory; a normal run fits well within this.
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


@pytest.mark.parametrize("name", ["studies.toml", "diseases.toml"])
@pytest.mark.parametrize("kind", ["dev-zero", "fifo"])
def test_a_device_or_fifo_as_a_data_file_is_refused_without_a_hang(tmp_path, name, kind):
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / name
    if kind == "dev-zero":
        path.symlink_to("/dev/zero")
    else:
        os.mkfifo(path)
    _assert_cannot_read(folder, path, "cannot read", "not a regular file", preexec_fn=_limit_memory)


def test_a_normal_run_needs_no_more_memory_than_its_data(tmp_path, clean):
    """A data file is read at its size: no buffer the size of the file cap."""
    folder = write(tmp_path / "data", "diseases.toml", '[flu]\nname = "influenza"\ncategory = "immune"\n').parent
    p = run(["show", "flu", "--data", str(folder), "--json"], base_env(cache=tmp_path / "cache"), preexec_fn=_limit_memory)
    assert p.returncode == 0 and json.loads(p.stdout)["key"] == "flu", p.stderr
    assert_same_as_clean(base_env(cache=tmp_path / "cache2"), clean, times=1, preexec_fn=_limit_memory)


# -- 18. a FIFO where the store goes -------------------------------------------------------------


def test_a_fifo_at_the_store_path_does_not_hang(tmp_path, clean):
    cache = tmp_path / "cache"
    env = base_env(cache=cache)
    path = warm(cache, env)
    path.unlink()
    os.mkfifo(path)
    assert_same_as_clean(env, clean, timeout=60)
    assert_only_complete_caches(cache)


def test_a_fifo_as_the_cache_folder_does_not_hang(tmp_path, clean):
    fifo = tmp_path / "cache"
    os.mkfifo(fifo)
    assert_same_as_clean(base_env(cache=fifo), clean, timeout=60)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


# -- 12. a relative XDG_CACHE_HOME --------------------------------------------------------------


@pytest.mark.parametrize("xdg", ["cache", ".", "./exo-cache", "~/.cache"])
def test_a_relative_xdg_cache_home_is_ignored(tmp_path, xdg):
    """The XDG spec: a relative value is invalid. Nothing is written in the
    current folder (here a data folder); the store goes under HOME."""
    data = write(tmp_path / "data", "studies.toml", GOOD).parent
    home = tmp_path / "home"
    home.mkdir()
    env = base_env(HOME=str(home), XDG_CACHE_HOME=xdg)
    env.pop("EXO_CACHE_DIR", None)
    before = sorted(os.listdir(data))
    for args in (["studies", "--data", ".", "-o", "keys"], ["search", "gvhd", "-o", "keys"]):
        p = run(args, env, cwd=data)
        assert p.returncode == 0 and p.stderr == b"", p.stderr
    assert sorted(os.listdir(data)) == before, "exo wrote into the current folder"
    assert list((home / ".cache" / "exo").glob("exo-*.sqlite3")), "no store under HOME"


def test_a_relative_xdg_cache_home_without_home_writes_nothing(tmp_path):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    env = base_env(XDG_CACHE_HOME="cache")
    for name in ("HOME", "EXO_CACHE_DIR"):
        env.pop(name, None)
    p = run(["search", "gvhd", "-o", "keys"], env, cwd=cwd)
    assert p.returncode == 0 and p.stderr == b"" and b"gvhd" in p.stdout.split(), p.stderr
    assert list(cwd.iterdir()) == []


# -- 19, 20. values and folders exo cannot take -------------------------------------------------


@pytest.mark.parametrize("size", ["small", "over-a-megabyte"])
def test_a_5000_digit_integer_is_a_located_problem(tmp_path, size):
    folder = tmp_path / "data"
    head = synthetic_studies(folder, 9_000 if size != "small" else 3).joinpath("studies.toml").read_text("utf-8")
    text = head + GOOD.replace("year = 2020", "year = " + "9" * 5000)
    path = write(folder, "studies.toml", text)
    line = text.count("\n", 0, text.index("9" * 5000)) + 1
    env = base_env(cache=tmp_path / "cache")
    v = run(["validate", str(folder)], env, timeout=120)
    err = v.stderr.decode()
    assert v.returncode == 2, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert f"{path}:{line}" in err, err
    s = run(["studies", "--disease", "gvhd", "-o", "keys"], base_env(cache=tmp_path / "cache", data_path=folder), timeout=120)
    assert s.returncode == 0 and b"Kordelas2014" in s.stdout.split() and b"warning" in s.stderr, s.stderr


@pytest.mark.parametrize("how", ["loop", "inside-a-loop"])
def test_a_data_folder_that_is_a_symlink_loop_is_a_problem(tmp_path, how):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    folder = tmp_path / "a" if how == "loop" else tmp_path / "a" / "data"
    env = base_env(cache=tmp_path / "cache")
    for args in (["validate", str(folder)], ["studies", "--data", str(folder)]):
        p = run(args, env)
        err = p.stderr.decode()
        assert p.returncode == 2 and p.stdout == b"", (args, err)
        assert "Traceback" not in err and "internal error" not in err, err
        assert str(folder) in err and "symbolic link" in err, err
    p = run(["search", "gvhd", "-o", "keys"], base_env(cache=tmp_path / "cache", data_path=folder))
    assert p.returncode == 0 and b"gvhd" in p.stdout.split(), p.stderr
    assert p.stderr.count(b"\n") == 1 and b"warning" in p.stderr, p.stderr


# -- 23, 24. big and pathological data ----------------------------------------------------------


def _chain(n: int, loop: bool = False) -> str:
    return "".join(
        f'[c{i}]\nname = "chain {i}"\ncategory = "cancer"\n'
        + (f'parent = "c{i - 1}"\n' if i else (f'parent = "c{n - 1}"\n' if loop else ""))
        + "\n"
        for i in range(n)
    )


@pytest.mark.slow
def test_a_long_parent_chain_validates_and_loads(tmp_path):
    """20,000 diseases, each the parent of the next: the loop check is linear.
    Timeouts, not timed asserts: a cubic check takes hours here."""
    folder = write(tmp_path / "data", "diseases.toml", _chain(20_000)).parent
    env = base_env(cache=tmp_path / "cache")
    v = run(["validate", str(folder)], env, timeout=180)
    bundled = validate([bundled_data_dir()])["disease"]
    assert v.returncode == 0 and f"({bundled + 20_000} disease".encode() in v.stderr, v.stderr
    s = run(["show", "c19999", "--data", str(folder), "--json"], env, timeout=180)
    assert s.returncode == 0 and json.loads(s.stdout)["parent"] == "c19998", s.stderr


def test_a_long_parent_loop_is_reported_briefly(tmp_path):
    folder = write(tmp_path / "data", "diseases.toml", _chain(20_000, loop=True)).parent
    v = run(["validate", str(folder)], base_env(cache=tmp_path / "cache"), timeout=180)
    err = v.stderr.decode()
    assert v.returncode == 2 and "loop" in err, err[:500]
    line = next(s for s in err.splitlines() if "loop" in s)
    assert len(line) < 1000, f"a loop message of {len(line)} characters"
    assert "c0" in line and "20000" in line.replace(",", ""), line


@pytest.mark.slow
def test_ten_thousand_bad_records_are_reported(tmp_path):
    """Every problem located, each line found without rescanning the file."""
    n = 10_000
    text = "".join(
        f'[Bad{i}]\ntitle = "Synthetic bad study {i} of exosome kinetics"\nauthors = ["Doe, J."]\nyear = "{2000 + i % 20}"\ntitel = "typo"\n\n'
        for i in range(n)
    )
    assert len(text.encode()) > 1_000_000  # the big-file path
    path = write(tmp_path / "data", "studies.toml", text)
    env = base_env(cache=tmp_path / "cache")
    v = run(["validate", str(path.parent)], env, timeout=180)
    err = v.stderr.decode()
    assert v.returncode == 2 and f"{2 * n} problems" in err, err[-500:]
    last = n - 1
    assert f"{path}:{6 * last + 4} [Bad{last}] year:" in err and f"{path}:{6 * last + 5} [Bad{last}] titel:" in err
    s = run(["studies", "-o", "keys"], base_env(cache=tmp_path / "cache", data_path=path.parent), timeout=180)
    assert s.returncode == 0 and f"{n} records of {path} left out".encode() in s.stderr, s.stderr[:500]
    assert not [k for k in s.stdout.split() if k.startswith(b"Bad")]


# -- 30. accurate messages, checked dates ---------------------------------------------------------


@pytest.mark.parametrize("name", ["studies.toml", "diseases.toml"])
def test_an_array_of_tables_is_named_as_such(tmp_path, name):
    path = write(tmp_path, name, '[[Arr]]\ntitle = "x"\n\n[[Arr]]\ntitle = "y"\n')
    r = exo("validate", str(tmp_path))
    assert r.code == 2, r
    assert f"{path}:1 [Arr]" in r.stderr and "array of tables" in r.stderr, r
    assert "plain value" not in r.stderr, r


REVIEW = (
    '[Rev2021]\ntitle = "A made-up review"\nauthors = ["Doe, J."]\nyear = 2021\n'
    'received = {received}\naccepted = 2020-10-28\npublished = "2021-01-25"\n'
)


@pytest.mark.parametrize(
    "value",
    [
        '"not a date at all"',
        "2020-08-01T10:00:00+02:00",
        "2020-08-01T10:00:00Z",
        '"2020-08-01T10:00:00+02:00"',
        "2020-08-01T10:00:00",
        "10:00:00",
        '"2020-02-30"',
        '"20200801"',
        '"2020-W31-6"',
        '""',
        "20200801",
    ],
    ids=["words", "offset-datetime", "utc-datetime", "offset-datetime-text", "local-datetime", "time", "no-such-day",
         "basic-format", "week-date", "empty", "integer"],
)
def test_a_date_that_is_not_a_plain_date_is_refused(tmp_path, value):
    path = write(tmp_path, "review.toml", REVIEW.format(received=value))
    r = exo("validate", str(tmp_path))
    assert r.code == 2, r
    assert f"{path}:5 [Rev2021] received:" in r.stderr and "YYYY-MM-DD" in r.stderr, r
    assert "1 problem " in r.stderr, r


def test_a_plain_date_is_taken_as_text_or_as_a_toml_date(tmp_path, monkeypatch):
    write(tmp_path, "review.toml", REVIEW.format(received="2020-08-01"))
    validated(tmp_path)
    monkeypatch.setenv("EXO_DATA_PATH", str(tmp_path))
    got = ok_json("show", "Rev2021", "--json")
    assert (got["received"], got["accepted"], got["published"]) == ("2020-08-01", "2020-10-28", "2021-01-25"), got


# -- 31. every script is indexed; only close keys are suggested ---------------------------------

WORDS = {
    "cjk": "幹細胞",
    "cyrillic": "стволовых",
    "arabic": "خلايا",
    "devanagari": "कोशिका",
    "hangul": "줄기세포",
    "greek": "βλαστοκύτταρα",
}


@pytest.mark.parametrize("word", list(WORDS.values()), ids=list(WORDS))
def test_search_finds_a_word_of_any_script(tmp_path, monkeypatch, word):
    write(
        tmp_path,
        "studies.toml",
        GOOD.replace("A made-up study", "Exosomes and 幹細胞 in mice")
        + f"note = {toml_str('Исследование стволовых клеток; خلايا جذعية; स्टेम कोशिका; 줄기세포; Τα βλαστοκύτταρα')}\n",
    )
    monkeypatch.setenv("EXO_DATA_PATH", str(tmp_path))
    assert ok("search", word, "-o", "keys").stdout.split() == ["Smith2020"]
    assert "Smith2020" in ok("search", word.upper(), "-o", "keys").stdout.split()


def test_an_unknown_key_gets_only_close_suggestions():
    r = exo("show", "Smith2024")
    assert r.code == 1 and "no key matches 'Smith2024'" in r.stderr, r
    assert "did you mean" not in r.stderr, f"a far-fetched suggestion: {r.stderr}"
    r = exo("show", "Kordelas2015")  # a real near miss is still suggested
    assert r.code == 1 and "did you mean Kordelas2014" in r.stderr, r
