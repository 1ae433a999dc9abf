"""Queries and filter values of any content: no crash, sensible exit codes.

Each kind of hostile value goes to every place a user can type text: search
words, free text of every listing, every filter, keys of `show` and `cite`,
and the values of --type, --fields, --format, --sort and map axes.
"Sensible" means: exit 0 with output, 1 (nothing found) or 2 (usage), with
nothing on stdout and a message on stderr when it is not 0; never exit 3
(a bug in exo) and never a traceback.
"""

from __future__ import annotations

import json
import re
import subprocess
import time

import pytest

from exo_hostile import EXO, base_env, exo

HUGE = ("gvhd exosome miR-21 bone marrow " * 4000)[:100_000]
VALUES = {
    "empty": "",
    "whitespace": "  \t \n  ",
    "100kb-words": HUGE,
    "100kb-one-word": "x" * 100_000,
    "emoji": "🧬 exosome 🦠👩‍🔬 ❤️",
    "right-to-left": "\u200f\u202egvhd\u202c \u05d0\u05e7\u05e1\u05d5\u05d6\u05d5\u05dd \u0627\u0643\u0632\u0648\u0633\u0648\u0645",
    "binary-junk": "".join(chr(i) for i in range(1, 256)) + "\ufffd\uffff\U0010ffff\u0300\u0301\u200b\ufeff",
    "shell-metacharacters": "; rm -rf / $(id) `id` | & > < * ? ~ {a,b} \\ ' \" %s %n $HOME !! #",
    "looks-like-an-option": "--json",
    "looks-like-a-short-option": "-o",
    "double-dash": "--",
    "dash": "-",
    "markup": "[bold red]gvhd[/] [/]",
    "escape-sequences": "\x1b]0;pwned\x07\x1b[2J",
    "format-and-regex": "%(x)s {0} .* (?P<x>) [[:alpha:]] \\d+ ^$",
    "only-stop-words": "the of and a to",
    "numbers": "99999999999999999999999999 -1 0 2018 1e309 nan inf",
}


def places(v: str) -> dict[str, list[str]]:
    """Every place a user can type text, with ``v`` in it (options as --opt=value)."""
    return {
        "search": ["search", "--", v],
        "search --type": ["search", "gvhd", f"--type={v}"],
        "studies (free text)": ["studies", "--", v],
        "studies --disease": ["studies", f"--disease={v}"],
        "studies --source": ["studies", f"--source={v}"],
        "studies --topic": ["studies", f"--topic={v}"],
        "studies --mechanism": ["studies", f"--mechanism={v}"],
        "studies --evidence": ["studies", f"--evidence={v}"],
        "studies --kind": ["studies", f"--kind={v}"],
        "studies --year": ["studies", f"--year={v}"],
        "studies --sort": ["studies", f"--sort={v}"],
        "studies --fields": ["studies", f"--fields={v}"],
        "studies --format": ["studies", f"--format={v}"],
        "diseases (free text)": ["diseases", "--", v],
        "diseases --category": ["diseases", f"--category={v}"],
        "sources (free text)": ["sources", "--", v],
        "companies --area": ["companies", f"--area={v}"],
        "companies --disease": ["companies", f"--disease={v}"],
        "terms (free text)": ["terms", "--", v],
        "topics (free text)": ["topics", "--", v],
        "show": ["show", "--", v],
        "cite": ["cite", "--", v],
        "cite --style": ["cite", "Bruno2009", f"--style={v}"],
        "map --rows": ["map", f"--rows={v}"],
    }


def problems_with(args: list[str]) -> str | None:
    r = exo(*args)  # raises if an exception escaped
    if r.code not in (0, 1, 2):
        return f"exit {r.code}: {r.stderr[:300]!r}"
    if "Traceback" in r.stdout + r.stderr:
        return "traceback"
    if r.code != 0:
        if r.stdout:
            return f"exit {r.code} but stdout {r.stdout[:100]!r}"
        if not r.stderr.strip():
            return f"exit {r.code} without a word on stderr"
    elif not r.stdout.strip():
        return "exit 0 without output"
    return None


@pytest.mark.parametrize("value", list(VALUES.values()), ids=list(VALUES))
def test_hostile_value_everywhere_no_crash_sensible_exit(value):
    bad = {}
    for where, args in places(value).items():
        problem = problems_with(args)
        if problem:
            bad[where] = problem
    assert not bad, bad


def test_option_lookalikes_are_read_as_values_after_double_dash():
    r = exo("search", "--", "--json")
    # Read as words: rows of plain text if something matches, else "no match for" the words.
    if r.code == 0:
        assert r.stdout.strip() and not r.stdout.lstrip().startswith("["), "--json after -- was taken as the option"
        assert all(line.count("\t") >= 2 for line in r.stdout.splitlines()), r
    else:
        assert r.code == 1 and r.stdout == "" and "no match for '--json'" in r.stderr, r
    r = exo("show", "--", "-Bruno2009")
    assert r.code == 1 and r.stdout == "", r


def test_unknown_options_are_usage_errors():
    for args in (["search", "--no-such", "gvhd"], ["studies", "-Z"], ["studies", "--disease"], ["search", "gvhd", "-n", "0"], ["search", "gvhd", "-n", "many"]):
        r = exo(*args)
        assert r.code == 2, (args, r)
        assert r.stdout == "" and r.stderr.strip(), (args, r)


def test_empty_key_to_cite_is_not_a_silent_success():
    """`exo cite ""` prints an empty line and exits 0; `echo | exo cite -` says
    "no keys to cite" (exit 2). An empty key should be the same usage error."""
    for args in (["cite", ""], ["cite", "   "], ["cite", "--format", "bibtex", ""]):
        r = exo(*args)
        assert r.code == 2, (args, r)
        assert r.stdout.strip() == "", (args, r)


def test_hints_name_only_commands_that_exist():
    """Error hints such as "`exo evidences` lists them" must name a real command."""
    from exocli.cli import app

    real = {c.name or c.callback.__name__.rstrip("_") for c in app.registered_commands}
    real |= {"map"}
    bad = {}
    for where, args in places("🧬").items():
        r = exo(*args)
        for cmd in re.findall(r"`exo ([a-z-]+)", r.stderr):
            if cmd not in real:
                bad[where] = r.stderr.strip()
    assert not bad, bad


def test_error_messages_do_not_echo_a_100kb_value():
    """A 100 KB value is quoted in an error as a short excerpt, as `exo search` does."""
    bad = {}
    for where, args in places("q" * 100_000).items():
        r = exo(*args)
        if len(r.stderr) > 2000:
            bad[where] = f"{len(r.stderr)} characters on stderr"
    assert not bad, bad


def test_100kb_query_in_a_real_process_is_quick(tmp_path):
    env = base_env(cache=tmp_path / "cache")
    start = time.monotonic()
    p = subprocess.run([*EXO, "search", HUGE, "--json"], env=env, capture_output=True, timeout=60)
    took = time.monotonic() - start
    assert p.returncode == 0, p.stderr  # it holds gvhd, exosome, miR-21, bone marrow
    assert b"Traceback" not in p.stderr
    assert json.loads(p.stdout), p.stdout[:300]
    assert took < 20, f"a 100 KB query took {took:.1f} s"


@pytest.mark.parametrize(
    "args",
    [["search"], ["show"], ["cite"], ["studies", "--disease"], ["studies", "--fields"], ["studies", "--year"], ["studies"], ["search", "gvhd", "--type"]],
    ids=lambda a: " ".join(a),
)
def test_undecodable_argv_bytes_in_a_real_process(tmp_path, args):
    """Argument bytes that are not UTF-8 (\\xff\\xfe...) reach Python as lone surrogates."""
    env = base_env(cache=tmp_path / "cache")
    p = subprocess.run([*EXO, *args, b"\xff\xfegvhd\x80\xc3"], env=env, capture_output=True, timeout=60)
    assert p.returncode in (0, 1, 2), p.stderr
    assert b"Traceback" not in p.stderr and b"internal error" not in p.stderr, p.stderr
    if p.returncode:
        assert p.stdout == b"" and p.stderr.strip(), p
    else:
        assert p.stdout.strip(), p
