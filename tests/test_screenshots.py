"""docs/screenshots.py --check: a README picture that no longer shows what exo
prints fails, the same picture in another SVG markup (another rich) passes."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "docs" / "screenshots.py"
IMG = ROOT / "docs" / "img"


def _load():
    spec = importlib.util.spec_from_file_location("screenshots", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["screenshots"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


shots = _load()


@pytest.fixture(scope="module")
def captures():
    """The eight commands, run once on a pty for the whole module (about a second)."""
    caps = shots.capture_all(shots.SHOTS)
    assert caps and len(caps) == len(shots.SHOTS), caps  # every check below walks these
    assert not [p for cap in caps for p in shots.problems(cap)]
    return caps


@pytest.fixture
def img(tmp_path) -> Path:
    """A copy of docs/img to spoil."""
    return Path(shutil.copytree(IMG, tmp_path / "img"))


def verdicts(captures, folder: Path) -> dict[str, str]:
    """File name -> why it is stale, for the stale ones."""
    out = {}
    for cap in captures:
        why, _ = shots.stale(cap, folder / f"{cap.name}.svg")
        if why is not None:
            out[f"{cap.name}.svg"] = why
    return out


def test_the_committed_pictures_show_what_exo_prints(captures):
    assert verdicts(captures, IMG) == {}


def test_a_picture_with_stale_text_fails_the_check_and_is_named(img):
    path = img / "show-Bruno2009.svg"
    svg = path.read_text("utf-8")
    assert "Nephrol." in svg
    path.write_text(svg.replace("Nephrol.", "Nephrox."), "utf-8")
    r = subprocess.run([sys.executable, str(SCRIPT), "--check", "--out", str(img)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r
    lines = [line for line in r.stderr.splitlines() if "out of date" in line]
    assert len(lines) == 1 and "show-Bruno2009.svg: out of date: row " in lines[0], r.stderr
    assert "Nephrox." in lines[0] and "Nephrol." in lines[0]
    assert f"--out {img}" in r.stderr  # how to regenerate that folder


def test_a_lost_style_fails_the_check(captures, img):
    path = img / "show-Bruno2009.svg"
    svg = path.read_text("utf-8")
    bold_rule = re.search(r"(\.exo-[\w-]+-r\d+ \{ fill: #[0-9a-f]{6});font-weight: bold \}", svg)
    path.write_text(svg.replace(bold_rule.group(0), bold_rule.group(1) + " }"), "utf-8")
    why = verdicts(captures, img)
    assert list(why) == ["show-Bruno2009.svg"]
    assert re.search(r"out of date: row \d+, column \d+ \('.'\) is fill #\w+, the terminal now bold fill #\w+", why["show-Bruno2009.svg"])


def test_a_lost_background_fails_the_check(captures, img):
    path = img / "map.svg"
    svg = path.read_text("utf-8")
    rect = re.search(r'<rect fill="#\w+" [^>]*shape-rendering="crispEdges"/>', svg).group(0)
    path.write_text(svg.replace(rect, "", 1), "utf-8")
    why = verdicts(captures, img)
    assert list(why) == ["map.svg"] and "the terminal now background #" in why["map.svg"]


def test_a_missing_or_unreadable_picture_fails_the_check(captures, img):
    (img / "stats.svg").unlink()
    (img / "map.svg").write_text("<svg>not a screenshot", "utf-8")
    why = verdicts(captures, img)
    assert why == {"stats.svg": "missing", "map.svg": why["map.svg"]}
    assert why["map.svg"].startswith("cannot read it as a screenshot (not XML")


def other_markup(svg: str) -> str:
    """The same picture as another rich might write it: other ids, class
    numbers, font, number format, CSS spacing and attribute order."""
    uid = re.search(r'class="(exo-[\w-]+)-matrix"', svg).group(1)
    svg = svg.replace(uid, "terminal-1234567")
    svg = re.sub(r"-r(\d+)\b", lambda m: f"-r{int(m.group(1)) + 100}", svg)
    svg = svg.replace("Fira Code", "JetBrains Mono").replace("<!-- Generated with Rich https://www.textualize.io -->", "")
    svg = re.sub(r'(x|y|width|textLength)="(\d+(?:\.\d+)?)"', lambda m: f'{m.group(1)}="{float(m.group(2)):.3f}"', svg)
    svg = re.sub(r"\{ fill: (#\w+)", lambda m: "{fill:" + m.group(1).upper(), svg)
    svg = svg.replace(";font-weight: bold }", "; font-weight: 700; }")
    svg = re.sub(r'<text (class="[^"]*") (x="[^"]*" y="[^"]*" textLength="[^"]*" clip-path="[^"]*")>', r"<text \2 \1>", svg)
    return svg


def test_the_same_pictures_in_other_svg_markup_pass(captures, img):
    for path in img.glob("*.svg"):
        path.write_text(other_markup(path.read_text("utf-8")), "utf-8")
    for cap in captures:
        why, same_bytes = shots.stale(cap, img / f"{cap.name}.svg")
        assert why is None, (cap.name, why)
        assert not same_bytes


def test_the_screen_reader_keeps_wide_characters_and_backgrounds_in_their_cells():
    cap = shots.Capture("wide", "x", 20, 0, "\x1b[1;31m漢字\x1b[0m ab \x1b[44m  \x1b[0m e\u0301\n\nend\n".encode())
    screen = shots.read_svg(shots.to_svg(cap))
    first = screen.rows[0]
    assert "".join(ch for ch, _ in first) == "漢字 ab    e\u0301"
    assert first[0][1] == first[1][1] == first[3][1] and "bold" in first[0][1] and first[1][0] == ""
    assert first[7] == (" ", ()) and first[8][1] == first[9][1] and first[8][1][0].startswith("background #")
    assert screen.rows[1] == () and "".join(ch for ch, _ in screen.rows[2]) == "end" and len(screen.rows) == 3
