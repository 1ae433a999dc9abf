"""Text exo writes as it is (a note, a link, the TOML of a dry run) shows
control characters on a terminal instead of obeying them, and stays
byte-for-byte the same in a pipe."""

from __future__ import annotations

from terminal import run_on_pty

from conftest import exo

NASTY = "see \x1b]0;owned\x07 and \x1b[2J here"


def test_a_note_is_shown_not_obeyed_on_a_terminal(tmp_path):
    env = {"EXO_CACHE_DIR": str(tmp_path / "cache"), "EXO_LIBRARY": str(tmp_path / "library")}
    r = exo("note", "Bruno2009", NASTY, env=env)
    assert r.code == 0, r
    code, out = run_on_pty(["note", "Bruno2009"], env=env)
    assert code == 0, out
    assert "\x1b" not in out and "\x07" not in out, repr(out)
    assert "see ^[]0;owned^G and ^[[2J here" in out, repr(out)
    # In a pipe the note is the user's text exactly.
    r = exo("note", "Bruno2009", env=env)
    assert r.code == 0 and r.stdout == NASTY + "\n" and r.stderr == "", r
