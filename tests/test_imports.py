"""Import discipline: each path pulls in only what it uses (a behaviour, not a timing)."""

from __future__ import annotations

import os
from pathlib import Path
import subprocess
import sys


# What only `exo import`, `exo tag` and `exo note` need.
IMPORT_LAYER = ("exocli.importer", "exocli.annotations", "exocli.files", "bibtexparser", "rispy", "tomli_w", "pylatexenc")

PROBE = """
import sys
IMPORT_LAYER = {layer!r}
sys.argv = ["exo", *{args!r}]
import exocli.cli
from exocli.cli import main
exocli.cli._exit_now = sys.exit  # keep the interpreter alive to list its modules
code = 0
try:
    main()
except SystemExit as e:
    code = e.code or 0
heavy = sorted(m for m in ("rich", "rapidfuzz", "exocli.cite", "citeproc", "tomllib", "pydantic", *IMPORT_LAYER) if m in sys.modules)
sys.stderr.write("\\nEXIT=" + str(code) + "\\nMODULES=" + ",".join(heavy) + "\\n")
"""


def loaded(*args: str, tmp_path, library: str | None = None) -> set[str]:
    env = {**os.environ, "EXO_CACHE_DIR": str(tmp_path / "cache"), "EXO_LIBRARY": library or str(tmp_path / "library")}
    env.pop("EXO_DATA_PATH", None)
    # Warm the cache first, so the measured run is the everyday one.
    subprocess.run([sys.executable, "-m", "exocli", "search", "gvhd", "--json"], env=env, capture_output=True, check=True)
    r = subprocess.run([sys.executable, "-c", PROBE.format(args=list(args), layer=IMPORT_LAYER)], env=env, capture_output=True, text=True)
    line = [x for x in r.stderr.splitlines() if x.startswith("MODULES=")]
    assert line, r.stderr
    # The command did its work: a run that failed early imports little, and
    # would pass every "does not import" check here.
    assert "EXIT=0" in r.stderr.splitlines() and r.stdout.strip(), (args, r.stdout[-300:], r.stderr[-500:])
    return set(filter(None, line[-1][len("MODULES="):].split(",")))


def test_version_imports_neither_rich_nor_rapidfuzz(tmp_path):
    mods = loaded("--version", tmp_path=tmp_path)
    assert "rich" not in mods and "rapidfuzz" not in mods


def test_json_path_never_imports_rich(tmp_path):
    for args in (["search", "gvhd", "--json"], ["studies", "--disease", "gvhd", "--json"], ["show", "Bruno2009", "--json"], ["map", "--json"]):
        mods = loaded(*args, tmp_path=tmp_path)
        assert "rich" not in mods, args
        assert "exocli.cite" not in mods, args


def test_warm_run_does_not_parse_toml(tmp_path):
    assert "tomllib" not in loaded("studies", "-o", "keys", tmp_path=tmp_path)


def test_known_words_skip_the_fuzzy_matcher(tmp_path):
    assert "rapidfuzz" not in loaded("search", "gvhd", "--json", tmp_path=tmp_path)
    assert "rapidfuzz" in loaded("search", "kordelass", "--json", tmp_path=tmp_path)


def test_no_pydantic_anywhere(tmp_path):
    # The Typer line is chosen for its start-up cost: from 0.26 on it goes
    # through pydantic. Checking the version too keeps this test meaningful
    # where pydantic happens not to be installed at all.
    from importlib.metadata import version

    major, minor = (int(x) for x in version("typer").split(".")[:2])
    assert (major, minor) < (0, 26), version("typer")
    assert "pydantic" not in loaded("search", "gvhd", tmp_path=tmp_path)


def test_the_search_path_never_imports_the_import_layer(tmp_path):
    for args in (["search", "gvhd", "--json"], ["studies", "--disease", "gvhd", "--json"], ["show", "Bruno2009", "--json"]):
        mods = loaded(*args, tmp_path=tmp_path)
        assert not mods & set(IMPORT_LAYER), (args, mods)


def test_tags_and_notes_are_read_without_the_import_layer(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "annotations.toml").write_text('[Bruno2009]\ntags = ["kidney"]\n', encoding="utf-8")
    mods = loaded("search", "kidney", "--json", tmp_path=tmp_path, library=str(lib))
    assert not mods & (set(IMPORT_LAYER) - {"exocli.annotations"}), mods
    assert "exocli.annotations" in mods  # the file is read, so the test can fail


# The layers of ARCHITECTURE.md, lowest first: a module may import its own
# layer and those below, never one above (at module level or inside a function).
LAYERS = [
    {"version", "signals", "text", "errors", "model", "files"},
    {"loader", "annotations"},
    {"store"},
    {"catalog"},
    {"query", "search", "views", "importer"},
    {"output", "cite"},
    {"cli"},
    {"entry", "__main__", "__init__"},
]


def _exo_imports(path):
    """The exo modules (top-level names, `output` for the package) a file imports."""
    import ast

    inside_output = path.parent.name == "output"
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level == 0:
            if (node.module or "").startswith("exocli."):
                yield node.module.split(".")[1]
            continue
        if inside_output and node.level == 1:
            yield "output"
            continue
        if node.module:
            yield node.module.split(".")[0]
        else:
            yield from (alias.name for alias in node.names)


def test_no_module_imports_upward():
    src = Path(__file__).resolve().parent.parent / "src" / "exocli"
    layer = {name: i for i, names in enumerate(LAYERS) for name in names}
    modules = {p.stem for p in src.glob("*.py")} | {"output"}
    assert modules <= set(layer), f"modules with no layer: {sorted(modules - set(layer))}"
    wrong = []
    for path in [*src.glob("*.py"), *(src / "output").glob("*.py")]:
        me = "output" if path.parent.name == "output" else path.stem
        for target in _exo_imports(path):
            if target in layer and layer[target] > layer[me]:
                wrong.append(f"{path.relative_to(src)} imports {target}")
    assert not wrong, wrong
