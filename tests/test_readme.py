"""Every `$ exo ...` example in the README prints what the README shows."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def examples() -> list[tuple[str, str]]:
    out = []
    for block in re.findall(r"```console\n(.*?)```", README.read_text("utf-8"), re.S):
        command, lines = None, []
        for line in block.splitlines():
            if line.startswith("$ "):
                if command:
                    out.append((command, "\n".join(lines)))
                command, lines = line[2:], []
            else:
                lines.append(line)
        if command:
            out.append((command, "\n".join(lines)))
    return out


EXAMPLES = examples()


def test_the_readme_has_examples():
    assert len(EXAMPLES) >= 15


@pytest.mark.parametrize("command, expected", EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_example(command, expected, tmp_path):
    if "jq" in command and shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    if re.search(r"(?<![0-9&-])>\s*(?!&|/dev/null)\S", command):
        command = re.split(r"(?<![0-9&-])>", command)[0]  # an example that writes a file: run it, compare nothing
        expected = None
    env = {**os.environ, "EXO_CACHE_DIR": str(tmp_path / "cache"), "PY": sys.executable}
    env.pop("EXO_DATA_PATH", None)
    script = 'exo() { "$PY" -m exocli "$@"; }\n' + command + "\n"
    # NOTE: from the checkout, so examples can name the sample folders in tests/data.
    r = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, cwd=Path(__file__).parent.parent)
    assert r.returncode == 0 or "echo $?" in command, (command, r.stderr)
    if expected is not None:
        got = (r.stderr + r.stdout).rstrip("\n")
        assert [line.rstrip() for line in got.splitlines()] == [line.rstrip() for line in expected.splitlines()]
