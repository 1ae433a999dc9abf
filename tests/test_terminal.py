"""Terminal rendering on a real pseudo-terminal: tables, colour, widths, no cut text."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

from terminal import drain_all, open_pty, run_command, run_on_pty, visible


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EXO_CACHE_DIR", str(tmp_path / "cache"))


def words_of(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9]+", text)


@pytest.mark.parametrize("columns", [80, 160])
@pytest.mark.parametrize(
    "args",
    [["search", "gvhd"], ["studies", "--disease", "gvhd"], ["companies"], ["show", "Fujii2018"], ["show", "gvhd"], ["map"], ["stats"], ["diseases"], ["terms"]],
)
def test_nothing_overflows_or_is_cut(args, columns):
    code, out = run_on_pty(args, columns)
    assert code == 0, out
    text = visible(out)
    assert text.strip(), out
    for line in text.splitlines():
        assert len(line) <= columns, (len(line), line)
    assert "Traceback" not in text


@pytest.mark.parametrize("columns", [80, 160])
def test_long_titles_wrap_whole(columns):
    code, out = run_on_pty(["studies", "--disease", "gvhd"], columns)
    assert code == 0, out
    flat = " ".join(words_of(visible(out)))
    title = "Graft versus host disease amelioration by human bone marrow mesenchymal stromal stem cell derived extracellular vesicles is associated with peripheral preservation of naive T cell populations"
    # Every word of the longest title reaches the screen, in order (wrapped, never cut).
    pos = 0
    for w in words_of(title):
        pos = flat.find(w, pos)
        assert pos >= 0, w


def test_table_has_colour_and_box_drawing_on_a_terminal():
    code, out = run_on_pty(["search", "gvhd"], 120)
    assert code == 0, out
    assert "\x1b[" in out
    assert "─" in out


def test_no_color_env_and_flag():
    for env, args in (({"NO_COLOR": "1"}, ["search", "gvhd"]), ({}, ["search", "gvhd", "--no-color"])):
        code, out = run_on_pty(args, 120, env)
        assert code == 0, out
        assert "Kordelas2014" in out and "─" in out, out  # the table, drawn without colour
        assert not re.search(r"\x1b\[[0-9;]*m", out), args


def test_piped_format_can_still_be_forced_on_a_terminal():
    code, out = run_on_pty(["studies", "--disease", "gvhd", "-o", "keys"], 80)
    assert code == 0, out
    assert visible(out).split() == ["Fujii2018", "Huang2017", "Kordelas2014", "Lai2018"]


def test_citations_wrap_on_a_terminal_without_breaking_words():
    code, out = run_on_pty(["cite", "Bruno2009", "--style", "apa"], 80)
    text = visible(out)
    assert code == 0, text
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "https://doi.org/10.1681/asn.2008070798" in text
    assert "Nephrol." in text


# -- the pty helper itself (shared with docs/screenshots.py and benchmarks/run.py) --------


def test_the_pty_has_the_window_size_it_was_given():
    probe = "import os; print(os.get_terminal_size(0)); print(os.isatty(1), os.isatty(2))"
    code, out = run_command([sys.executable, "-c", probe], env=dict(os.environ), columns=73, rows=21, timeout=30)
    assert code == 0
    assert visible(out.decode()).split("\n")[:2] == ["os.terminal_size(columns=73, lines=21)", "True True"]


def test_a_command_that_does_not_finish_is_killed_at_the_deadline():
    t0 = time.monotonic()
    with pytest.raises(TimeoutError, match="did not finish in 0.5 s"):
        run_command([sys.executable, "-c", "import time; print('started', flush=True); time.sleep(60)"],
                    env=dict(os.environ), columns=80, rows=24, timeout=0.5)
    assert time.monotonic() - t0 < 10


def test_drain_all_reads_a_pipe_and_a_pty_side_by_side():
    """More than a pipe's buffer on stdout while stderr is a pty: neither blocks."""
    out_r, out_w = os.pipe()
    master, slave = open_pty(80, 24)
    code = "import sys; sys.stdout.write('x' * 200000); sys.stderr.write('on the terminal')"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=out_w, stderr=slave, close_fds=True)
    os.close(out_w)
    os.close(slave)
    try:
        out, err = drain_all([out_r, master], timeout=30)
    finally:
        os.close(out_r)
        os.close(master)
    assert proc.wait(timeout=30) == 0
    assert out == b"x" * 200000 and err == b"on the terminal"
