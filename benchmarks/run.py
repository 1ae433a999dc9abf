#!/usr/bin/env python3
"""Measure exo against its floor, side by side in one run (SPEC section 5).

    python benchmarks/run.py            # full run: 15 runs each, 1k/10k/100k studies
    python benchmarks/run.py --quick    # a fast check: 5 runs, 1k/10k studies
    python benchmarks/run.py --json results.json

Prints Markdown tables on stdout (progress goes to stderr):

1. Start-up and the bundled data: median wall time and peak memory of
   ``python -c pass`` (the floor, run by the interpreter of the ``exo``
   script), ``python -c "import exocli"``, ``exo --version``, ``exo search
   gvhd --json`` (piped), ``exo search gvhd`` drawn on a pseudo-terminal,
   ``exo cite Bruno2009`` and ``exo studies --disease gvhd -o keys``, each
   with its ratio to the floor and the SPEC's goals marked PASS/FAIL.
2. Synthetic data folders (benchmarks/generate.py) added through
   EXO_DATA_PATH: cold (empty cache) and warm ``exo search gvhd --json``,
   peak memory, and how the warm cost grows with the number of studies.

How things are measured (see README.md in this folder):

- Every command is a fresh process started with posix_spawn; wall time is
  taken from just before the spawn to the reaping of the child, including
  reading all of its output (as a consumer such as jq would). Commands are
  interleaved round by round, so a slow moment of the machine hits all of
  them alike, after warm-up rounds that are not counted.
- Peak memory (max RSS) is measured in separate runs through GNU time
  (``/usr/bin/time -f %M``) when it is there, else through a tiny Python
  launcher. A child started directly from this script would report this
  script's own memory: on Linux a spawned child inherits its parent's RSS
  high-water mark across exec, so os.wait4's ru_maxrss cannot be trusted.
- Each run uses fresh cache folders (EXO_CACHE_DIR) inside one temporary
  folder, removed at the end; nothing is written anywhere else.

Standard library only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import json
import os
import platform
import re
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
GENERATE = HERE / "generate.py"

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

# The SPEC's goals (section 5).
GOAL_JSON_RATIO = 8.0
GOAL_TABLE_RATIO = 10.0
GOAL_BIG_SIZE = 100_000
GOAL_BIG_WARM_S = 0.5
GOAL_BIG_MIB = 300.0


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

    def run(self, argv: list[str], env: dict, *, tty: bool = False, memory: bool = False,
            timeout: float = RUN_TIMEOUT) -> Run:
        memfile = None
        if memory:
            if self.mem_prefix is None:
                raise RuntimeError("no memory tool")
            fd, memfile = tempfile.mkstemp(prefix="rss-", dir=self.tmpdir)
            os.close(fd)
            argv = self.mem_prefix(memfile) + argv
        try:
            r = self._run_tty(argv, env, timeout) if tty else self._run_pipe(argv, env, timeout)
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

    def _run_pipe(self, argv: list[str], env: dict, timeout: float) -> Run:
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        bufs: dict[int, list[bytes]] = {out_r: [], err_r: []}
        timed_out = False
        try:
            t0 = time.perf_counter()
            self.pid = pid = self._spawn(argv, env, (self.devnull, out_w, err_w))
            os.close(out_w)
            os.close(err_w)
            out_w = err_w = -1
            poller = select.poll()
            for fd in bufs:
                poller.register(fd, select.POLLIN)
            open_fds = set(bufs)
            deadline = t0 + timeout
            while open_fds:
                left = deadline - time.perf_counter()
                if left <= 0:
                    timed_out = True
                    self.kill()
                    break
                for fd, _ in poller.poll(left * 1000):
                    chunk = os.read(fd, 1 << 16)
                    if chunk:
                        bufs[fd].append(chunk)
                    else:
                        poller.unregister(fd)
                        open_fds.discard(fd)
            status = self._reap(pid) if not timed_out else 9
            t1 = time.perf_counter()
        finally:
            for fd in (out_r, err_r, out_w, err_w):
                if fd >= 0:
                    os.close(fd)
        rc = _exit_code(status) if not timed_out else -1
        return Run(t1 - t0, rc, b"".join(bufs[out_r]), b"".join(bufs[err_r]), timed_out=timed_out)

    def _run_tty(self, argv: list[str], env: dict, timeout: float) -> Run:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", TTY_LINES, TTY_COLUMNS, 0, 0))
        chunks: list[bytes] = []
        timed_out = False
        try:
            t0 = time.perf_counter()
            self.pid = pid = self._spawn(argv, env, (slave, slave, slave))
            os.close(slave)
            slave = -1
            deadline = t0 + timeout
            while True:
                left = deadline - time.perf_counter()
                if left <= 0:
                    timed_out = True
                    self.kill()
                    break
                ready, _, _ = select.select([master], [], [], left)
                if not ready:
                    continue
                try:
                    chunk = os.read(master, 1 << 16)
                except OSError:  # EIO: every slave end is closed, the child is gone
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            status = self._reap(pid) if not timed_out else 9
            t1 = time.perf_counter()
        finally:
            os.close(master)
            if slave >= 0:
                os.close(slave)
        rc = _exit_code(status) if not timed_out else -1
        return Run(t1 - t0, rc, b"".join(chunks), b"", timed_out=timed_out)


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
    for p in d.glob("catalog-*"):
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


@dataclass
class SizeResult:
    size: int
    toml_mib: float = 0.0
    gen_s: float | None = None
    cold: list[float] = field(default_factory=list)
    cold_mem: list[float] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)
    warm_mem: list[float] = field(default_factory=list)
    base: list[float] = field(default_factory=list)  # bundled-only search, same rounds
    cache_mib: float | None = None
    hits: str = ""
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def measure_size(runner: Runner, size: int, root: Path, exo: str, base_cache: Path,
                 bundled_keys: set[str], args) -> SizeResult:
    res = SizeResult(size)
    data = root / f"data-{size}"
    argv = [exo, "search", "gvhd", "--json"]
    log(f"size {size:,}: generating")
    t0 = time.perf_counter()
    g = subprocess.run([sys.executable, str(GENERATE), str(size), str(data), "--seed", str(args.seed), "-q"],
                       capture_output=True, text=True)
    res.gen_s = time.perf_counter() - t0
    if g.returncode != 0:
        res.errors.append(f"generate.py failed: {g.stderr.strip()[-200:]}")
        return res
    res.toml_mib = (data / "studies.toml").stat().st_size / 2**20

    def check(r: Run, what: str) -> bool:
        problem = "timed out" if r.timed_out else check_json_hits(r)
        if problem:
            first = (r.err or r.out).decode("utf-8", "replace").strip().splitlines()
            res.errors.append(f"{what}: {problem}" + (f": {first[-1][:160]}" if first else ""))
            return False
        return True

    cold_runs = args.cold_runs if size < 100_000 else args.cold_runs_big
    warm_runs = args.runs if size < 100_000 else args.warm_runs_big
    cache = None
    for i in range(cold_runs):
        cache = Path(tempfile.mkdtemp(prefix=f"cache-{size}-", dir=root))
        log(f"size {size:,}: cold run {i + 1}/{cold_runs}")
        # Through the memory tool when there is one: a cold run is seconds long,
        # so the tool's millisecond of overhead does not matter, and the parse
        # is run only once per figure.
        r = runner.run(argv, child_env(cache, data), memory=runner.mem_prefix is not None)
        if check(r, "cold"):
            res.cold.append(r.wall)
            if r.maxrss_mib is not None:
                res.cold_mem.append(r.maxrss_mib)
            hits = json.loads(r.out)
            synthetic = [h for h in hits if h["type"] == "study" and h["key"] not in bundled_keys]
            res.hits = f"{len(hits)} ({len(synthetic)} synthetic)"
        files = cache_files(cache)
        if not files:
            res.notes.append("no cache file was written")
        if i < cold_runs - 1:
            shutil.rmtree(cache, ignore_errors=True)
    if cache is None:
        return res
    files = cache_files(cache)
    res.cache_mib = sum(s for s, _ in files.values()) / 2**20 if files else None
    env = child_env(cache, data)
    base_env = child_env(base_cache)
    total = args.warmups + warm_runs + (args.mem_runs if runner.mem_prefix else 0)
    before = None
    for rnd in range(total):
        phase = "warm-up" if rnd < args.warmups else "timed" if rnd < args.warmups + warm_runs else "memory"
        if rnd == args.warmups:
            before = cache_files(cache)
        log(f"size {size:,}: warm round {rnd + 1}/{total} ({phase})")
        pair = [("big", env), ("base", base_env)]
        if rnd % 2:
            pair.reverse()
        for which, e in pair:
            if which == "base" and phase == "memory":
                continue
            r = runner.run(argv, e, memory=(phase == "memory"))
            if not check(r, "warm" if which == "big" else "bundled-only"):
                continue
            if which == "big":
                if phase == "timed":
                    res.warm.append(r.wall)
                elif phase == "memory" and r.maxrss_mib is not None:
                    res.warm_mem.append(r.maxrss_mib)
            elif phase == "timed":
                res.base.append(r.wall)
    if before is not None and cache_files(cache) != before:
        res.notes.append("the cache changed during the warm runs (data or exo changed?)")
    if not args.keep:
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
    return res


# ---------------------------------------------------------------------------
# Reporting


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("PASS" if ok else "**FAIL**")


def src_stamp(pkg_dir: Path) -> dict[str, int]:
    """Modification times of the package's source files (to notice edits during a run)."""
    out = {}
    for p in sorted(pkg_dir.rglob("*.py")):
        try:
            out[str(p.relative_to(pkg_dir))] = p.stat().st_mtime_ns
        except OSError:
            pass
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="a fast check: 5 runs, 1 memory run, sizes 1000,10000 (unless given)")
    p.add_argument("--runs", type=int, default=None, help="timed runs per command (default 15; 5 with --quick)")
    p.add_argument("--warmups", type=int, default=2, help="uncounted warm-up rounds")
    p.add_argument("--mem-runs", type=int, default=None, help="memory runs per command (default 3; 1 with --quick)")
    p.add_argument("--sizes", default=None,
                   help="synthetic study counts, comma-separated; empty for none (default 1000,10000,100000)")
    p.add_argument("--cold-runs", type=int, default=None, help="cold runs below 100,000 studies (default 2; 1 with --quick)")
    p.add_argument("--cold-runs-big", type=int, default=1, help="cold runs at 100,000 studies and more")
    p.add_argument("--warm-runs-big", type=int, default=7, help="timed warm runs at 100,000 studies and more")
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
    if args.mem_runs is None:
        args.mem_runs = 1 if args.quick else 3
    if args.cold_runs is None:
        args.cold_runs = 1 if args.quick else 2
    if args.sizes is None:
        args.sizes = "1000,10000" if args.quick else "1000,10000,100000"
    try:
        sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        p.error(f"--sizes: expected numbers like 1000,10000, got {args.sizes!r}")
    if args.runs < 1 or args.warmups < 0 or args.mem_runs < 0 or any(s < 1 for s in sizes):
        p.error("runs must be 1 or more, warm-ups, memory runs 0 or more, sizes 1 or more")

    exo = find_exo(args.exo)
    python = [args.python] if args.python else (interpreter_of(exo) or [sys.executable])
    if args.python is None and interpreter_of(exo) is None:
        log(f"run.py: cannot read the interpreter of {exo}; using {sys.executable} for the floor")

    root = Path(tempfile.mkdtemp(prefix="exo-bench-"))
    global PYCACHE_PREFIX
    PYCACHE_PREFIX = root / "pycache" if args.bytecode == "prefix" else None
    runner = Runner()
    runner.tmpdir = str(root)
    started = dt.datetime.now().astimezone()
    try:
        info_env = child_env(root / "cache-info")
        vinfo = runner.run([*python, "-c", "import sys, exocli; print(sys.version.split()[0]); "
                            "print(exocli.__file__); print(sys.executable)"], info_env)
        if vinfo.rc != 0:
            sys.exit(f"run.py: {' '.join(python)} cannot import exocli:\n{vinfo.err.decode()}")
        py_version, pkg_file, py_exe = vinfo.out.decode().split("\n")[:3]
        pkg_dir = Path(pkg_file).parent
        ver = runner.run([str(exo), "--version"], info_env)
        exo_version = ver.out.decode().strip() or f"(exo --version failed: exit {ver.rc})"
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
        load1 = os.getloadavg()
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
    finished = dt.datetime.now().astimezone()

    # ---- report -----------------------------------------------------------
    floor = next(b for b in benches if b.name == "floor")
    floor_med = median(floor.times)
    out: list[str] = []
    out.append(f"## exo benchmarks, {started:%Y-%m-%d %H:%M %Z}")
    out.append("")
    out.append(f"- exo: `{exo}`, {exo_version}")
    out.append(f"- interpreter (floor): `{' '.join(python)}` (Python {py_version}, package at `{pkg_dir}`)")
    out.append(f"- machine: {platform.system()} {platform.release()} {platform.machine()}, "
               f"{os.cpu_count()} CPUs; load average {load0[0]:.2f} at start, {load1[0]:.2f} at end")
    out.append(f"- method: {args.runs} timed runs per command after {args.warmups} warm-up rounds, "
               "interleaved round by round; wall time from spawn to reaping, output read to the end; "
               f"peak memory = max RSS over {args.mem_runs} separate run(s) measured with {runner.mem_tool}"
               + (f" (it cannot see below {runner.mem_floor_mib:.1f} MiB)" if runner.mem_floor_mib else ""))
    out.append("- every run has its own fresh EXO_CACHE_DIR, warmed by the warm-up rounds; bytecode: "
               + ("PYTHONPYCACHEPREFIX in the run's temporary folder, compiled during the warm-ups"
                  if PYCACHE_PREFIX else "as found (__pycache__ folders, caller's environment)")
               + f"; took {(finished - started).total_seconds():.0f} s")
    warnings = []
    if stamp0 != stamp1:
        changed = sorted(k for k in set(stamp0) | set(stamp1) if stamp0.get(k) != stamp1.get(k))
        warnings.append("exo's source changed during the run (" + ", ".join(changed)
                        + "): figures may mix two versions")
    if cache_info["cache_before"] != cache_info["cache_after"]:
        warnings.append("the bundled-data cache changed during the timed rounds (data or exo changed?)")
    if not cache_info["cache_after"]:
        warnings.append("exo wrote no cache file for the bundled data")
    if PYCACHE_PREFIX is None and os.environ.get("PYTHONDONTWRITEBYTECODE"):
        warnings.append("PYTHONDONTWRITEBYTECODE is set and --bytecode as-is: a module without an "
                        "up-to-date .pyc is compiled on every run")
    for w in warnings:
        out.append(f"- **warning**: {w}")
    out.append("")
    out.append("### Start-up and the bundled data")
    out.append("")
    rows = []
    goal_rows = []
    for b in benches:
        med = median(b.times)
        rat = ratio(med, floor_med)
        ok = None
        goal = ""
        if b.goal_ratio is not None:
            goal = f"≤ {b.goal_ratio:g}× floor"
            ok = (rat is not None and rat <= b.goal_ratio and not b.errors)
            goal_rows.append([f"{b.label}: ≤ {b.goal_ratio:g}× `python -c pass`",
                              fmt_ratio(rat) + (f" ({ms(med)} ms)" if med else ""), verdict(ok)])
        what = b.detail
        if b.errors:
            what = f"**{len(b.errors)} failed run(s)**: {b.errors[0]}"
        rows.append([b.label, ms(med), iqr_ms(b.times), fmt_ratio(rat), mib(max(b.mems) if b.mems else None),
                     what, goal, verdict(ok) if goal else ""])
    out.append(md_table(["command", "median ms", "p25–p75 ms", "× floor", "peak MiB", "output", "goal", "result"],
                        rows, "lrrrrlll"))
    out.append("")

    big = None
    if size_results:
        out.append("### Synthetic studies added through EXO_DATA_PATH: `exo search gvhd --json`, piped")
        out.append("")
        rows = []
        for s in size_results:
            wmed, bmed = median(s.warm), median(s.base)
            extra = None if wmed is None or bmed is None else wmed - bmed
            state = s.hits
            if s.errors:
                state = f"**{len(s.errors)} error(s)**: {s.errors[0]}"
            if s.notes:
                state += "; " + "; ".join(s.notes)
            rows.append([
                f"{s.size:,}", mib(s.toml_mib), secs(s.gen_s),
                f"{secs(median(s.cold))} ({len(s.cold)})", mib(max(s.cold_mem) if s.cold_mem else None),
                mib(s.cache_mib),
                f"{ms(wmed)} ({len(s.warm)})", iqr_ms(s.warm), ms(bmed), ms(extra),
                fmt_ratio(ratio(wmed, floor_med)), mib(max(s.warm_mem) if s.warm_mem else None), state,
            ])
        out.append(md_table(
            ["studies", "TOML MiB", "generate s", "cold s (runs)", "cold peak MiB", "cache MiB",
             "warm ms (runs)", "warm p25–p75 ms", "bundled only ms", "size-dependent ms", "warm × floor",
             "warm peak MiB", "hits"],
            rows, "rrrrrrrrrrrrl"))
        out.append("")
        out.append("*cold*: empty cache, so exo parses every TOML file, validates and writes its cache. "
                   "*warm*: the cache is there. *bundled only*: the same search without EXO_DATA_PATH, "
                   "run in the same rounds; *size-dependent* = warm − bundled only, the part that grows "
                   "with the number of studies. Cold runs go through the memory tool, whose own start "
                   "(about 1 ms for GNU time, 10 ms for the Python launcher) is in their time.")
        out.append("")

        # Growth between consecutive sizes (and 10,000 -> 100,000 if not adjacent).
        pairs = list(zip(size_results, size_results[1:]))
        by_size = {s.size: s for s in size_results}
        if 10_000 in by_size and GOAL_BIG_SIZE in by_size and (by_size[10_000], by_size[GOAL_BIG_SIZE]) not in pairs:
            pairs.append((by_size[10_000], by_size[GOAL_BIG_SIZE]))
        grow_rows = []
        for a, b2 in pairs:
            wa, wb = median(a.warm), median(b2.warm)
            ba, bb = median(a.base), median(b2.base)
            raw = ratio(wb, wa)
            marg = None
            noisy = False
            if None not in (wa, wb, ba, bb):
                ea, eb = wa - ba, wb - bb
                qa = quartiles(a.warm)
                spread = (qa[1] - qa[0]) if qa else 0.0
                if ea > 0:
                    marg = eb / ea
                # The size-dependent part at the smaller size must stand out of
                # the noise (its runs' interquartile range, and 2 ms) to divide by it.
                noisy = ea <= max(spread, 0.002)
            size_ratio = b2.size / a.size
            ok = None if marg is None or noisy else marg <= size_ratio
            note = ""
            if noisy:
                note = (f"the size-dependent part at {a.size:,} ({ms(None if wa is None or ba is None else wa - ba)}"
                        " ms) is within the noise: no verdict")
            grow_rows.append([f"{a.size:,} → {b2.size:,}", f"{size_ratio:g}×", fmt_ratio(raw),
                              fmt_ratio(marg), f"≤ {size_ratio:g}× (linear)", verdict(ok), note])
            if a.size == 10_000 and b2.size == GOAL_BIG_SIZE:
                goal_rows.append(["warm search cost grows no worse than linearly, 10,000 → 100,000",
                                  f"size-dependent part {fmt_ratio(marg)}, total {fmt_ratio(raw)}",
                                  verdict(ok) + (" (within noise)" if noisy else "")])
        if grow_rows:
            out.append("Growth of the warm search with the number of studies:")
            out.append("")
            out.append(md_table(["studies", "size ×", "warm time ×", "size-dependent part ×", "goal", "result",
                                 "note"], grow_rows, "lrrrlll"))
            out.append("")
        big = next((s for s in size_results if s.size == GOAL_BIG_SIZE), None)

    if big is not None:
        wmed = median(big.warm)
        wmem = max(big.warm_mem) if big.warm_mem else None
        ok_t = None if wmed is None or big.errors else wmed < GOAL_BIG_WARM_S
        ok_m = None if wmem is None or big.errors else wmem < GOAL_BIG_MIB
        goal_rows.append([f"warm search at {GOAL_BIG_SIZE:,} studies < {GOAL_BIG_WARM_S} s",
                          f"{ms(wmed)} ms", verdict(ok_t)])
        goal_rows.append([f"peak memory of that search < {GOAL_BIG_MIB:g} MiB", f"{mib(wmem)} MiB", verdict(ok_m)])
    else:
        goal_rows.append([f"warm search and memory at {GOAL_BIG_SIZE:,} studies; growth 10,000 → 100,000",
                          f"not measured (sizes: {', '.join(f'{s:,}' for s in sizes) or 'none'})", "–"])
    out.append("### Goals (SPEC section 5)")
    out.append("")
    out.append(md_table(["goal", "measured", "result"], goal_rows, "lrl"))
    report = "\n".join(out) + "\n"

    if args.json:
        data = {
            "started": started.isoformat(), "finished": finished.isoformat(),
            "exo": str(exo), "exo_version": exo_version, "python": python, "python_version": py_version,
            "platform": platform.platform(), "cpus": os.cpu_count(), "loadavg": [load0, load1],
            "memory_tool": runner.mem_tool, "memory_tool_floor_mib": runner.mem_floor_mib,
            "runs": args.runs, "warmups": args.warmups, "mem_runs": args.mem_runs, "warnings": warnings,
            "commands": [
                {"name": b.name, "argv": b.argv, "tty": b.tty, "times_s": b.times, "median_s": median(b.times),
                 "ratio_to_floor": ratio(median(b.times), floor_med), "peak_mib": max(b.mems) if b.mems else None,
                 "mems_mib": b.mems, "goal_ratio": b.goal_ratio, "errors": b.errors, "output": b.detail}
                for b in benches
            ],
            "sizes": [
                {"studies": s.size, "toml_mib": s.toml_mib, "generate_s": s.gen_s, "cold_s": s.cold,
                 "cold_mems_mib": s.cold_mem, "warm_s": s.warm, "warm_mems_mib": s.warm_mem,
                 "bundled_only_s": s.base, "cache_mib": s.cache_mib, "hits": s.hits,
                 "errors": s.errors, "notes": s.notes}
                for s in size_results
            ],
            "goals": [{"goal": g, "measured": m, "result": v.strip("*")} for g, m, v in goal_rows],
        }
        text = json.dumps(data, indent=2) + "\n"
        if args.json == "-":
            sys.stdout.write(text)
            sys.stderr.write(report)
        else:
            Path(args.json).write_text(text)
            sys.stdout.write(report)
    else:
        sys.stdout.write(report)
    failed = any(b.errors for b in benches) or any(s.errors for s in size_results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
