"""Property-based tests (hypothesis): arbitrary text at search, filters, the
loader and the command line. Each is bounded (max_examples, no deadline) so
the whole hostile suite stays quick.
"""

from __future__ import annotations

import functools
import string
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from exo_hostile import exo, toml_str
from exocli import model
from exocli.catalog import Catalog, bundled_data_dir, load
from exocli.loader import Folder, parse_dirs
from exocli.store import open_store
from exocli.errors import DataError, ExoError, NotFound, UsageError
from exocli.output import Format
from exocli.query import parse_years, resolve
from exocli.search import search

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)

# Text of every sort: any code point but surrogates; NUL-free where it must
# pass through argv.
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=200)
ARGV_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=80)
JUNK = st.binary(max_size=120).map(lambda b: b.replace(b"\x00", b"").decode("latin-1"))
WORDY = st.lists(
    st.sampled_from(["gvhd", "exosome", "miR-21", "BMSC", "bruno", "2018", "the", "of", "Kordelass", "tgf-β", "Théry", "-", "--", "..", "[bold]", "\x1b[2J", "🧬", "\u202e"]),
    max_size=8,
).map(" ".join)
QUERY = st.one_of(ANY_TEXT, JUNK, WORDY, st.text(string.printable, max_size=300))


@functools.lru_cache(maxsize=1)
def catalog():
    return load(env={})  # bundled data only, no cache folder


# -- search ---------------------------------------------------------------------------


@SETTINGS
@given(text=QUERY, types=st.none() | st.sets(st.sampled_from([t.name for t in model.ENTITY_TYPES]), max_size=3), limit=st.none() | st.integers(1, 50))
def test_search_any_text(text, types, limit):
    cat = catalog()
    hits = search(cat, text, types or None, limit)
    assert limit is None or len(hits) <= limit
    assert len({h.rid for h in hits}) == len(hits), "a record hit twice"
    for h in hits:
        assert 0 <= h.rid < len(cat)
        assert 0.0 <= h.score <= 100.0
        assert isinstance(h.matched, list) and all(isinstance(m, str) for m in h.matched)
        if types:
            assert cat.type_of(h.rid) in types
    again = search(cat, text, types or None, limit)
    assert [(h.rid, h.score) for h in again] == [(h.rid, h.score) for h in hits], "search is not deterministic"


# -- filters ---------------------------------------------------------------------------

KINDS = ["disease", "source", "topic", "mechanism", "evidence", "kind", "area", "category"]


def valid_keys(cat, what: str) -> set[str]:
    if what in ("disease", "source", "topic"):
        return {cat.keys[i] for i in cat.ids(what)}
    if what == "mechanism":
        return {m for i in cat.ids("study") for m in cat.record(i).get("mechanisms") or ()}
    enum = {"evidence": model.Evidence, "kind": model.Kind, "area": model.Area, "category": model.Category}[what]
    return {m.value for m in enum}


@SETTINGS
@given(what=st.sampled_from(KINDS), value=QUERY)
def test_filter_resolve_any_value(what, value):
    cat = catalog()
    try:
        res = resolve(cat, what, value)
    except NotFound as e:
        assert e.message and e.exit_code == 1
        assert all(isinstance(s, str) for s in e.suggestions)
        return
    except UsageError as e:
        assert e.message and e.exit_code == 2
        return
    assert res.keys, "a resolution with no keys"
    assert set(res.keys) <= valid_keys(cat, what), (res.keys, what)
    assert isinstance(res.describe(), str)


@SETTINGS
@given(value=st.one_of(QUERY, st.from_regex(r"\A\s*\d{0,6}\s*(\.\.|-|:)?\s*\d{0,6}\s*\Z")))
def test_year_filter_any_value(value):
    try:
        lo, hi = parse_years(value)
    except UsageError as e:
        assert e.message
        return
    assert lo <= hi


# -- the loader -------------------------------------------------------------------------

FIELD_NAMES = sorted({f.name for t in model.ENTITY_TYPES for f in t.fields})
SCALAR = st.one_of(
    ANY_TEXT.map(toml_str),
    st.integers(-(2**70), 2**70).map(str),
    st.booleans().map(lambda b: "true" if b else "false"),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["2020-01-02", "1979-05-27T07:32:00Z", "inf", "nan", "0x1F", "'literal'", "'''multi\nline'''"]),
)
VALUE = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]") | st.dictionaries(st.from_regex(r"\A[a-z]{1,6}\Z"), inner, max_size=3).map(lambda d: "{" + ", ".join(f"{k} = {v}" for k, v in d.items()) + "}"), max_leaves=8)
KEY = st.one_of(
    st.from_regex(r"\A[A-Za-z][A-Za-z0-9]{0,10}20[0-9]{2}[a-c]?\Z"),
    st.sampled_from(["gvhd", "bmsc", "Bruno2009", "x", "sections.intro", "sections"]),
    ANY_TEXT.filter(bool).map(toml_str),
)
FIELD = st.one_of(st.sampled_from(FIELD_NAMES), st.from_regex(r"\A[a-z_]{1,10}\Z"), ANY_TEXT.filter(bool).map(toml_str))
RECORD = st.builds(
    lambda key, fields: f"[{key}]\n" + "".join(f"{k} = {v}\n" for k, v in fields),
    KEY,
    st.lists(st.tuples(FIELD, VALUE), max_size=6),
)
JUNK_LINE = st.one_of(st.text(string.printable, max_size=60), ANY_TEXT, st.sampled_from(["[", "]]", "= 1", "[a.b.c]", '"""', "x = ", "[[x]]", "\ufeff", "\r\n"]))
TOML_ISH = st.lists(st.one_of(RECORD, RECORD, JUNK_LINE.map(lambda s: s + "\n")), max_size=6).map("".join)
FILES = st.dictionaries(st.sampled_from(list(model.DATA_FILES)), st.one_of(TOML_ISH, TOML_ISH.map(lambda t: t.encode("utf-8")), st.binary(max_size=200)), max_size=3)


@SETTINGS
@given(files=FILES)
def test_loader_any_toml_ish_folder(files):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, content in files.items():
            if isinstance(content, bytes):
                (folder / name).write_bytes(content)
            else:
                (folder / name).write_text(content, encoding="utf-8")
        before = {p.name: p.read_bytes() for p in folder.iterdir()}
        try:
            records, origins = parse_dirs([folder])
        except DataError as e:
            assert e.problems and e.exit_code == 2
            for p in e.problems:
                assert p.message
                assert p.file.startswith(str(folder)), p
                assert p.line is None or p.line >= 1
                str(p)  # must format
        else:
            assert all(o.startswith(str(folder)) for o in origins)
            for r in records:
                assert r["type"] in model.BY_NAME and isinstance(r["key"], str)
                for f in model.BY_NAME[r["type"]].fields:
                    if f.required:
                        assert f.name in r
        assert {p.name: p.read_bytes() for p in folder.iterdir()} == before, "the loader wrote into a data folder"


@SETTINGS
@given(title=ANY_TEXT.filter(lambda s: s.strip()), note=ANY_TEXT, authors=st.lists(ANY_TEXT, min_size=1, max_size=3), year=st.integers(1900, 2100))
def test_loader_reads_any_text_back_exactly(title, note, authors, year):
    """Whatever a title holds (controls, escapes, markup, bidi marks), the loader
    keeps it as written."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "studies.toml").write_text(
            f"[Any2020]\ntitle = {toml_str(title)}\nnote = {toml_str(note)}\n"
            f"authors = [{', '.join(toml_str(a) for a in authors)}]\nyear = {year}\n",
            encoding="utf-8",
        )
        records, _ = parse_dirs([folder])
    assert len(records) == 1
    r = records[0]
    assert (r["title"], r["note"], r["authors"], r["year"]) == (title, note, authors, year)


def _typed_value(f: model.Field) -> st.SearchStrategy[str]:
    """A TOML value of the field's own kind (so records often pass validation),
    with extreme numbers and hostile text."""
    if f.choices:
        pick = st.sampled_from(list(f.choices)).map(toml_str)
        return pick.map(lambda v: f"[{v}]") if f.kind == "list" else pick
    if f.kind == "int":
        return st.one_of(st.integers(1900, 2100), st.integers(-(2**63), 2**63 - 1), st.integers(-(2**80), 2**80)).map(str)
    if f.kind == "bool":
        return st.sampled_from(["true", "false"])
    if f.kind == "list":
        return st.lists(ANY_TEXT.map(toml_str), max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]")
    if f.kind == "date":
        return st.sampled_from(["2020-01-02", "1970-01-01", '"2020-13-45"', '"not a date"'])
    return ANY_TEXT.map(toml_str)


def _typed_record(et: model.EntityType) -> st.SearchStrategy[str]:
    fields = [f for f in et.fields if not f.link]
    required = [f for f in fields if f.required]
    optional = [f for f in fields if not f.required]
    prefix = f"{et.table}." if et.table else ""
    return st.builds(
        lambda key, req, opt: f"[{prefix}{key}]\n" + "".join(f"{f.name} = {v}\n" for f, v in [*req, *opt]),
        st.from_regex(r"\A[A-Za-z][A-Za-z0-9]{0,8}[0-9]{0,4}\Z"),
        st.tuples(*[st.tuples(st.just(f), _typed_value(f)) for f in required]) if required else st.just(()),
        st.lists(st.sampled_from(optional).flatmap(lambda f: st.tuples(st.just(f), _typed_value(f))), max_size=4, unique_by=lambda t: t[0].name),
    )


TYPED_FOLDER = st.lists(st.sampled_from(model.ENTITY_TYPES).flatmap(lambda et: st.tuples(st.just(et.file), _typed_record(et))), min_size=1, max_size=5)


@settings(SETTINGS, max_examples=120, phases=[Phase.explicit, Phase.generate])  # no shrinking: the message shows the files
@given(entries=TYPED_FOLDER, query=QUERY)
def test_loader_whatever_validates_can_be_indexed_and_searched(entries, query):
    """Schema-shaped records with extreme values: either a DataError naming the
    file, or a catalog that indexes, searches and decodes every record."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        texts: dict[str, str] = {}
        for name, rec in entries:
            texts[name] = texts.get(name, "") + rec + "\n"
        for name, text in texts.items():
            (folder / name).write_text(text, encoding="utf-8")
        try:
            records, origins = parse_dirs([folder])
        except DataError as e:
            assert e.problems and all(p.file.startswith(str(folder)) for p in e.problems)
            return
        try:
            keys = [r["key"] for r in records]
            cat = Catalog(*open_store([Folder(folder, "bundled")], use_cache=False))
            assert len(cat) == len(keys)
            for i in range(len(cat)):
                assert cat.record(i)["key"] == keys[i]
            for h in search(cat, query, None, 20):
                assert 0 <= h.rid < len(cat)
        except Exception as e:
            raise AssertionError(f"validated data broke the catalog: {type(e).__name__}: {e}\nfiles: {texts!r}") from e


# -- the command line -------------------------------------------------------------------

COMMANDS = ["search", "studies", "diseases", "sources", "companies", "terms", "topics", "show", "cite", "map", "stats", "validate"]
OPTION_WORDS = [
    "--json", "-o", "--format", "--fields", "--limit", "-n", "--type", "-t", "--disease", "-d", "--source", "--topic",
    "--mechanism", "--evidence", "--kind", "--year", "--sort", "--reverse", "--quiet", "--no-color", "--style",
    "--all", "--rows", "--cols", "--category", "--area", "--msc", "--non-msc", "--glossary", "--help", "-h",
    "--", "-", "--data", "--latex", "--utf8", "--msc-only", "--version",
]
VALUE_WORDS = [
    "gvhd", "bmsc", *(f.value for f in Format), "bibtex", "ris", "csl-json",
    "apa", "key,title", "title,nope", "2018", "2017..2019", "..", "0", "-1", "99999999999999999999", "Bruno2009",
    "animal", "diagnostics", "cancer", "year", "source", "disease", "study", "",
]
ARG_WORD = st.one_of(st.sampled_from(OPTION_WORDS), st.sampled_from(VALUE_WORDS), ARGV_TEXT, JUNK)


@SETTINGS
@given(command=st.sampled_from(COMMANDS), words=st.lists(ARG_WORD, max_size=6))
def test_cli_any_argv(command, words):
    # Never let generated words reach the shell-completion installer (it writes to ~/.bashrc).
    assume(not any("completion" in w for w in words))
    if command == "validate":
        # validate reads the folders it is given: keep them to the bundled data and missing paths.
        words = [w if w.startswith("-") else f"/nonexistent/{len(w)}" for w in words]
    r = exo(command, *words, input="")  # raises if an exception escaped
    assert r.code in (0, 1, 2), (command, words, r)
    assert "Traceback" not in r.stdout + r.stderr
    if r.code != 0:
        assert r.stderr.strip(), ("a failure must say why", command, words, r)
    else:
        assert r.stdout.strip() or r.stderr.strip(), ("a success said nothing", command, words, r)
    if r.code == 2 and r.stdout:
        # a usage error prints its message on stderr; stdout only with --help
        assert "--help" in words or "-h" in words, (command, words, r)


@SETTINGS
@given(words=st.lists(ARGV_TEXT | JUNK, min_size=1, max_size=4))
def test_cli_search_any_words(words):
    assume(any(w.strip() for w in words))
    r = exo("search", "--", *words)
    assert r.code in (0, 1, 2), r
    if r.code == 0:
        assert r.stdout.strip()
    else:
        assert r.stdout == "" and r.stderr.strip()


def test_bundled_data_still_loads_with_hypothesis_installed():
    """Guards the loader tests above: the bundled folder itself parses clean."""
    records, _ = parse_dirs([bundled_data_dir()])
    assert len(records) > 100


def test_exo_error_hierarchy_is_what_the_properties_assume():
    assert issubclass(NotFound, ExoError) and issubclass(UsageError, ExoError) and issubclass(DataError, ExoError)
