"""Pipes and signals: `exo ... | head -1`, a closed stdout, Ctrl-C.

Real processes only. A reader that goes away ends exo quietly (exit 0, nothing
on stderr); Ctrl-C ends it with exit 130 and no traceback, and never leaves a
partial cache file behind.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time

import pytest

from exocli.output import Format

from exo_hostile import (
    EXO,
    assert_only_complete_caches,
    base_env,
    big_data,  # noqa: F401 - a fixture, used by name
    cache_files,
    run,
    synthetic_studies,
)
from terminal import drain, start_on_pty

# `studies` in every format (a pipe gets plain by default), then search and cite.
HEAD_CASES = {
    "studies": ["studies"],
    **{f"studies-{fmt.value}": ["studies", "-o", fmt.value] for fmt in Format if fmt is not Format.PLAIN},
    "search": ["search", "synthetic", "-n", "5000"],
    "search-json": ["search", "synthetic", "-n", "5000", "--json"],
    "cite-all": ["cite", "--all"],
    "cite-all-bibtex": ["cite", "--all", "--format", "bibtex"],
}


def head_1(args: list[str], env: dict, tmp_path) -> tuple[int, bytes, bytes]:
    """`exo ARGS | head -1` in a shell: (exo's exit code, head's output, exo's stderr)."""
    err = tmp_path / "stderr"
    cmd = " ".join(shlex.quote(a) for a in [*EXO, *args])
    script = f'{cmd} 2>{shlex.quote(str(err))} | head -1; echo "EXIT=${{PIPESTATUS[0]}}" >&2'
    p = subprocess.run(["bash", "-c", script], env=env, capture_output=True, timeout=120)
    code = int(p.stderr.decode().rsplit("EXIT=", 1)[1].strip())
    return code, p.stdout, err.read_bytes()


def test_head_1_on_the_bundled_data_ends_quietly(tmp_path):
    env = base_env(cache=tmp_path / "cache")
    code, out, err = head_1(["studies"], env, tmp_path)
    assert code == 0, err
    assert err == b""
    assert out.count(b"\n") == 1 and out.startswith(b"Arasu2017\t")


@pytest.fixture(scope="module")
def warm_big(tmp_path_factory, big_data) -> dict:
    """big_data with a warm cache, shared by the `| head -1` cases."""
    env = base_env(cache=tmp_path_factory.mktemp("warm-big-cache"), data_path=big_data)
    p = run(["studies", "-o", "keys"], env)
    assert p.returncode == 0 and p.stderr == b"", p.stderr
    assert len(p.stdout.split()) == 5000 + 114
    return env


def test_head_1_on_a_cold_cache_ends_quietly_and_leaves_a_whole_cache(tmp_path, big_data):
    """The first run parses 5,000 studies, writes the cache, then meets EPIPE."""
    cache = tmp_path / "cache"
    env = base_env(cache=cache, data_path=big_data)
    code, out, err = head_1(["studies"], env, tmp_path)
    assert code == 0, err
    assert err == b""
    assert out.count(b"\n") == 1
    assert_only_complete_caches(cache)
    assert len(cache_files(cache)) == 1


@pytest.mark.parametrize("args", list(HEAD_CASES.values()), ids=list(HEAD_CASES))
def test_head_1_ends_quietly_when_output_outgrows_the_pipe(tmp_path, warm_big, args):
    """5,000 extra studies: far more output than a pipe holds, so exo really
    meets a closed pipe (EPIPE)."""
    code, out, err = head_1(args, warm_big, tmp_path)
    assert code == 0, err
    # Quiet: at most the note that more hits were found than shown.
    if args[0] == "search":
        assert err == b"" or re.fullmatch(rb"exo: \d+ of [\d,]+ shown; use -n to see more\n", err), err
    else:
        assert err == b"", err
    assert out.count(b"\n") == 1 and out.strip(), out


def test_head_1_of_a_table_ends_quietly(tmp_path):
    """The rich table (asked for with -o table) on the bundled data."""
    code, out, err = head_1(["studies", "-o", "table"], base_env(cache=tmp_path / "cache"), tmp_path)
    assert code == 0, err
    assert err == b""
    assert out.count(b"\n") == 1


def test_head_c_cuts_mid_line_and_exo_still_ends_quietly(warm_big):
    env = warm_big
    cmd = " ".join(shlex.quote(a) for a in [*EXO, "studies", "--json"])
    p = subprocess.run(["bash", "-c", f'{cmd} | head -c 10 >/dev/null; echo "EXIT=${{PIPESTATUS[0]}}"'], env=env, capture_output=True, timeout=120)
    assert p.stdout.strip() == b"EXIT=0", p
    assert p.stderr == b""


@pytest.mark.parametrize("args", [["studies"], ["studies", "--json"], ["search", "gvhd"], ["show", "gvhd"], ["cite", "Bruno2009"], ["stats"]], ids=lambda a: " ".join(a))
def test_closed_stdout(tmp_path, args):
    """`exo ... >&-`: no stdout at all. No traceback, no "internal error" (exit 3
    means a bug in exo); the output is lost, so, as with /dev/full, the exit
    code says so, with a one-line message."""
    env = base_env(cache=tmp_path / "cache")
    cmd = " ".join(shlex.quote(a) for a in [*EXO, *args])
    p = subprocess.run(["bash", "-c", f"{cmd} >&-"], env=env, capture_output=True, timeout=60)
    assert b"Traceback" not in p.stderr, p.stderr
    assert b"internal error" not in p.stderr, p.stderr
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert p.stderr.decode().splitlines() == ["Error: cannot write the output: standard output is closed"], p.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_full_stdout_device_is_reported_not_a_bug(tmp_path):
    """`exo studies > /dev/full`: the output is lost, so the exit code must say
    so (not 0), with a plain message (not "internal error", not exit 3)."""
    env = base_env(cache=tmp_path / "cache")
    with open("/dev/full", "wb") as full:
        p = subprocess.run([*EXO, "studies", "--json"], env=env, stdout=full, stderr=subprocess.PIPE, timeout=60)
    assert p.returncode not in (0, 3), (p.returncode, p.stderr)
    assert b"Traceback" not in p.stderr and b"internal error" not in p.stderr, p.stderr
    assert p.stderr.strip(), "a failed write must be reported"


# -- Ctrl-C ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def huge_data(tmp_path_factory):
    """60,000 studies: a first parse that takes seconds."""
    return synthetic_studies(tmp_path_factory.mktemp("huge-data"), 60_000)


def interrupt(args: list[str], env: dict, after: float) -> subprocess.CompletedProcess:
    p = subprocess.Popen([*EXO, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(after)
    still_running = p.poll() is None
    if still_running:
        p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert still_running, f"exo finished within {after} s; nothing was interrupted"
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def test_ctrl_c_during_a_long_first_parse(tmp_path, huge_data):
    cache = tmp_path / "cache"
    env = base_env(cache=cache, data_path=huge_data)
    start = time.monotonic()
    p = interrupt(["search", "x"], env, after=0.5)
    assert time.monotonic() - start < 10, "exo did not stop promptly on Ctrl-C"
    assert p.returncode == 130, (p.returncode, p.stderr)
    assert b"Traceback" not in p.stderr and b"KeyboardInterrupt" not in p.stderr, p.stderr
    assert b"Aborted" not in p.stderr, p.stderr
    assert p.stdout == b""
    assert not [n for n in cache_files(cache) if not n.endswith(".sqlite3")], cache_files(cache)
    assert_only_complete_caches(cache)


@pytest.mark.parametrize("after", [0.15, 2.5])
def test_ctrl_c_at_any_moment_leaves_no_partial_cache(tmp_path, huge_data, after):
    """Interrupts during start-up, parsing, index building and cache writing
    (as far as timing allows): exit 130, and the cache folder holds only
    complete files, which a later run uses or rebuilds."""
    cache = tmp_path / "cache"
    env = base_env(cache=cache, data_path=huge_data)
    p = subprocess.Popen([*EXO, "search", "x", "-o", "keys"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(after)
    if p.poll() is None:
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
        assert p.returncode == 130, (p.returncode, err)
        assert b"Traceback" not in err, err
    else:
        assert p.returncode == 0, p.stderr.read()
    assert_only_complete_caches(cache)


def test_ctrl_c_while_blocked_on_a_full_pipe(warm_big):
    """`exo studies | less`, Ctrl-C while less is not reading: exo must end with
    130 and not hang flushing its output."""
    env = warm_big
    p = subprocess.Popen([*EXO, "studies"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(1.0)
        assert p.poll() is None, "exo finished: its output fitted in the pipe"
        p.send_signal(signal.SIGINT)
        code = p.wait(timeout=15)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    err = p.stderr.read()
    p.stdout.close()
    p.stderr.close()
    assert code == 130, (code, err)
    assert b"Traceback" not in err, err


def test_ctrl_c_on_a_terminal_prints_no_traceback(tmp_path, huge_data):
    """On a pty the terminal sends SIGINT; the user sees no traceback."""

    env = base_env(cache=tmp_path / "cache", data_path=huge_data, TERM="xterm")
    p, master = start_on_pty([*EXO, "search", "x"], env=env, columns=80, rows=24)
    try:
        time.sleep(0.6)
        p.send_signal(signal.SIGINT)
        out = drain(master, timeout=30)
    finally:
        os.close(master)
    code = p.wait(timeout=30)
    assert code == 130, (code, out)
    assert b"Traceback" not in out and b"KeyboardInterrupt" not in out, out


def test_sigpipe_default_disposition_does_not_change_exit(warm_big):
    """Some shells and CI runners start programs with SIGPIPE reset to default;
    exo should still not leave a traceback (a silent death by SIGPIPE is the
    Unix convention and is accepted)."""
    env = warm_big
    code = (
        "import signal, subprocess, sys\n"
        "signal.signal(signal.SIGPIPE, signal.SIG_DFL)\n"
        f"p = subprocess.Popen({[*EXO, 'studies']!r}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,"
        " restore_signals=False)\n"
        "p.stdout.readline(); p.stdout.close()\n"
        "err = p.stderr.read(); p.wait()\n"
        "sys.stdout.write(str(p.returncode) + '\\n'); sys.stdout.buffer.write(err)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=60)
    rc, _, err = p.stdout.partition(b"\n")
    assert int(rc) in (0, -signal.SIGPIPE), p.stdout
    assert b"Traceback" not in err, err


def test_ctrl_c_during_the_cache_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    """Deterministic: Ctrl-C arrives exactly while the cache file is being put in
    place. The interrupt goes through, and no temporary or partial file stays."""
    from exocli import store as cache_mod
    from exocli.catalog import load

    cache = tmp_path / "cache"
    real_replace = os.replace
    calls = []

    def interrupted_replace(src, dst, *a, **kw):
        if str(cache) in str(dst):
            calls.append(dst)
            raise KeyboardInterrupt
        return real_replace(src, dst, *a, **kw)

    monkeypatch.setattr(cache_mod.os, "replace", interrupted_replace)
    try:
        load(env={"EXO_CACHE_DIR": str(cache)})
    except KeyboardInterrupt:
        pass
    if not calls:
        pytest.skip("the cache is no longer put in place with os.replace")
    assert cache_files(cache) == [], cache_files(cache)


# -- Ctrl-C from the first instruction -----------------------------------------------------


# Python code run in place of the console script: it presses Ctrl-C (sends
# itself SIGINT) at the moment a given module is first imported, then starts
# exo as the `exo` script does. Deterministic, unlike a timed signal.
CTRL_C_AT_IMPORT = """
import os, signal, sys
target = sys.argv.pop(1)
class CtrlC:
    def find_spec(self, name, path=None, target_=None):
        if name == target:
            os.kill(os.getpid(), signal.SIGINT)
        return None
sys.meta_path.insert(0, CtrlC())
sys.argv[0] = "exo"
from exocli.entry import main
main()
"""


@pytest.mark.parametrize("module", ["exocli.errors", "dataclasses", "click", "typer", "exocli.cli", "exocli.catalog"])
def test_ctrl_c_during_any_start_up_import_is_quiet(tmp_path, module):
    """Issue 12 item 16: a Ctrl-C while exo's first modules are imported
    (exocli.errors and dataclasses came before the handler) ends with 130
    and nothing on stderr."""
    env = base_env(cache=tmp_path / "cache")
    p = subprocess.run([sys.executable, "-c", CTRL_C_AT_IMPORT, module, "search", "x"], env=env, capture_output=True, timeout=60)
    assert p.returncode == 130, (p.returncode, p.stderr)
    assert p.stderr.strip() in (b"", b"Aborted!"), p.stderr
    assert b"Traceback" not in p.stderr and b"KeyboardInterrupt" not in p.stderr


def test_the_sigint_handler_comes_before_any_import_of_exo():
    """The handler is exo's first instruction: no module is imported by
    exocli.entry while Python's default handler (a traceback) is in place."""
    code = (
        "import signal, sys\n"
        "late, started = [], []\n"
        "class Spy:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if started and signal.getsignal(signal.SIGINT) is signal.default_int_handler:\n"
        "            late.append(name)\n"
        "        if name == 'exocli.entry':\n"
        "            started.append(name)\n"
        "sys.meta_path.insert(0, Spy())\n"
        "import exocli.entry\n"
        "print(late)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60, text=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]", p.stdout


# -- exit codes whatever happens to stdout and stderr -----------------------------------------


def shell(cmd: str, env: dict) -> subprocess.CompletedProcess:
    """Run a bash command line; `EXO` in it is the exo command."""
    exo_cmd = " ".join(shlex.quote(a) for a in EXO)
    return subprocess.run(["bash", "-c", cmd.replace("EXO", exo_cmd)], env=env, capture_output=True, timeout=120)


STDERR_BROKEN = {
    "closed": "EXO {args} 2>&-; echo EXIT=$?",
    "full": "EXO {args} 2>/dev/full; echo EXIT=$?",
    "closed pipe": "EXO {args} 2>&1 | true; echo EXIT=${{PIPESTATUS[0]}}",
}
ERRORS = {
    "usage": ("studies --bogus", 2),
    "bad value": ("studies --year soon", 2),
    "bad data": ("studies --data /nonexistent/folder", 2),
    "unknown key": ("show Nobody1999", 1),
    "nothing found": ("search zzzzqqqq", 1),
}


@pytest.mark.parametrize("how", list(STDERR_BROKEN), ids=list(STDERR_BROKEN))
@pytest.mark.parametrize("case", list(ERRORS), ids=list(ERRORS))
def test_exit_code_holds_when_stderr_cannot_be_written(tmp_path, how, case):
    """Issue 12 item 25: the message is lost, the exit code is not."""
    if how == "full" and not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    args, want = ERRORS[case]
    p = shell(STDERR_BROKEN[how].format(args=args), base_env(cache=tmp_path / "cache"))
    assert p.stdout.decode().rsplit("EXIT=", 1)[1].strip() == str(want), p


@pytest.mark.parametrize("args", ["--help", "--version", "studies --help", "-h"])
def test_help_and_version_into_a_closed_pipe_exit_0(tmp_path, args):
    """Issue 12 item 26: `exo --help | true` ends as every command does."""
    env = base_env(cache=tmp_path / "cache")
    for _ in range(3):  # `true` may exit before or after exo writes
        p = shell(f"EXO {args} | true; echo EXIT=${{PIPESTATUS[0]}} >&2", env)
        assert p.stderr.decode().rsplit("EXIT=", 1)[1].strip() == "0", p.stderr
        assert b"Traceback" not in p.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
@pytest.mark.parametrize("args", [["--version"], ["--help"], ["studies", "--help"]])
def test_help_and_version_into_a_full_device_say_so(tmp_path, args):
    """Issue 12 item 15: `exo --version > /dev/full` was a 17-frame traceback."""
    with open("/dev/full", "wb") as full:
        p = subprocess.run([*EXO, *args], env=base_env(cache=tmp_path / "cache"), stdout=full, stderr=subprocess.PIPE, timeout=60)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert p.stderr.decode().splitlines() == ["Error: cannot write the output: No space left on device"], p.stderr


# -- exo cite - with odd standard inputs -------------------------------------------------------


@pytest.mark.parametrize(
    "redirect, message",
    [
        ("<&-", "standard input: it is closed"),
        ("</dev/zero", "standard input holds more than 16 MB"),
        ("< <(printf 'Bruno2009\\n\\xff\\xfe\\n')", "standard input is not UTF-8 text (line 2, byte 10)"),
    ],
    ids=["closed", "dev-zero", "not-utf8"],
)
def test_cite_dash_with_an_odd_stdin_is_a_usage_error(tmp_path, redirect, message):
    """Issue 12 item 22: a message and exit 2, never exit 3 or MemoryError;
    /dev/zero is read only up to the limit."""
    p = shell(f"EXO cite - {redirect}", base_env(cache=tmp_path / "cache"))
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert message in p.stderr.decode(), p.stderr
    assert b"Traceback" not in p.stderr and b"internal error" not in p.stderr
    assert p.stdout == b""


def test_cite_dash_still_reads_keys_from_a_pipe(tmp_path):
    p = shell("printf '\\xef\\xbb\\xbfBruno2009\\nKalluri2020\\n' | EXO cite - --style intext", base_env(cache=tmp_path / "cache"))
    assert p.returncode == 0 and p.stderr == b"", p.stderr
    assert p.stdout.decode().splitlines() == ["(Bruno et al., 2009; Kalluri and LeBleu, 2020)"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_term_or_hangup_during_a_first_run_leaves_no_temporary_file(tmp_path, huge_data, sig):
    """A terminal closed or a job killed while the store is built: exit 128+N,
    no traceback, and no half-written file or temporary left in the cache."""
    cache = tmp_path / "cache"
    env = base_env(cache=cache, data_path=huge_data)
    p = subprocess.Popen([*EXO, "search", "x", "-o", "keys"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (cache.is_dir() and any(n.endswith(".tmp") for n in cache_files(cache))):
        time.sleep(0.05)
    assert p.poll() is None, "the first run ended before the store was being written"
    p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 128 + sig, (p.returncode, err)
    assert b"Traceback" not in err, err
    assert cache_files(cache) == [], cache_files(cache)


def test_a_temporary_file_left_by_a_killed_build_is_removed(tmp_path):
    """SIGKILL cannot be caught: the next build removes what the dead one left."""
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = cache / f".exo-0123456789abcdef.sqlite3.{dead.pid}.00000000.tmp"
    stale.write_bytes(b"half a store")
    r = run(["search", "gvhd", "-o", "keys"], base_env(cache=cache))
    assert r.returncode == 0 and r.stderr == b"", r.stderr
    assert b"gvhd" in r.stdout.split(), r.stdout
    assert not stale.exists()
    assert_only_complete_caches(cache)
