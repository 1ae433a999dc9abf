#!/usr/bin/env python3
"""Measure exo against its goals (issue 10, item 5), side by side in one run.

    python benchmarks/run.py --quick                  # a fast check: 1,000 and 10,000 studies
    python benchmarks/run.py --data-root ~/exo-bench  # full run: 100,000 and 1,000,000 studies
    python benchmarks/run.py --json results.json

Prints Markdown tables on stdout (progress goes to stderr):

1. Start-up and the bundled data: median wall time and peak memory of
   ``python -c pass`` (the floor, run by the interpreter of the ``exo``
   script), ``python -c "import exocli"``, ``exo --version``, ``exo search
   gvhd --json`` (piped), ``exo search gvhd`` drawn on a pseudo-terminal,
   ``exo cite Bruno2009`` and ``exo studies --disease gvhd -o keys``, each
   with its ratio to the floor and the goals marked PASS/FAIL.
2. For each size of synthetic data (benchmarks/generate.py, added through
   EXO_DATA_PATH): the first run (empty cache folder: the store is built),
   its wall time, peak memory and whether a progress line in percent
   appeared on the terminal; then seven warm queries, each as a ratio to
   the same command on the bundled data alone, run alternately in the same
   rounds, with their peak memory.
3. How the size-dependent part (warm minus bundled alone) grows from one
   size to the next, and a table of every goal with PASS/FAIL.

How things are measured (see README.md in this folder):

- Every command is a fresh process started with posix_spawn; wall time is
  taken from just before the spawn to the reaping of the child, including
  reading all of its output (as a consumer such as jq would). Commands are
  interleaved round by round, so a slow moment of the machine hits all of
  them alike, after warm-up rounds that are not counted. Medians.
- Peak memory (max RSS) is measured in separate runs through GNU time
  (``/usr/bin/time -f %M``) when it is there, else through a tiny Python
  launcher. A child started directly from this script would report this
  script's own memory: on Linux a spawned child inherits its parent's RSS
  high-water mark across exec, so os.wait4's ru_maxrss cannot be trusted.
- Each run uses fresh cache folders (EXO_CACHE_DIR) inside one temporary
  folder, removed at the end; nothing is written anywhere else, except the
  generated data folders under --data-root when it is given (kept, and
  reused by the next run).

Standard library only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
GENERATE = HERE / "generate.py"
# NOTE: the pseudo-terminal helper is the tests' (tests/terminal.py, standard
# library only). Its reading runs between the clock readings, and it does only
# what any reader must: select, then read 64 KiB at a time until every writer
# has closed, with no polling interval.
sys.path.insert(0, str(HERE.parent / "tests"))
import terminal  # noqa: E402

# Environment variables that would change what exo or Python does; they are
# removed from the children's environment (EXO_* too) so the figures do not
# depend on the caller's shell.
DROP_ENV = {
    "NO_COLOR", "FORCE_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "COLUMNS", "LINES",
    "TERM", "PYTHONPROFILEIMPORTTIME", "PYTHONTRACEMALLOC", "PYTHONDEVMODE",
    "PYTHONVERBOSE", "PYTHONWARNINGS", "PYTHONMALLOC", "PYTHONINSPECT",
    "PYTHONSTARTUP", "COVERAGE_PROCESS_START", "PYTHONHOME", "PYTHONPATH",
}
TTY_COLUMNS, TTY_LINES = 120, 40
# Where the children keep their bytecode (see --bytecode); set by main().
PYCACHE_PREFIX: Path | None = None
RUN_TIMEOUT = 900.0  # seconds; a single exo run taking longer is reported as an error

# The goals of issue 10, item 5.
GOAL_JSON_RATIO = 8.0  # bundled data, `exo search gvhd --json` piped, x `python -c pass`
GOAL_TABLE_RATIO = 10.0  # the same search drawn on a terminal


@dataclass(frozen=True)
class SizeGoal:
    """The goals set for one number of added studies."""

    size: int
    cold_s: float  # first run (empty cache folder), wall time
    cold_mib: float | None  # and its peak memory (strictly below)
    warm_ratio: float  # every warm query, x the same command on the bundled data alone
    warm_mib: float  # peak memory of every warm query


SIZE_GOALS = (
    SizeGoal(100_000, cold_s=15.0, cold_mib=None, warm_ratio=1.5, warm_mib=100.0),
    SizeGoal(1_000_000, cold_s=180.0, cold_mib=2048.0, warm_ratio=3.0, warm_mib=200.0),
)
# The growth goal: the size-dependent part grows no worse than linearly between these.
GROWTH_GOAL = (100_000, 1_000_000)
# A progress line in percent on a terminal during the first run is a goal from this size on.
PROGRESS_GOAL_SIZE = 100_000


def size_goal(size: int) -> SizeGoal | None:
    """The goal a size is judged by: that of the smallest goal size at or above it.

    A folder smaller than a goal size must meet at least that size's goal, so
    a quick run with 10,000 studies is judged by the 100,000 goal.
    """
    return next((g for g in SIZE_GOALS if size <= g.size), None)


# The warm queries, each timed with the added studies and on the bundled data
# alone. generate.py ends every study's note with "... with X as a likely
# route", so EVERY_WORD is in every synthetic study (and in one bundled one).
EVERY_WORD = "route"
QUESTION = "which studies used gingival msc exosomes for wound healing"


@dataclass(frozen=True)
class Query:
    name: str
    label: str
    args: tuple[str, ...]
    keys: bool = False  # prints keys, one a line, instead of JSON hits


WARM_QUERIES = (
    Query("rare", "rare word", ("search", "milk", "--json")),
    Query("common", "common word", ("search", "therapy", "--json")),
    Query("every", "a word in every study", ("search", EVERY_WORD, "--json")),
    Query("two", "two words", ("search", "exosome", "therapy", "--json")),
    Query("typo", "a typo", ("search", "gvdh", "--json")),
    Query("question", "a question", ("search", *QUESTION.split(), "--json")),
    Query("filter", "a filter", ("studies", "--disease", "gvhd", "-o", "keys"), keys=True),
)
COLD_ARGS = ("search", "gvhd", "--json")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Finding exo and its interpreter


def find_exo(arg: str | None) -> Path:
    if arg:
        p = Path(arg)
        if not p.exists():
            w = shutil.which(arg)
            if not w:
                sys.exit(f"run.py: no exo command at {arg}")
            p = Path(w)
        return p.absolute()
    # The exo next to the interpreter running this script (a virtualenv's
    # bin/), else the first one on PATH.
    beside = Path(sys.executable).parent / "exo"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    w = shutil.which("exo")
    if w:
        return Path(w).absolute()
    sys.exit("run.py: cannot find the exo command; pass --exo PATH (or run this with the venv's python)")


def interpreter_of(script: Path) -> list[str] | None:
    """The interpreter command (path plus flags) of a console script's shebang."""
    try:
        with open(script, "rb") as f:
            head = f.read(1024).decode("utf-8", "replace")
    except OSError:
        return None
    if not head.startswith("#!"):
        return None
    lines = head.splitlines()
    parts = lines[0][2:].split()
    if not parts:
        return None
    if parts[0].endswith("/sh"):  # pip's form for long paths: '''exec' /path/python "$0" "$@"
        m = re.search(r"exec' (\S+)", head)
        return [m.group(1)] if m else None
    if parts[0].endswith("/env"):
        args = [a for a in parts[1:] if not a.startswith("-")]
        if not args:
            return None
        w = shutil.which(args[0])
        return [w] if w else None
    return parts


# ---------------------------------------------------------------------------
# Running one process


@dataclass
class Run:
    wall: float  # seconds
    rc: int
    out: bytes
    err: bytes
    maxrss_mib: float | None = None
    timed_out: bool = False


def _exit_code(status: int) -> int:
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code  # killed by signal N -> 128+N


def _maxrss_mib(value: float) -> float:
    # ru_maxrss (and GNU time's %M) is KiB on Linux, bytes on macOS.
    return value / 2**20 if sys.platform == "darwin" else value / 1024


class Runner:
    """Starts commands and measures them; tracks the live child for Ctrl-C."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.devnull = os.open(os.devnull, os.O_RDONLY)
        self.mem_prefix: Callable[[str], list[str]] | None = None
        self.mem_tool = "none"
        self.mem_floor_mib: float | None = None
        self.tmpdir: str | None = None  # where the memory tool writes its figure

    def kill(self) -> None:
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
            self.pid = None

    def run(self, argv: list[str], env: dict, *, tty: bool = False, tty_err: bool = False,
            memory: bool = False, timeout: float = RUN_TIMEOUT) -> Run:
        """Run argv to the end. tty: stdin, stdout and stderr on one pseudo-terminal
        (the output lands in Run.out); tty_err: stdin and stderr on a pseudo-terminal,
        stdout a pipe (a terminal user redirecting the output to a file)."""
        memfile = None
        if memory:
            if self.mem_prefix is None:
                raise RuntimeError("no memory tool")
            fd, memfile = tempfile.mkstemp(prefix="rss-", dir=self.tmpdir)
            os.close(fd)
            argv = self.mem_prefix(memfile) + argv
        try:
            if tty:
                r = self._run_tty(argv, env, timeout)
            else:
                r = self._run_pipe(argv, env, timeout, tty_err=tty_err)
            if memfile is not None:
                try:
                    text = Path(memfile).read_text().strip().splitlines()
                    r.maxrss_mib = _maxrss_mib(float(text[-1]))
                except (OSError, ValueError, IndexError):
                    r.maxrss_mib = None
            return r
        finally:
            if memfile is not None:
                os.unlink(memfile)

    def _spawn(self, argv: list[str], env: dict, fds: tuple[int, int, int]) -> int:
        actions = [(os.POSIX_SPAWN_DUP2, fd, i) for i, fd in enumerate(fds)]
        return os.posix_spawn(argv[0], argv, env, file_actions=actions)

    def _reap(self, pid: int) -> int:
        _, status, _ = os.wait4(pid, 0)
        self.pid = None
        return status

    def _run_pipe(self, argv: list[str], env: dict, timeout: float, tty_err: bool = False) -> Run:
        out_r, out_w = os.pipe()
        if tty_err:
            # err_r is the terminal's master side, err_w its slave (stdin and stderr).
            err_r, err_w = terminal.open_pty(TTY_COLUMNS, TTY_LINES)
        else:
            err_r, err_w = os.pipe()
        out = err = b""
        timed_out = False
        try:
            t0 = time.perf_counter()
            self.pid = pid = self._spawn(argv, env, (err_w if tty_err else self.devnull, out_w, err_w))
            os.close(out_w)
            os.close(err_w)
            out_w = err_w = -1
            try:
                out, err = terminal.drain_all([out_r, err_r], timeout)
            except terminal.DrainTimeout as e:
                timed_out = True
                self.kill()
                out, err = e.output
            status = self._reap(pid) if not timed_out else 9
            t1 = time.perf_counter()
        finally:
            for fd in (out_r, err_r, out_w, err_w):
                if fd >= 0:
                    os.close(fd)
        rc = _exit_code(status) if not timed_out else -1
        return Run(t1 - t0, rc, out, err, timed_out=timed_out)

    def _run_tty(self, argv: list[str], env: dict, timeout: float) -> Run:
        master, slave = terminal.open_pty(TTY_COLUMNS, TTY_LINES)
        out = b""
        timed_out = False
        try:
            t0 = time.perf_counter()
            self.pid = pid = self._spawn(argv, env, (slave, slave, slave))
            os.close(slave)
            slave = -1
            try:
                out = terminal.drain(master, timeout)
            except terminal.DrainTimeout as e:
                timed_out = True
                self.kill()
                out = e.output[0]
            status = self._reap(pid) if not timed_out else 9
            t1 = time.perf_counter()
        finally:
            os.close(master)
            if slave >= 0:
                os.close(slave)
        rc = _exit_code(status) if not timed_out else -1
        return Run(t1 - t0, rc, out, b"", timed_out=timed_out)


# The fallback memory launcher: a minimal /usr/bin/time. Started with -I -S so
# it stays small; its own size is the floor below which it cannot see.
LAUNCHER = r"""
import os, sys
out, argv = sys.argv[1], sys.argv[2:]
pid = os.posix_spawn(argv[0], argv, os.environ)
_, status, ru = os.wait4(pid, 0)
with open(out, "w") as f:
    f.write("%d\n" % ru.ru_maxrss)
code = os.waitstatus_to_exitcode(status)
os._exit(code if code >= 0 else 128 - code)
"""


def setup_memory_tool(runner: Runner, python: list[str], choice: str, env: dict) -> None:
    """Pick GNU time if it works and is sane, else the Python launcher."""
    probe = [*python, "-c", "import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"]
    candidates = []
    time_bin = shutil.which("time", path="/usr/bin:/bin:/usr/local/bin")
    if choice in ("auto", "time") and time_bin:
        candidates.append(("GNU time (-f %M)", lambda f: [time_bin, "-f", "%M", "-o", f]))
    if choice in ("auto", "python"):
        candidates.append(
            ("Python launcher (python -I -S)", lambda f: [python[0], "-I", "-S", "-c", LAUNCHER, f])
        )
    for name, prefix in candidates:
        runner.mem_prefix = prefix
        try:
            r = runner.run(probe, env, memory=True, timeout=60)
        except OSError:
            continue
        if r.rc != 0 or r.maxrss_mib is None:
            continue
        try:
            self_mib = _maxrss_mib(float(r.out.decode().strip()))
        except ValueError:
            continue
        # The tool must agree with the child's own figure (GNU time 1.7
        # reported 4x too much); allow a little for the child's exit.
        if not (0.9 * self_mib <= r.maxrss_mib <= 1.3 * self_mib + 1):
            log(f"memory tool {name} disagrees with the child ({r.maxrss_mib:.1f} vs {self_mib:.1f} MiB); skipped")
            continue
        true_bin = shutil.which("true") or "/bin/true"
        floor = runner.run([true_bin], env, memory=True, timeout=60)
        runner.mem_tool = name
        runner.mem_floor_mib = floor.maxrss_mib
        return
    runner.mem_prefix = None
    runner.mem_tool = "none"
    if choice != "none":
        log("run.py: no working way to measure peak memory; memory columns stay empty")


# ---------------------------------------------------------------------------
# Statistics and formatting


def median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def quartiles(xs: list[float]) -> tuple[float, float] | None:
    if len(xs) < 2:
        return None
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], q[2]


def ms(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{x * 1000:,.{digits}f}"


def secs(x: float | None) -> str:
    return "–" if x is None else f"{x:,.2f}"


def mib(x: float | None) -> str:
    return "–" if x is None else f"{x:,.1f}"


def iqr_ms(xs: list[float]) -> str:
    q = quartiles(xs)
    return "–" if q is None else f"{q[0] * 1000:,.1f}–{q[1] * 1000:,.1f}"


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def fmt_ratio(x: float | None) -> str:
    return "–" if x is None else f"{x:.1f}×"


def md_table(header: list[str], rows: list[list[str]], align: str) -> str:
    """A Markdown pipe table; align is one char per column: l or r."""
    esc = lambda s: str(s).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(esc(h) for h in header) + " |"]
    lines.append("|" + "|".join("---:" if a == "r" else "---" for a in align) + "|")
    for row in rows:
        lines.append("| " + " | ".join(esc(c) for c in row) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Output checks: a figure only counts if the command did what it should.


def check_ok(r: Run) -> str | None:
    return None if r.rc == 0 else f"exit {r.rc}"


def check_version(r: Run) -> str | None:
    if r.rc != 0:
        return f"exit {r.rc}"
    return None if r.out.startswith(b"exo ") else "no version line"


def check_json_hits(r: Run) -> str | None:
    if r.rc != 0:
        return f"exit {r.rc}"
    try:
        hits = json.loads(r.out)
    except ValueError as e:
        return f"not JSON: {e}"
    if not isinstance(hits, list) or not hits or not all("type" in h and "key" in h for h in hits):
        return "not a non-empty array of hits"
    return None


def check_table(r: Run) -> str | None:
    if r.rc != 0:
        return f"exit {r.rc}"
    text = r.out.decode("utf-8", "replace")
    if "gvhd" not in text.lower():
        return "no gvhd in the table"
    if not any(ch in text for ch in "─━│┃┏┌╭"):
        return "no table drawn (not seen as a terminal?)"
    return None


def check_contains(word: bytes) -> Callable[[Run], str | None]:
    def check(r: Run) -> str | None:
        if r.rc != 0:
            return f"exit {r.rc}"
        return None if word in r.out else f"{word.decode()!r} not in the output"

    return check


def describe_output(name: str, r: Run) -> str:
    """A short word on what a good run printed, for the table."""
    if r.rc != 0:
        return f"exit {r.rc}"
    if name == "search-json":
        return f"{len(json.loads(r.out))} hits"
    if name == "search-table":
        text = r.out.decode("utf-8", "replace")
        colour = "colour" if "\x1b[" in text else "no colour"
        return f"table, {colour}, {text.count(chr(10))} lines"
    if name == "studies-keys":
        return f"{len(r.out.split())} keys"
    if r.out:
        return f"{len(r.out.decode('utf-8', 'replace').splitlines())} line(s)"
    return "no output"


# ---------------------------------------------------------------------------
# The measurements


@dataclass
class Bench:
    name: str
    label: str
    argv: list[str]
    check: Callable[[Run], str | None]
    tty: bool = False
    goal_ratio: float | None = None
    times: list[float] = field(default_factory=list)
    mems: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    detail: str = ""

    def record(self, r: Run, timed: bool) -> None:
        problem = "timed out" if r.timed_out else self.check(r)
        if problem:
            first = (r.err or r.out).decode("utf-8", "replace").strip().splitlines()
            self.errors.append(problem + (f": {first[-1][:120]}" if first else ""))
            return
        if not self.detail:
            self.detail = describe_output(self.name, r)
        if timed:
            self.times.append(r.wall)
        if r.maxrss_mib is not None:
            self.mems.append(r.maxrss_mib)


def child_env(cache_dir: Path, data_path: Path | None = None, tty: bool = False) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in DROP_ENV and not k.startswith("EXO_")}
    env["EXO_CACHE_DIR"] = str(cache_dir)
    if PYCACHE_PREFIX is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE_PREFIX)
    if data_path is not None:
        env["EXO_DATA_PATH"] = str(data_path)
    if tty:
        env.update(TERM="xterm-256color", COLUMNS=str(TTY_COLUMNS), LINES=str(TTY_LINES))
    return env


def cache_files(d: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for p in d.glob("exo-*.sqlite3*"):  # the store (and a journal, if one is left)
        try:
            st = p.stat()
        except OSError:
            continue
        out[p.name] = (st.st_size, st.st_mtime_ns)
    return out


def bundled_benchmarks(python: list[str], exo: str) -> list[Bench]:
    return [
        Bench("floor", "`python -c pass` (floor)", [*python, "-c", "pass"], check_ok),
        Bench("import", '`python -c "import exocli"`', [*python, "-c", "import exocli"], check_ok),
        Bench("version", "`exo --version`", [exo, "--version"], check_version),
        Bench("search-json", "`exo search gvhd --json`, piped", [exo, "search", "gvhd", "--json"],
              check_json_hits, goal_ratio=GOAL_JSON_RATIO),
        Bench("search-table", f"`exo search gvhd` on a terminal ({TTY_COLUMNS} columns)",
              [exo, "search", "gvhd"], check_table, tty=True, goal_ratio=GOAL_TABLE_RATIO),
        Bench("cite", "`exo cite Bruno2009`, piped", [exo, "cite", "Bruno2009"], check_contains(b"Bruno")),
        Bench("studies-keys", "`exo studies --disease gvhd -o keys`, piped",
              [exo, "studies", "--disease", "gvhd", "-o", "keys"], check_ok),
    ]


def measure_bundled(runner: Runner, benches: list[Bench], cache: Path, args) -> dict:
    """Interleaved rounds: warm-ups, timed rounds, then memory rounds."""
    envs = {b.name: child_env(cache, tty=b.tty) for b in benches}
    total = args.warmups + args.runs + (args.mem_runs if runner.mem_prefix else 0)
    before = None
    for rnd in range(total):
        phase = "warm-up" if rnd < args.warmups else "timed" if rnd < args.warmups + args.runs else "memory"
        if rnd == args.warmups:
            before = cache_files(cache)
        log(f"  round {rnd + 1}/{total} ({phase})")
        k = rnd % len(benches)
        for b in benches[k:] + benches[:k]:  # rotate the order each round
            r = runner.run(b.argv, envs[b.name], tty=b.tty, memory=(phase == "memory"))
            b.record(r, timed=(phase == "timed"))
    after = cache_files(cache)
    return {"cache_before": before, "cache_after": after}


# ---------------------------------------------------------------------------
# Synthetic data: generated for this run, or kept and reused under --data-root

GENERATED_HEAD = b"# Synthetic studies for benchmarking exo (benchmarks/generate.py)."


@dataclass
class Data:
    size: int
    folder: Path
    toml_mib: float = 0.0
    gen_s: float | None = None  # None: reused from --data-root
    error: str | None = None


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _stamp(folder: Path) -> Path:
    """What generated a kept folder: a JSON file beside it (exo reads only *.toml inside)."""
    return folder.with_name(folder.name + ".json")


def _why_not_reusable(folder: Path, size: int, seed: int, generator: str) -> str | None:
    try:
        info = json.loads(_stamp(folder).read_text())
        st = (folder / "studies.toml").stat()
    except (OSError, ValueError):
        return "not generated yet"
    if not isinstance(info, dict):
        return "unreadable stamp"
    if info.get("generator_sha256") != generator:
        return "generate.py changed since it was written"
    if (info.get("studies"), info.get("seed")) != (size, seed):
        return "written for another size or seed"
    if (info.get("bytes"), info.get("mtime_ns")) != (st.st_size, st.st_mtime_ns):
        return "studies.toml changed since it was written"
    return None


def _foreign_toml(folder: Path) -> str | None:
    """A reason not to write into folder: it holds TOML that generate.py did not write."""
    for p in sorted(folder.glob("*.toml")):
        if p.name != "studies.toml":
            return f"{p} is not generate.py's (exo would read it too)"
        try:
            with open(p, "rb") as f:
                head = f.read(len(GENERATED_HEAD))
        except OSError as e:
            return f"cannot read {p}: {e.strerror}"
        if head != GENERATED_HEAD:
            return f"{p} was not written by generate.py"
    return None


def prepare_data(size: int, root: Path, args) -> Data:
    """The data folder of `size` studies: reused from --data-root when it is current, else generated."""
    generator = file_sha256(GENERATE)
    if args.data_root is not None:
        folder = args.data_root / f"studies-{size}-seed{args.seed}"
        why = _why_not_reusable(folder, size, args.seed, generator)
        if why is None:
            log(f"size {size:,}: reusing {folder}")
            return Data(size, folder, (folder / "studies.toml").stat().st_size / 2**20)
        log(f"size {size:,}: generating into {folder} ({why})")
        if folder.is_dir():
            foreign = _foreign_toml(folder)
            if foreign:
                return Data(size, folder, error=f"{foreign}; move it away or choose another --data-root")
        try:
            _stamp(folder).unlink(missing_ok=True)  # NOTE: no valid stamp while the file is incomplete
        except OSError as e:
            return Data(size, folder, error=f"cannot replace {_stamp(folder)}: {e.strerror}")
    else:
        folder = root / f"data-{size}"
        log(f"size {size:,}: generating")
    t0 = time.perf_counter()
    g = subprocess.run([sys.executable, str(GENERATE), str(size), str(folder), "--seed", str(args.seed), "-q"],
                       capture_output=True, text=True)
    gen_s = time.perf_counter() - t0
    if g.returncode != 0:
        return Data(size, folder, error=f"generate.py failed: {g.stderr.strip()[-200:]}")
    st = (folder / "studies.toml").stat()
    if args.data_root is not None:
        info = {"studies": size, "seed": args.seed, "generator_sha256": generator,
                "bytes": st.st_size, "mtime_ns": st.st_mtime_ns}
        tmp = _stamp(folder).with_suffix(".json.tmp")
        tmp.write_text(json.dumps(info, indent=1) + "\n")
        os.replace(tmp, _stamp(folder))
    return Data(size, folder, st.st_size / 2**20, gen_s)


def preread(path: Path) -> None:
    """Read a file once, so a cold run finds it in the OS page cache, like a file just written."""
    with open(path, "rb", buffering=0) as f:
        while f.read(1 << 24):
            pass


# ---------------------------------------------------------------------------
# One size: the first run, then the warm queries beside the bundled data alone

SHOWN = re.compile(rb"(\d[\d,]*) of (more than )?(\d[\d,]*) shown")  # exo caps the count of huge matches
PERCENT = re.compile(rb"(\d{1,3})%")


def check_keys(r: Run) -> str | None:
    if r.rc != 0:
        return f"exit {r.rc}"
    return None if r.out.split() else "no keys"


def describe_hits(r: Run, keys: bool, bundled_keys: set[str] | None) -> tuple[str, int | None]:
    """What a good run printed ("20 of 10,001, 19 added") and how many records matched in all
    (None when exo only says "more than N").

    "added": the synthetic studies among those printed (not counted when bundled_keys is None).
    """
    if keys:
        ks = r.out.decode("utf-8", "replace").split()
        if bundled_keys is None:
            return f"{len(ks):,} keys", len(ks)
        return f"{len(ks):,} keys, {sum(k not in bundled_keys for k in ks):,} added", len(ks)
    hits = json.loads(r.out)
    m = SHOWN.search(r.err)
    total = int(m.group(3).replace(b",", b"")) if m else len(hits)
    of = f"{len(hits)} of {'more than ' if m and m.group(2) else ''}{total:,}"
    if m and m.group(2):
        total = None
    if bundled_keys is None:
        return of, total
    added = sum(1 for h in hits if h.get("type") == "study" and h.get("key") not in bundled_keys)
    return f"{of}, {added} added", total


def describe_progress(err: bytes) -> tuple[bool, str]:
    """Whether a terminal's stderr showed a progress line in percent, and what it showed."""
    shares = [int(x) for x in PERCENT.findall(err)]
    if shares:
        return True, f"yes: {len(shares)} updates, {min(shares)}% to {max(shares)}%"
    text = err.decode("utf-8", "replace").replace("\r", "\n")
    lines = [ln for ln in (re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", ln).strip() for ln in text.split("\n"))
             if ln and not SHOWN.search(ln.encode())]  # "20 of 35 shown" is the search's, not progress
    if lines:
        return False, f"no percent; printed {lines[0][:60]!r}"
    return False, "nothing"


@dataclass
class QueryResult:
    query: Query
    big: list[float] = field(default_factory=list)  # with the added studies
    base: list[float] = field(default_factory=list)  # the bundled data alone, same rounds
    big_mem: list[float] = field(default_factory=list)
    base_mem: list[float] = field(default_factory=list)
    big_out: str = ""
    base_out: str = ""
    big_total: int | None = None
    errors: list[str] = field(default_factory=list)

    def record(self, side: str, r: Run, phase: str, bundled_keys: set[str]) -> None:
        problem = "timed out" if r.timed_out else (check_keys if self.query.keys else check_json_hits)(r)
        if problem:
            last = (r.err or r.out).decode("utf-8", "replace").strip().splitlines()
            where = "added" if side == "big" else "bundled alone"
            self.errors.append(f"{where}: {problem}" + (f": {last[-1][:120]}" if last else ""))
            return
        if side == "big" and not self.big_out:
            self.big_out, self.big_total = describe_hits(r, self.query.keys, bundled_keys)
        elif side == "base" and not self.base_out:
            self.base_out = describe_hits(r, self.query.keys, None)[0]
        if phase == "timed":
            (self.big if side == "big" else self.base).append(r.wall)
        elif phase == "memory" and r.maxrss_mib is not None:
            (self.big_mem if side == "big" else self.base_mem).append(r.maxrss_mib)

    def part(self) -> float | None:
        """The size-dependent part: median with the added studies minus median alone."""
        a, b = median(self.big), median(self.base)
        return None if a is None or b is None else a - b

    def noise(self) -> float:
        """How far apart runs of the same command fall: the wider interquartile range, at least 2 ms."""
        spreads = [q[1] - q[0] for q in (quartiles(self.big), quartiles(self.base)) if q]
        return max([0.002, *spreads])


@dataclass
class SizeResult:
    size: int
    data: Data | None = None
    cold: list[float] = field(default_factory=list)
    cold_mem: list[float] = field(default_factory=list)
    progress: list[tuple[bool, str]] = field(default_factory=list)  # per cold run
    cold_out: str = ""
    cache_mib: float | None = None
    queries: list[QueryResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # on the first run
    warm_notes: list[str] = field(default_factory=list)

    def query(self, name: str) -> QueryResult | None:
        return next((q for q in self.queries if q.query.name == name), None)


def measure_size(runner: Runner, size: int, root: Path, exo: str, base_cache: Path,
                 bundled_keys: set[str], args) -> SizeResult:
    res = SizeResult(size)
    res.data = data = prepare_data(size, root, args)
    if data.error:
        res.errors.append(data.error)
        return res
    toml = data.folder / "studies.toml"

    # The first run, on a terminal (stdin and stderr; stdout a pipe, to check
    # the hits) so exo may show its progress, through the memory tool when
    # there is one: a cold run is seconds long, the tool's millisecond does
    # not matter, and the build runs only once per figure.
    big = size >= 100_000
    cold_runs = args.cold_runs_big if big else args.cold_runs
    cache = None
    for i in range(cold_runs):
        if cache is not None:
            shutil.rmtree(cache, ignore_errors=True)
        cache = Path(tempfile.mkdtemp(prefix=f"cache-{size}-", dir=root))
        log(f"size {size:,}: first run {i + 1}/{cold_runs} (empty cache folder)")
        preread(toml)
        r = runner.run([exo, *COLD_ARGS], child_env(cache, data.folder, tty=True), tty_err=True,
                       memory=runner.mem_prefix is not None)
        res.progress.append(describe_progress(r.err))
        problem = "timed out" if r.timed_out else check_json_hits(r)
        if problem:
            last = (r.err or r.out).decode("utf-8", "replace").replace("\r", "\n").strip().splitlines()
            res.errors.append(f"first run: {problem}" + (f": {last[-1][:160]}" if last else ""))
            continue
        res.cold.append(r.wall)
        if r.maxrss_mib is not None:
            res.cold_mem.append(r.maxrss_mib)
        res.cold_out = describe_hits(r, False, bundled_keys)[0]
        if b"warning" in r.err:
            res.notes.append("the first run printed a warning")
    if cache is None or not res.cold:
        return res
    files = cache_files(cache)
    res.cache_mib = sum(sz for sz, _ in files.values()) / 2**20 if files else None
    if not files:
        res.notes.append("no store file was written")

    # The warm queries: each round runs every query (order rotated) with the
    # added studies and on the bundled data alone, alternating which goes first.
    warm_runs = args.warm_runs_big if big else args.runs
    envs = {"big": child_env(cache, data.folder), "base": child_env(base_cache)}
    res.queries = [QueryResult(q) for q in WARM_QUERIES]
    mem_rounds = args.mem_runs if runner.mem_prefix else 0
    total = args.warmups + warm_runs + mem_rounds
    before = None
    for rnd in range(total):
        phase = "warm-up" if rnd < args.warmups else "timed" if rnd < args.warmups + warm_runs else "memory"
        if rnd == args.warmups:
            before = cache_files(cache)
        log(f"size {size:,}: warm round {rnd + 1}/{total} ({phase})")
        k = rnd % len(res.queries)
        for qr in res.queries[k:] + res.queries[:k]:
            for side in (("big", "base") if rnd % 2 == 0 else ("base", "big")):
                r = runner.run([exo, *qr.query.args], envs[side], memory=(phase == "memory"))
                qr.record(side, r, phase, bundled_keys)
    if before is not None and cache_files(cache) != before:
        res.warm_notes.append("the store changed during the warm runs (data or exo changed?)")
    every = res.query("every")
    if every and every.big_total is not None and every.big_total < size:
        res.warm_notes.append(f"`{EVERY_WORD}` matched {every.big_total:,} records, fewer than the {size:,} added studies")
    if not args.keep:
        shutil.rmtree(cache, ignore_errors=True)
        if args.data_root is None:
            shutil.rmtree(data.folder, ignore_errors=True)
    return res


# ---------------------------------------------------------------------------
# Reporting


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("PASS" if ok else "**FAIL**")


def all_ok(oks: list[bool | None]) -> bool | None:
    """False if any is False, None if any is unknown, else True."""
    if any(o is False for o in oks):
        return False
    if not oks or any(o is None for o in oks):
        return None
    return True


def src_stamp(pkg_dir: Path) -> dict[str, int]:
    """Modification times of the package's source files (to notice edits during a run)."""
    out = {}
    for p in sorted(pkg_dir.rglob("*.py")):
        try:
            out[str(p.relative_to(pkg_dir))] = p.stat().st_mtime_ns
        except OSError:
            pass
    return out


def command_text(q: Query) -> str:
    return "`exo " + " ".join(q.args) + "`"


def judged_by(size: int, g: SizeGoal) -> str:
    return "" if size == g.size else f" (judged by the {g.size:,} goal)"


def cold_verdict(s: SizeResult) -> tuple[bool | None, bool | None, bool | None]:
    """(time, memory, progress) against the size's goals; None where there is no goal or figure."""
    g = size_goal(s.size)
    if g is None or not s.cold:
        return None, None, None
    t_ok = median(s.cold) <= g.cold_s
    m_ok = None
    if g.cold_mib is not None and s.cold_mem:
        m_ok = max(s.cold_mem) < g.cold_mib
    p_ok = all(seen for seen, _ in s.progress) if s.size >= PROGRESS_GOAL_SIZE and s.progress else None
    return t_ok, m_ok, p_ok


def query_verdict(s: SizeResult, qr: QueryResult) -> tuple[float | None, bool | None, bool | None]:
    """(ratio to the bundled data alone, time ok, memory ok) against the size's goal."""
    g = size_goal(s.size)
    rat = ratio(median(qr.big), median(qr.base))
    if g is None or qr.errors:
        return rat, (False if qr.errors else None), (False if qr.errors else None)
    t_ok = None if rat is None else rat <= g.warm_ratio
    m_ok = None if not qr.big_mem else max(qr.big_mem) <= g.warm_mib
    return rat, t_ok, m_ok


def growth_pairs(results: list[SizeResult]) -> list[tuple[SizeResult, SizeResult]]:
    ok = [s for s in results if s.queries]
    pairs = list(zip(ok, ok[1:]))
    by_size = {s.size: s for s in ok}
    a, b = GROWTH_GOAL
    if a in by_size and b in by_size and (by_size[a], by_size[b]) not in pairs:
        pairs.append((by_size[a], by_size[b]))
    return pairs


def growth_of(qa: QueryResult, qb: QueryResult, size_ratio: float) -> tuple[float | None, float | None, bool | None, str]:
    """(part at a, growth, ok, note): the size-dependent part's growth, judged against linear.

    When the part at the smaller size is within the noise (its runs'
    interquartile range, at least 2 ms), the noise is the basis instead: the
    larger size must then stay within size_ratio times the noise.
    """
    ea, eb = qa.part(), qb.part()
    if ea is None or eb is None or qa.errors or qb.errors:
        return ea, None, None, ""
    noise = qa.noise()
    basis = max(ea, noise)
    note = ""
    if ea < noise:
        note = f"part at the smaller size within the noise: judged against {ms(noise)} ms"
    return ea, eb / basis, eb <= size_ratio * basis, note


def report(args, ctx: dict, benches: list[Bench], size_results: list[SizeResult], runner: Runner,
           warnings: list[str]) -> tuple[str, list[list[str]]]:
    floor = next(b for b in benches if b.name == "floor")
    floor_med = median(floor.times)
    out: list[str] = []
    started, finished = ctx["started"], ctx["finished"]
    out.append(f"## exo benchmarks, {started:%Y-%m-%d %H:%M %Z}")
    out.append("")
    out.append(f"- exo: `{ctx['exo']}`, {ctx['exo_version']}")
    out.append(f"- interpreter (floor): `{' '.join(ctx['python'])}` (Python {ctx['py_version']}, "
               f"package at `{ctx['pkg_dir']}`)")
    load0, load1 = ctx["loadavg"]
    out.append(f"- machine: {platform.system()} {platform.release()} {platform.machine()}, "
               f"{os.cpu_count()} CPUs; load average {load0[0]:.2f} at start, {load1[0]:.2f} at end")
    out.append(f"- method: medians of fresh processes, {args.runs} timed runs per command "
               f"({args.warm_runs_big} at 100,000 studies and more) after {args.warmups} warm-up rounds, "
               "interleaved round by round; wall time from spawn to reaping, output read to the end; "
               f"peak memory = max RSS over {args.mem_runs} separate run(s) measured with {runner.mem_tool}"
               + (f" (it cannot see below {runner.mem_floor_mib:.1f} MiB)" if runner.mem_floor_mib else ""))
    out.append("- every run has its own fresh EXO_CACHE_DIR, warmed by the warm-up rounds; bytecode: "
               + ("PYTHONPYCACHEPREFIX in the run's temporary folder, compiled during the warm-ups"
                  if PYCACHE_PREFIX else "as found (__pycache__ folders, caller's environment)")
               + f"; took {(finished - started).total_seconds():.0f} s")
    for w in warnings:
        out.append(f"- **warning**: {w}")
    out.append("")

    # Bundled data.
    out.append("### Start-up and the bundled data")
    out.append("")
    rows = []
    goal_rows: list[list[str]] = []
    for b in benches:
        med = median(b.times)
        rat = ratio(med, floor_med)
        ok = None
        goal = ""
        if b.goal_ratio is not None:
            goal = f"≤ {b.goal_ratio:g}× floor"
            ok = (rat is not None and rat <= b.goal_ratio and not b.errors)
            goal_rows.append([f"bundled data, {b.label}: ≤ {b.goal_ratio:g}× `python -c pass`",
                              fmt_ratio(rat) + (f" ({ms(med)} ms)" if med else ""), verdict(ok)])
        what = b.detail
        if b.errors:
            what = f"**{len(b.errors)} failed run(s)**: {b.errors[0]}"
        rows.append([b.label, ms(med), iqr_ms(b.times), fmt_ratio(rat), mib(max(b.mems) if b.mems else None),
                     what, goal, verdict(ok) if goal else ""])
    out.append(md_table(["command", "median ms", "p25–p75 ms", "× floor", "peak MiB", "output", "goal", "result"],
                        rows, "lrrrrlll"))
    out.append("")

    measured = {s.size for s in size_results}
    if size_results:
        # The first run.
        out.append(f"### First run with synthetic studies added (EXO_DATA_PATH): `exo {' '.join(COLD_ARGS)}`, "
                   "empty cache folder, on a terminal")
        out.append("")
        rows = []
        for s in size_results:
            g = size_goal(s.size)
            d = s.data
            if d is None or d.error:
                rows.append([f"{s.size:,}", "–", "–", "–", "–", "–", "–", "–", "–", "–",
                             f"**error**: {s.errors[0] if s.errors else '?'}"])
                continue
            t_ok, m_ok, p_ok = cold_verdict(s)
            res = [f"time {verdict(t_ok)}"]
            if g is not None and g.cold_mib is not None:
                res.append(f"peak {verdict(m_ok)}")
            if s.size >= PROGRESS_GOAL_SIZE:
                res.append(f"progress {verdict(p_ok)}")
            state = s.cold_out
            if s.errors:
                state = f"**{len(s.errors)} error(s)**: {s.errors[0]}"
            if s.notes:
                state += "; " + "; ".join(s.notes)
            prog = "; ".join(dict.fromkeys(p for _, p in s.progress)) or "–"
            rows.append([
                f"{s.size:,}", "reused" if d.gen_s is None else f"generated in {secs(d.gen_s)} s", mib(d.toml_mib),
                f"{secs(median(s.cold))} ({len(s.cold)})",
                "–" if g is None else f"≤ {g.cold_s:g}" + judged_by(s.size, g),
                mib(max(s.cold_mem) if s.cold_mem else None),
                "–" if g is None or g.cold_mib is None else f"< {g.cold_mib:,.0f}",
                mib(s.cache_mib), prog, ", ".join(res) if g is not None else "–", state,
            ])
            if g is not None:
                goal_rows.append([f"first run, {s.size:,} studies: ≤ {g.cold_s:g} s"
                                  + ("" if g.cold_mib is None else f", peak < {g.cold_mib:,.0f} MiB")
                                  + judged_by(s.size, g),
                                  f"{secs(median(s.cold))} s, {mib(max(s.cold_mem) if s.cold_mem else None)} MiB",
                                  verdict(all_ok([t_ok] + ([m_ok] if g.cold_mib is not None else []))
                                          if not s.errors else False)])
            if s.size >= PROGRESS_GOAL_SIZE:
                goal_rows.append([f"first run, {s.size:,} studies: progress in percent on a terminal",
                                  prog, verdict(p_ok)])
        out.append(md_table(["studies", "data", "TOML MiB", "first run s (runs)", "goal s", "peak MiB", "goal MiB",
                             "store MiB", "progress in % on the terminal", "result", "output"],
                            rows, "rlrrlrlrlll"))
        out.append("")
        out.append("The first run builds the store in an empty cache folder (parse, validate, index, write "
                   "the SQLite file). Its stdin and stderr are a terminal (120 columns) and its stdout a "
                   "pipe, so exo may show progress and the hits can be checked. The data file was read "
                   "once just before, so it is in the OS page cache: exo's work, not a cold disk. It runs "
                   "through the memory tool, whose own start (about 1 ms) is in its time.")
        out.append("")

        # The warm queries, one table per size.
        for s in size_results:
            if not s.queries:
                continue
            g = size_goal(s.size)
            out.append(f"### Warm queries with {s.size:,} studies added, beside the bundled data alone")
            out.append("")
            rows = []
            rats, t_oks, m_oks, mems = [], [], [], []
            for qr in s.queries:
                rat, t_ok, m_ok = query_verdict(s, qr)
                peak_big = max(qr.big_mem) if qr.big_mem else None
                peak_base = max(qr.base_mem) if qr.base_mem else None
                rats.append((rat, qr.query.label))
                mems.append((peak_big, qr.query.label))
                t_oks.append(t_ok)
                m_oks.append(m_ok)
                res = "–"
                if g is not None:
                    ok = all_ok([t_ok, m_ok])
                    res = verdict(ok)
                    if ok is False:
                        why = [w for w, o in (("time", t_ok), ("memory", m_ok)) if o is False]
                        res += f" ({', '.join(why) or 'failed runs'})"
                state = qr.big_out
                if qr.errors:
                    state = f"**{len(qr.errors)} failed run(s)**: {qr.errors[0]}"
                rows.append([
                    qr.query.label, command_text(qr.query),
                    ms(median(qr.base)), iqr_ms(qr.base), ms(median(qr.big)), iqr_ms(qr.big),
                    ms(qr.part()), fmt_ratio2(rat), f"{mib(peak_base)} → {mib(peak_big)}",
                    "–" if g is None else f"≤ {g.warm_ratio:g}×, ≤ {g.warm_mib:g} MiB",
                    res, f"{qr.base_out} → {state}",
                ])
            out.append(md_table(["query", "command", "alone ms", "p25–p75", "added ms", "p25–p75",
                                 "size-dependent ms", "× alone", "peak MiB (alone → added)", "goal", "result",
                                 "hits (alone → added)"], rows, "llrrrrrrrlll"))
            out.append("")
            if s.warm_notes:
                out.append("Notes: " + "; ".join(s.warm_notes) + ".")
                out.append("")
            if g is not None:
                known = [r for r in rats if r[0] is not None]
                worst = max(known, default=None)
                goal_rows.append([f"warm queries, {s.size:,} studies: each ≤ {g.warm_ratio:g}× the bundled data alone"
                                  + judged_by(s.size, g),
                                  "–" if worst is None else f"worst {fmt_ratio2(worst[0])} ({worst[1]})",
                                  verdict(all_ok(t_oks))])
                known = [m for m in mems if m[0] is not None]
                worst = max(known, default=None)
                goal_rows.append([f"warm queries, {s.size:,} studies: peak ≤ {g.warm_mib:g} MiB" + judged_by(s.size, g),
                                  "–" if worst is None else f"largest {mib(worst[0])} MiB ({worst[1]})",
                                  verdict(all_ok(m_oks))])
        out.append("*alone*: the same command without EXO_DATA_PATH (the bundled data only), run in the "
                   "same rounds, alternately first and second; *size-dependent* = added − alone, the part "
                   "that grows with the number of studies; *× alone* = added / alone. Hits: what the first "
                   "good run printed, `shown of matched, added studies among those shown`.")
        out.append("")

        # Growth.
        grow_rows = []
        for a, b in growth_pairs(size_results):
            size_ratio = b.size / a.size
            oks, worst = [], None
            for qa in a.queries:
                qb = b.query(qa.query.name)
                if qb is None:
                    continue
                ea, growth, ok, note = growth_of(qa, qb, size_ratio)
                oks.append(ok)
                if growth is not None and (worst is None or growth > worst[0]):
                    worst = (growth, qa.query.label)
                grow_rows.append([f"{a.size:,} → {b.size:,}", qa.query.label, ms(ea), ms(qb.part()),
                                  fmt_ratio2(growth), fmt_ratio2(ratio(median(qb.big), median(qa.big))),
                                  f"≤ {size_ratio:g}× (linear)", verdict(ok), note])
            ca, cb = median(a.cold), median(b.cold)
            grow_rows.append([f"{a.size:,} → {b.size:,}", "first run (whole; it has its own goals)",
                              ms(ca, 0), ms(cb, 0), "", fmt_ratio2(ratio(cb, ca)), "", "–", ""])
            is_goal = (a.size, b.size) == GROWTH_GOAL
            goal_rows.append([f"the size-dependent part grows no worse than linearly, {a.size:,} → {b.size:,}"
                              + ("" if is_goal else f" (the {GROWTH_GOAL[0]:,} → {GROWTH_GOAL[1]:,} rule)"),
                              "–" if worst is None else f"worst {fmt_ratio2(worst[0])} ({worst[1]})",
                              verdict(all_ok(oks))])
        if grow_rows:
            out.append("### Growth with the number of studies")
            out.append("")
            out.append(md_table(["studies", "query", "size-dependent ms, smaller", "size-dependent ms, larger",
                                 "size-dependent ×", "added total ×", "goal", "result", "note"],
                                grow_rows, "llrrrrlll"))
            out.append("")
            out.append("The goal is judged on the size-dependent part (added − alone): the total holds the "
                       "fixed start-up, which would hide a superlinear term. When that part at the smaller "
                       "size is within the noise (its runs' interquartile range, at least 2 ms), the larger "
                       "size's part is judged against the noise instead.")
            out.append("")

    for g in SIZE_GOALS:
        if g.size not in measured:
            goal_rows.append([f"{g.size:,} studies: first run, warm queries, peak memory",
                              f"not measured (sizes: {', '.join(f'{s:,}' for s in sorted(measured)) or 'none'})",
                              "–"])
    if not (set(GROWTH_GOAL) <= measured):
        goal_rows.append([f"growth {GROWTH_GOAL[0]:,} → {GROWTH_GOAL[1]:,} no worse than linear", "not measured", "–"])
    out.append("### Goals (issue 10, item 5)")
    out.append("")
    out.append(md_table(["goal", "measured", "result"], goal_rows, "lrl"))
    return "\n".join(out) + "\n", goal_rows


def fmt_ratio2(x: float | None) -> str:
    """A ratio with two digits: 1.04× (ratios near 1 are the point)."""
    return "–" if x is None else f"{x:.2f}×"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="a fast check: 5 runs, 1 memory run, sizes 1000,10000 (unless given)")
    p.add_argument("--runs", type=int, default=None, help="timed runs per command (default 15; 5 with --quick)")
    p.add_argument("--warmups", type=int, default=2, help="uncounted warm-up rounds")
    p.add_argument("--mem-runs", type=int, default=None, help="memory runs per command (default 3; 1 with --quick)")
    p.add_argument("--sizes", default=None,
                   help="synthetic study counts, comma-separated; empty for none "
                   "(default 100000,1000000; 1000,10000 with --quick)")
    p.add_argument("--data-root", type=Path, default=None,
                   help="keep the generated data folders here (studies-N-seedS/) and reuse them in later runs "
                   "while generate.py, the size and the seed are unchanged; default: generate into the "
                   "temporary folder and remove them")
    p.add_argument("--cold-runs", type=int, default=None,
                   help="first runs below 100,000 studies (default 2; 1 with --quick)")
    p.add_argument("--cold-runs-big", type=int, default=1, help="first runs at 100,000 studies and more")
    p.add_argument("--warm-runs-big", type=int, default=None,
                   help="timed warm rounds at 100,000 studies and more (default: --runs, at most 7)")
    p.add_argument("--seed", type=int, default=20241126, help="seed for generate.py")
    p.add_argument("--exo", help="the exo command (default: the one beside this interpreter, else on PATH)")
    p.add_argument("--python", help="interpreter for the floor (default: the exo script's shebang)")
    p.add_argument("--memory-tool", choices=("auto", "time", "python", "none"), default="auto",
                   help="how to measure peak memory")
    p.add_argument("--bytecode", choices=("prefix", "as-is"), default="prefix",
                   help="prefix: children keep compiled bytecode in the temporary folder "
                   "(PYTHONPYCACHEPREFIX, PYTHONDONTWRITEBYTECODE unset), so every module has an "
                   "up-to-date .pyc after the warm-ups, as in an installed copy, and nothing is written "
                   "into the source tree; as-is: use the caller's environment and __pycache__ folders")
    p.add_argument("--json", metavar="FILE", help="also write every sample as JSON to FILE ('-': stdout, "
                   "and the Markdown goes to stderr)")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (data and caches)")
    args = p.parse_args(argv)
    if args.runs is None:
        args.runs = 5 if args.quick else 15
    if args.warm_runs_big is None:
        args.warm_runs_big = min(args.runs, 7)
    if args.mem_runs is None:
        args.mem_runs = 1 if args.quick else 3
    if args.cold_runs is None:
        args.cold_runs = 1 if args.quick else 2
    if args.sizes is None:
        args.sizes = "1000,10000" if args.quick else "100000,1000000"
    try:
        sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        p.error(f"--sizes: expected numbers like 1000,10000, got {args.sizes!r}")
    if (args.runs < 1 or args.warm_runs_big < 1 or args.warmups < 0 or args.mem_runs < 0
            or args.cold_runs < 1 or args.cold_runs_big < 1 or any(s < 1 for s in sizes)):
        p.error("runs and first runs must be 1 or more, warm-ups and memory runs 0 or more, sizes 1 or more")
    if args.data_root is not None:
        args.data_root = args.data_root.expanduser().absolute()
        try:
            args.data_root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            p.error(f"--data-root: cannot create {args.data_root}: {e.strerror}")

    exo = find_exo(args.exo)
    python = [args.python] if args.python else (interpreter_of(exo) or [sys.executable])
    if args.python is None and interpreter_of(exo) is None:
        log(f"run.py: cannot read the interpreter of {exo}; using {sys.executable} for the floor")

    root = Path(tempfile.mkdtemp(prefix="exo-bench-"))
    global PYCACHE_PREFIX
    PYCACHE_PREFIX = root / "pycache" if args.bytecode == "prefix" else None
    runner = Runner()
    runner.tmpdir = str(root)
    ctx: dict = {"started": dt.datetime.now().astimezone(), "exo": exo, "python": python}
    try:
        info_env = child_env(root / "cache-info")
        vinfo = runner.run([*python, "-c", "import sys, exocli; print(sys.version.split()[0]); "
                            "print(exocli.__file__); print(sys.executable)"], info_env)
        if vinfo.rc != 0:
            sys.exit(f"run.py: {' '.join(python)} cannot import exocli:\n{vinfo.err.decode()}")
        py_version, pkg_file, _ = vinfo.out.decode().split("\n")[:3]
        pkg_dir = Path(pkg_file).parent
        ver = runner.run([str(exo), "--version"], info_env)
        exo_version = ver.out.decode().strip() or f"(exo --version failed: exit {ver.rc})"
        ctx.update(py_version=py_version, pkg_dir=pkg_dir, exo_version=exo_version)
        stamp0 = src_stamp(pkg_dir)
        load0 = os.getloadavg()
        setup_memory_tool(runner, python, args.memory_tool, info_env)
        log(f"exo: {exo} ({exo_version.split(' (')[0]}); interpreter: {' '.join(python)}; "
            f"memory: {runner.mem_tool}")

        # The bundled data.
        cache = root / "cache-bundled"
        cache.mkdir()
        benches = bundled_benchmarks(python, str(exo))
        log(f"bundled data: {args.warmups} warm-up + {args.runs} timed + "
            f"{args.mem_runs if runner.mem_prefix else 0} memory rounds of {len(benches)} commands")
        cache_info = measure_bundled(runner, benches, cache, args)
        keys_run = runner.run([str(exo), "studies", "-o", "keys"], child_env(cache))
        bundled_keys = set(keys_run.out.decode().split())

        # Synthetic sizes.
        size_results = [measure_size(runner, s, root, str(exo), cache, bundled_keys, args) for s in sizes]
        stamp1 = src_stamp(pkg_dir)
        ctx["loadavg"] = (load0, os.getloadavg())
    except KeyboardInterrupt:
        runner.kill()
        log("run.py: interrupted")
        return 130
    finally:
        runner.kill()
        if args.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    ctx["finished"] = dt.datetime.now().astimezone()

    warnings = []
    if stamp0 != stamp1:
        changed = sorted(k for k in set(stamp0) | set(stamp1) if stamp0.get(k) != stamp1.get(k))
        warnings.append("exo's source changed during the run (" + ", ".join(changed)
                        + "): figures may mix two versions")
    if cache_info["cache_before"] != cache_info["cache_after"]:
        warnings.append("the bundled-data store changed during the timed rounds (data or exo changed?)")
    if not cache_info["cache_after"]:
        warnings.append("exo wrote no store file for the bundled data")
    if PYCACHE_PREFIX is None and os.environ.get("PYTHONDONTWRITEBYTECODE"):
        warnings.append("PYTHONDONTWRITEBYTECODE is set and --bytecode as-is: a module without an "
                        "up-to-date .pyc is compiled on every run")
    text, goal_rows = report(args, ctx, benches, size_results, runner, warnings)

    if args.json:
        floor_med = median(next(b for b in benches if b.name == "floor").times)
        data = {
            "started": ctx["started"].isoformat(), "finished": ctx["finished"].isoformat(),
            "exo": str(exo), "exo_version": ctx["exo_version"], "python": python,
            "python_version": ctx["py_version"], "platform": platform.platform(), "cpus": os.cpu_count(),
            "loadavg": ctx["loadavg"], "memory_tool": runner.mem_tool,
            "memory_tool_floor_mib": runner.mem_floor_mib, "runs": args.runs,
            "warm_runs_big": args.warm_runs_big, "warmups": args.warmups, "mem_runs": args.mem_runs,
            "warnings": warnings,
            "commands": [
                {"name": b.name, "argv": b.argv, "tty": b.tty, "times_s": b.times, "median_s": median(b.times),
                 "ratio_to_floor": ratio(median(b.times), floor_med), "peak_mib": max(b.mems) if b.mems else None,
                 "mems_mib": b.mems, "goal_ratio": b.goal_ratio, "errors": b.errors, "output": b.detail}
                for b in benches
            ],
            "sizes": [
                {"studies": s.size,
                 "data": None if s.data is None else {
                     "folder": str(s.data.folder), "toml_mib": s.data.toml_mib, "generate_s": s.data.gen_s,
                     "reused": s.data.gen_s is None and not s.data.error},
                 "first_run": {"times_s": s.cold, "mems_mib": s.cold_mem, "store_mib": s.cache_mib,
                               "progress": [{"percent_seen": seen, "shown": what} for seen, what in s.progress],
                               "output": s.cold_out},
                 "warm": [
                     {"name": qr.query.name, "label": qr.query.label, "args": list(qr.query.args),
                      "added_s": qr.big, "alone_s": qr.base, "added_mems_mib": qr.big_mem,
                      "alone_mems_mib": qr.base_mem, "ratio": ratio(median(qr.big), median(qr.base)),
                      "size_dependent_s": qr.part(), "output_added": qr.big_out, "output_alone": qr.base_out,
                      "errors": qr.errors}
                     for qr in s.queries
                 ],
                 "errors": s.errors, "notes": s.notes, "warm_notes": s.warm_notes}
                for s in size_results
            ],
            "goals": [{"goal": g, "measured": m, "result": v.strip("*")} for g, m, v in goal_rows],
        }
        blob = json.dumps(data, indent=2, default=str) + "\n"
        if args.json == "-":
            sys.stdout.write(blob)
            sys.stderr.write(text)
        else:
            Path(args.json).write_text(blob)
            sys.stdout.write(text)
    else:
        sys.stdout.write(text)
    failed = (any(b.errors for b in benches) or any(s.errors for s in size_results)
              or any(qr.errors for s in size_results for qr in s.queries))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
