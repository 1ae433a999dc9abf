"""Every `$ exo ...` example in the README prints what the README shows.

Each ```console block runs from the checkout (so examples can name the
sample files in tests/data) with a home of its own (so a library of its
own), after the earlier blocks of its README section (a `## ` heading):
`exo import` in one block is seen by `exo tag` in the next.
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
    env = {**os.environ, "EXO_CACHE_DIR": str(tmp_path / "cache"), "PY": sys.executable, "HOME": str(home)}
    for name in ("EXO_DATA_PATH", "EXO_LIBRARY", "XDG_DATA_HOME", "BROWSER"):
        env.pop(name, None)
    for command in before:
        _run(_without_redirect(command)[0], env)
    for command, expected in block:
        if "jq" in command and shutil.which("jq") is None:
            pytest.skip("jq is not installed")
        command, redirected = _without_redirect(command)
        if redirected:
            expected = None  # an example that writes a file: run it, compare nothing
        r = _run(command, env)
        assert r.returncode == 0 or "echo $?" in command or 'echo "exit $?"' in command, (command, r.stderr)
        if expected is not None:
            got = (r.stderr + r.stdout).rstrip("\n")
            assert [line.rstrip() for line in got.splitlines()] == [line.rstrip() for line in expected.splitlines()], command


def _without_redirect(command: str) -> tuple[str, bool]:
    if re.search(r"(?<![0-9&-])>\s*(?!&|/dev/null)\S", command):
        return re.split(r"(?<![0-9&-])>", command)[0], True
    return command, False


def _run(command: str, env: dict) -> subprocess.CompletedProcess:
    script = 'exo() { "$PY" -m exocli "$@"; }\n' + command + "\n"
    # NOTE: from the checkout, so examples can name the sample files in tests/data.
    return subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, cwd=ROOT)
