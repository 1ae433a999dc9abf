"""Every `$ exo ...` example in the README prints what the README shows.

Each ```console block runs in a folder and home of its own (so a library of
its own), after the earlier blocks of its README section (a `## ` heading):
`exo import` in one block is seen by `exo tag` in the next. The files of
docs/examples are copied into that folder first.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
EXAMPLE_FILES = ROOT / "docs" / "examples"


def blocks() -> list[tuple[list[str], list[tuple[str, str]]]]:
    """Each ```console block: the commands of the earlier blocks of its
    section (run first, unchecked) and its own commands with their output."""
    out = []
    for section in re.split(r"(?m)^## ", README.read_text("utf-8")):
        before: list[str] = []
        for block in re.findall(r"```console\n(.*?)```", section, re.S):
            commands = _commands(block)
            out.append((list(before), commands))
            before += [c for c, _ in commands]
    return out


def _commands(block: str) -> list[tuple[str, str]]:
    commands: list[tuple[str, str]] = []
    command, lines = None, []
    for line in block.splitlines():
        if line.startswith("$ "):
            if command:
                commands.append((command, "\n".join(lines)))
            command, lines = line[2:], []
        else:
            lines.append(line)
    if command:
        commands.append((command, "\n".join(lines)))
    return commands


BLOCKS = blocks()


def test_the_readme_has_examples():
    assert sum(len(b) for _, b in BLOCKS) >= 15


@pytest.mark.parametrize("before, block", BLOCKS, ids=[b[0][0] for _, b in BLOCKS])
def test_readme_example(before, block, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    shutil.copytree(EXAMPLE_FILES, work)
    env = {**os.environ, "EXO_CACHE_DIR": str(tmp_path / "cache"), "PY": sys.executable, "HOME": str(home)}
    for name in ("EXO_DATA_PATH", "EXO_LIBRARY", "XDG_DATA_HOME", "BROWSER"):
        env.pop(name, None)
    for command in before:
        _run(command.split(">")[0] if ">" in command.replace("->", "") else command, env, work)
    for command, expected in block:
        if "jq" in command and shutil.which("jq") is None:
            pytest.skip("jq is not installed")
        if ">" in command.replace("->", ""):
            command = command.split(">")[0]  # an example that writes a file: run it, compare nothing
            expected = None
        r = _run(command, env, work)
        assert r.returncode == 0 or "echo $?" in command or "echo \"exit $?\"" in command, (command, r.stderr)
        if expected is not None:
            got = (r.stderr + r.stdout).rstrip("\n")
            assert [line.rstrip() for line in got.splitlines()] == [line.rstrip() for line in expected.splitlines()], command


def _run(command: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    script = 'exo() { "$PY" -m exocli "$@"; }\n' + command + "\n"
    return subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, cwd=cwd)
