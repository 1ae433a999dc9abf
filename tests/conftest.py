"""Shared helpers: run the real CLI, locate the bundled data and the review's text."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from exocli.catalog import bundled_data_dir
from exocli.cli import app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own cache folder, its own (empty) library and no user data path."""
    monkeypatch.setenv("EXO_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("EXO_LIBRARY", str(tmp_path_factory.mktemp("library") / "library"))
    monkeypatch.delenv("EXO_DATA_PATH", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)


class Run:
    def __init__(self, result):
        self.stdout = result.stdout
        self.stderr = result.stderr
        self.code = result.exit_code
        self.exception = result.exception

    def __repr__(self) -> str:
        return f"<exit {self.code}\nstdout:\n{self.stdout[:3000]}\nstderr:\n{self.stderr[:3000]}>"


def exo(*args: str, input: str | None = None, env: dict | None = None) -> Run:
    """Run `exo ARGS` through Typer's CliRunner (stdout is not a terminal)."""
    runner = CliRunner()
    result = runner.invoke(app, list(args), input=input, env=env, catch_exceptions=True)
    run = Run(result)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"exo {' '.join(args)} raised {result.exception!r}\n{run}") from result.exception
    return run


def write(folder: Path, name: str, text: str | bytes) -> Path:
    """A file of a data folder (made if need be), text as UTF-8 or bytes as given."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def data_dir() -> Path:
    return bundled_data_dir()


def seed_path() -> Path:
    """The review's text (a PDF turned into text), kept in tests/data so the
    suite needs nothing outside the repository."""
    return ROOT / "tests" / "data" / "review.txt"


SLOW_FIXTURES = {"big_data", "huge_data", "warm_big"}
SLOW_MODULES = {"test_properties.py", "test_packaging.py"}


def pytest_collection_modifyitems(config, items):
    """Mark the tests that build big data folders or many cases as slow."""
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())) or item.path.name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
