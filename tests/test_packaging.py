"""The installed package carries its data; the README and CI agree."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from exocli import model

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (whl,) = out.glob("exo_msc-*.whl")
    return whl


def test_wheel_contains_every_data_file(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for f in model.DATA_FILES:
        assert f"exocli/data/{f}" in names, names


def test_installed_wheel_works_from_any_folder(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target), "EXO_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("EXO_DATA_PATH", None)
    v = subprocess.run([sys.executable, "-m", "exocli", "validate"], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert v.returncode == 0 and v.stdout == "", v.stderr
    assert v.stderr.startswith("exo: 1 folder OK (") and "114 study" in v.stderr, v.stderr
    assert str(target) in subprocess.run(
        [sys.executable, "-c", "import exocli.catalog as c; print(c.bundled_data_dir())"],
        cwd=elsewhere, env=env, capture_output=True, text=True,
    ).stdout
    s = subprocess.run([sys.executable, "-m", "exocli", "studies", "-o", "keys"], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert s.returncode == 0 and s.stderr == "", s.stderr
    assert len(s.stdout.split()) == 114


def test_readme_quick_start_matches_ci():
    readme = (ROOT / "README.md").read_text("utf-8")
    m = re.search(r"## Quick start\n.*?```(?:sh|bash|console)?\n(.*?)```", readme, re.S)
    assert m, "README needs a Quick start code block"
    commands = [c for c in m.group(1).strip().splitlines() if c.strip() and not c.startswith("#")]
    assert len(commands) == 2
    assert "exo search gvhd" in commands[0]
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert commands[1].strip() in ci
