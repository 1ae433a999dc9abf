"""Success paths that fail loudly: run exo and assert it did what a success does.

`ok` asserts exit code 0 and the stderr a success writes: nothing, unless the
caller says what it is (a filter note, an import summary, a confirmation).
Each failure shows the whole run (exit code, stdout and stderr).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import Run, exo


def ok(*args: str, input: str | None = None, env: dict | None = None, stderr: str = "") -> Run:
    """`exo ARGS`, asserted to exit 0 with exactly ``stderr`` on stderr (empty by default)."""
    r = exo(*args, input=input, env=env)
    assert r.code == 0, r
    assert r.stderr == stderr, r
    return r


def ok_json(*args: str, input: str | None = None, env: dict | None = None, stderr: str = ""):
    """`ok(ARGS)` with its stdout read as JSON."""
    r = ok(*args, input=input, env=env, stderr=stderr)
    try:
        return json.loads(r.stdout)
    except ValueError as e:
        raise AssertionError(f"stdout is not JSON ({e})\n{r!r}") from e


def validated(*folders: Path | str) -> Run:
    """`exo validate FOLDERS` passes: exit 0, nothing on stdout, its verdict on stderr."""
    r = exo("validate", *map(str, folders))
    assert r.code == 0, r
    assert r.stdout == "" and re.fullmatch(r"exo: \d+ folders? OK \(.*\)\n", r.stderr), r
    return r
