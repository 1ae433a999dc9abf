"""A new entity type needs only its declaration, its data file and (for a
listing) its command: the recipe of ARCHITECTURE.md, tried for real.

A subprocess declares a `protocol` type in `model` (as an edit of
model.py would), registers an `exo protocols` command the way cli.py
declares its listings, and runs exo over a data folder holding
protocols.toml. Loading, validation, the store, search (in the type's own
fields), show (both ways), JSON, CSV and stats must follow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT

DECLARE = textwrap.dedent(
    """
    import sys
    import exocli.model as m

    PROTOCOL = m.EntityType(
        "protocol", "protocols.toml", "protocols", "name",
        (
            m.Field("name", required=True),
            m.Field("summary"),
            m.Field("steps", "list"),
            m.Field("diseases", "list", link="disease"),
            m.Field("sources", "list", link="source"),
        ),
    )
    m.ENTITY_TYPES = m.ENTITY_TYPES + (PROTOCOL,)
    m.BY_NAME[PROTOCOL.name] = PROTOCOL
    m.BY_PLURAL[PROTOCOL.plural] = PROTOCOL
    m.DATA_FILES = tuple(dict.fromkeys(t.file for t in m.ENTITY_TYPES))

    from exocli import cli

    @cli.app.command()
    @cli.shared(output=True)
    def protocols(text: cli.TextArg = None, out=None, data=None) -> None:
        '''List protocols.'''
        cli.list_records(out, data, "protocol", text)

    sys.argv = ["exo", *sys.argv[1:]]
    cli.main()
    """
)

PROTOCOLS = """\
[tff-isolation]
name = "Tangential flow isolation of MSC exosomes"
summary = "Concentrates conditioned medium by ultrafiltration before a polishing step."
steps = ["collect conditioned medium", "ultrafiltrate", "polish"]
diseases = ["gvhd"]
sources = ["bmsc"]
"""


@pytest.fixture()
def run(tmp_path):
    folder = tmp_path / "protocols"
    folder.mkdir()
    (folder / "protocols.toml").write_text(PROTOCOLS, "utf-8")
    script = tmp_path / "exo_with_protocols.py"
    script.write_text(DECLARE, "utf-8")
    env = {**os.environ, "EXO_DATA_PATH": str(folder), "EXO_CACHE_DIR": str(tmp_path / "cache")}
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, env=env, timeout=60)

    run.folder = folder
    return run


def test_a_new_type_is_loaded_validated_searched_and_shown(run):
    r = run("validate", str(run.folder))
    assert r.returncode == 0 and "1 protocol" in r.stderr, r
    # Searched in a field only this type has (steps), and by type.
    r = run("search", "collect", "--type", "protocol", "--json")
    assert r.returncode == 0, r
    hit = json.loads(r.stdout)[0]
    assert hit["key"] == "tff-isolation" and hit["matched"] == ["steps: collect conditioned medium"]
    r = run("show", "tff-isolation", "--json")
    assert r.returncode == 0, r
    obj = json.loads(r.stdout)
    assert obj["steps"] == ["collect conditioned medium", "ultrafiltrate", "polish"]
    assert obj["links"] == {"diseases": ["gvhd"], "sources": ["bmsc"]}
    # The records it links to list it.
    r = run("show", "gvhd", "--json")
    assert json.loads(r.stdout)["links"]["protocols"] == ["tff-isolation"]
    r = run("stats", "--json")
    assert json.loads(r.stdout)["counts"]["protocols"] == 1


def test_its_command_lists_in_every_format(run):
    r = run("protocols", "-o", "csv")
    assert r.returncode == 0 and r.stderr == "", r
    assert r.stdout.splitlines() == ["key,name", "tff-isolation,Tangential flow isolation of MSC exosomes"]
    r = run("protocols", "ultrafiltration", "--fields", "key,steps", "--json")
    assert json.loads(r.stdout) == [{"key": "tff-isolation", "steps": ["collect conditioned medium", "ultrafiltrate", "polish"]}]


def test_a_bad_record_of_the_new_type_is_located(run):
    (run.folder / "protocols.toml").write_text('[broken]\nsummary = "no name"\ndiseases = ["nosuch"]\n', "utf-8")
    r = run("validate", str(run.folder))
    assert r.returncode == 2, r
    assert "protocols.toml" in r.stderr and "broken" in r.stderr and "name" in r.stderr and "nosuch" in r.stderr, r.stderr
