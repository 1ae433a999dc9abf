"""The exo command: Typer wiring only.

Each command turns its options into calls on the core (catalog, query,
search, views, cite) and hands the result to the one renderer. Errors from
the core are printed here, once, with the exit codes of the README: 0 found,
1 nothing found or unknown key, 2 usage or data error, 130 interrupted.
"""

from __future__ import annotations

import functools
import inspect
import io
import os
import sys
from pathlib import Path
from typing import Annotated, List, Optional

import click
import typer

from .version import DATA_RELEASE, REVIEW_DOI, __version__
from .errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    EXIT_USAGE,
    DataError,
    ExoError,
    Interrupted,
    NotFound,
    NothingFound,
    UsageError,
    quoted,
)

HELP = """A terminal field guide to research on MSC-derived exosomes.

Every study, disease, cell source, company and term of Wei et al. (2021),
Front. Pharmacol. 11:590470, searchable and citable.

\b
Examples:
  exo search gvhd
  exo studies --disease "type 2 diabetes" --year 2017..2019
  exo studies --source BMSC --evidence animal --json | jq -r '.[].doi'
  exo companies --area diagnostics
  exo show Bruno2009
  exo cite Bruno2009 --style apa
  exo studies --disease gvhd -o keys | exo cite - --format bibtex
  exo map
"""

def _new_app() -> typer.Typer:
    return typer.Typer(
        help=HELP,
        no_args_is_help=True,
        add_completion=True,
        context_settings={"help_option_names": ["-h", "--help"]},
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        suggest_commands=False,  # click already says "Did you mean ...?"
    )


app = _new_app()


def _show_usage_error(self, file=None) -> None:  # noqa: ARG001 - click's signature
    """Click's own usage errors (an unknown option, a value out of range) in
    exo's one voice: "Error: WHAT", then what to try."""
    ctx = getattr(self, "ctx", None)
    # NOTE: the root's own name is "exo" whatever the program was called by.
    path = "exo" + (ctx.command_path[len(ctx.find_root().info_name or "") :] if ctx is not None else "")
    if path == "exo":
        hint = "`exo --help` lists the commands; `exo COMMAND --help` their options"
    else:
        hint = f"`{path} --help` lists the options and what they take"
    report(UsageError(self.format_message(), hint))


# NOTE: click prints these itself (usage line, "Try ...", then "Error: ..."),
# before exo's handler could see them; only exo runs in this process.
click.exceptions.UsageError.show = _show_usage_error


# -- shared options -----------------------------------------------------------

from . import model  # noqa: E402 - the schema, standard library only: help text comes from it


def _choices(values) -> str:
    """An enum's (or a tuple's) values for a help text, so the help never drifts from what is accepted."""
    values = [getattr(m, "value", m) for m in values]
    return ", ".join(values[:-1]) + " or " + values[-1]


TYPES_HELP = ", ".join(t.name for t in model.ENTITY_TYPES)

from .output import Format  # noqa: E402 - standard library only, like the schema

FormatOpt = Annotated[
    Optional[str],
    typer.Option(
        "--format",
        "-o",
        help=f"Output format: {', '.join(f.value for f in Format)}. "
        "Default: table on a terminal, plain (tab-separated) in a pipe.",
        metavar="FORMAT",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Shorthand for --format json.")]
FieldsOpt = Annotated[
    Optional[List[str]],
    typer.Option("--fields", help="Comma-separated fields to show, e.g. key,year,doi (repeatable)."),
]
NoColorOpt = Annotated[bool, typer.Option("--no-color", help="No colour (also: NO_COLOR=1).")]
DataOpt = Annotated[
    Optional[List[Path]],
    typer.Option(
        "--data",
        help="Extra data folder (repeatable); adds to EXO_DATA_PATH and the bundled data.",
        metavar="DIR",
    ),
]
LimitOpt = Annotated[Optional[int], typer.Option("--limit", "-n", min=1, help="Show at most N results.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Do not explain how filter values were read.")]
TextArg = Annotated[Optional[List[str]], typer.Argument(help="Free text to match.")]
TagOpt = Annotated[
    Optional[List[str]],
    typer.Option("--tag", help="Only records carrying this tag of yours (repeatable: any of them); `exo tags` lists them."),
]


# The options every command of a kind takes, declared here once and added to
# a command's signature by `shared`: (name, type, default).
_OUTPUT_OPTIONS = (("format_", FormatOpt, None), ("json_", JsonOpt, False), ("fields", FieldsOpt, None), ("no_color", NoColorOpt, False))
_DATA_OPTION = ("data", DataOpt, None)


def shared(*, output: bool = False, fields: bool = True, data: bool = True):
    """Make a function a command with the shared options, run by `handled`.

    ``output``: --format/-o, --json, --fields (unless ``fields`` is False)
    and --no-color, handed to the command as one ``out`` (an `output.Output`).
    ``data``: --data DIR, handed over as ``data``. The options come after
    the command's own, in the same order everywhere.
    """
    added = []
    if output:
        added += [o for o in _OUTPUT_OPTIONS if fields or o[0] != "fields"]
    if data:
        added.append(_DATA_OPTION)
    return lambda fn: _Command(fn, tuple(added), output)


class _Command:
    """A command function with the shared options added to its signature.

    NOTE: the signature is worked out when Typer first asks for it, for the
    one command being run, not for all eighteen at import (2 ms).
    """

    def __init__(self, fn, added: tuple, output: bool) -> None:
        self._fn, self._added, self._output = fn, added, output
        self.__name__, self.__qualname__ = fn.__name__, fn.__qualname__
        self.__doc__, self.__module__ = fn.__doc__, fn.__module__
        self._signature: inspect.Signature | None = None

    @property
    def __signature__(self) -> inspect.Signature:
        if self._signature is None:
            sig = inspect.signature(self._fn, eval_str=True)
            names = {n for n, _, _ in self._added}
            if "data" in names and "data" not in sig.parameters:
                raise TypeError(f"{self.__name__} takes no data parameter")
            own = [p for p in sig.parameters.values() if p.name != "out" and p.name not in names]
            extra = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=t) for n, t, d in self._added]
            self._signature = sig.replace(parameters=own + extra)
        return self._signature

    @property
    def __annotations__(self) -> dict:
        return {p.name: p.annotation for p in self.__signature__.parameters.values()}

    def __call__(self, **kwargs):
        return run_handled(self._run, (), kwargs)

    def _run(self, **kwargs):
        if self._output:
            kwargs["out"] = _output(kwargs.pop("format_"), kwargs.pop("json_"), kwargs.pop("fields", None), kwargs.pop("no_color"))
        return self._fn(**kwargs)


def _complete_keys(incomplete: str) -> list[str]:
    try:
        from .catalog import load

        cat = load()
    except Exception:  # noqa: BLE001 - completion must never fail loudly
        return []
    # NOTE: Typer keeps only completions that start with what was typed, in
    # the same case; a key shared by two types (gvhd) is offered once.
    return list(dict.fromkeys(k for k in cat.keys if k.startswith(incomplete)))[:200]


# -- plumbing -------------------------------------------------------------------


def _err(text: str) -> None:
    # NOTE: stderr is made never to fail in main(); this guards the
    # in-process runs too, so a message can never change the exit code.
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass


def report(e: ExoError) -> None:
    """Print an error for people on stderr."""
    from .text import one_line

    if isinstance(e, DataError):
        for p in e.problems:
            _err(one_line(str(p)))
    _err(f"Error: {one_line(e.message)}")
    if e.hint:
        _err(f"  {one_line(e.hint)}")


def handled(fn):
    """Run a command, turning core errors into messages and exit codes."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return run_handled(fn, args, kwargs)

    return wrapper


def run_handled(fn, args, kwargs):
    """Run a command, turning core errors into messages and exit codes."""
    catalog = sys.modules.get(__package__ + ".catalog")
    mark = catalog.opened() if catalog is not None else 0
    try:
        return _run_once_more_if_damaged(fn, args, kwargs)
    except ExoError as e:
        report(e)
        raise typer.Exit(e.exit_code) from None
    except BrokenPipeError:
        _quiet_pipe()
        raise typer.Exit(0) from None
    except OSError as e:
        if e.errno is None and e.filename is None:
            _internal(e)
        raise typer.Exit(_os_error(e)) from None
    except (typer.Exit, Interrupted):
        raise
    except Exception as e:  # noqa: BLE001
        _internal(e)
    finally:
        _close_stores(mark)


def _close_stores(mark: int) -> None:
    # NOTE: a command run in-process (tests, completion) must not keep the
    # databases it opened after it ends; a real run exits anyway.
    catalog = sys.modules.get(__package__ + ".catalog")
    if catalog is not None:
        catalog.close_opened(mark)


def _run_once_more_if_damaged(fn, args, kwargs):
    """Run a command; if its store turns out damaged midway, rebuild it and run again."""
    from .store import Damaged

    try:
        return fn(*args, **kwargs)
    except Damaged:
        from . import catalog

        catalog.discard_current()
        try:
            return fn(*args, **kwargs)
        except Damaged as e:
            raise ExoError(f"the search index cannot be read ({e})", "remove the exo cache folder and try again") from None


def _os_error(e: OSError) -> int:
    """Report an operating-system error for people; the exit code."""
    if e.filename is not None:
        # A path exo was given or derived (--data, EXO_DATA_PATH, a data
        # file) cannot be used: a name too long, a folder it may not enter.
        name = os.fsdecode(e.filename) if isinstance(e.filename, (str, bytes, os.PathLike)) else str(e.filename)
        report(UsageError(f"cannot use {quoted(name)}: {e.strerror or e}"))
        return EXIT_USAGE
    # Writing the output failed (a full disk, a closed device): the data is
    # lost, so say so and fail.
    _quiet_pipe()
    report(UsageError(f"cannot write the output: {e.strerror or e}"))
    return EXIT_USAGE


def _internal(e: BaseException):
    if os.environ.get("EXO_DEBUG"):
        raise e
    report(ExoError(f"internal error: {type(e).__name__}: {e}", "this is a bug in exo; run again with EXO_DEBUG=1 for the traceback and report it"))
    raise typer.Exit(EXIT_INTERNAL) from None


def _quiet_pipe() -> None:
    # NOTE: the reader went away (`exo ... | head -1`); point stdout at
    # /dev/null so the interpreter's final flush cannot complain.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _output(fmt: str | None, json_: bool = False, fields=None, no_color: bool = False):
    from .output import Output

    return Output(sys.stdout, fmt, json_, fields, no_color)


def _write_text(text: str) -> None:
    from .output import write_text

    write_text(text, sys.stdout)


def _isatty(stream) -> bool:
    from .output import isatty

    return isatty(stream)


def _load(data: list[Path] | None):
    from .catalog import load

    shown = []
    progress = None
    if _isatty(sys.stderr):

        def progress(path: str, done: int, total: int) -> None:
            from .output.progress import reading_line

            line = reading_line(path, done, total, _stderr_columns())
            if line is not None:
                shown.append(path)
                _err_line(line)

    try:
        cat = load(data or (), progress=progress)
    finally:
        if shown:
            _err_line("")
    if cat.warnings:
        from .text import one_line

        for w in cat.warnings:
            _err("exo: warning: " + one_line(w))
    return cat


def _stderr_columns() -> int:
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns or 80
    except (OSError, ValueError, AttributeError):
        return 80


def _err_line(text: str) -> None:
    """Rewrite the current line of stderr (a terminal) with ``text``."""
    try:
        sys.stderr.write(f"\r{text}\x1b[K")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass


def _explain(notes, quiet: bool) -> None:
    if quiet:
        return
    from .text import one_line

    for n in notes:
        if not n.exact:
            _err("exo: " + one_line(n.describe()))


def _require(result, items: list, what: str, out=None, hint: str | None = None) -> None:
    """Exit 1 (like grep) when there is nothing to show; the format's empty
    shape first (`[]`, a CSV header), so `| jq length` says 0."""
    if not items:
        if out is not None:
            out.empty(result)
        raise NothingFound(f"no {what}", hint)


# -- commands -------------------------------------------------------------------


def _version(value: bool) -> None:
    if value:
        typer.echo(
            f"exo {__version__} (data release {DATA_RELEASE}; "
            f"Wei et al. 2021, Front. Pharmacol. 11:590470, doi:{REVIEW_DOI})"
        )
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version, data release and review DOI.")
    ] = False,
) -> None:
    pass


@app.command()
@shared(output=True)
def search(
    query: Annotated[List[str], typer.Argument(help="Words to look for; typos are fine.")],
    type_: Annotated[
        Optional[List[str]],
        typer.Option("--type", "-t", help=f"Only these types: {TYPES_HELP} (repeatable)."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Show at most N hits.")] = 20,
    tag: TagOpt = None,
    out=None,
    data=None,
) -> None:
    """Search every study, disease, source, company, term and section.

    \b
    Examples:
      exo search gvhd
      exo search kordelass            (typos are fine)
      exo search ExoDX --type company
      exo search "tangential flow" --json | jq '.[0]'
    """
    from .output import hit_objects
    from .search import parse_types, search as run

    types = parse_types(type_ or [])
    # Fields are checked against the types asked for, not the types found,
    # so a script's --fields works whatever a query happens to return.
    from . import model

    asked = sorted(types) if types else [t.name for t in model.ENTITY_TYPES]
    out.fields(asked, hit=True)
    text = " ".join(query)
    if not text.strip():
        raise UsageError("empty query", "give a word to look for, e.g. `exo search gvhd`")
    cat = _load(data)
    only = None
    if tag:
        from .query import with_tags

        only = with_tags(cat, tag)
    hits = run(cat, text, types, limit, only=only)
    objs = hit_objects(cat, hits)
    result = out.listing(objs, asked, hit=True)
    _require(result, objs, f"match for {quoted(text)}", out, hint="try fewer or other words")
    out.emit(result)
    if hits.total > len(objs):
        more = "more than " if hits.at_least else ""
        _err(f"exo: {len(objs)} of {more}{hits.total:,} shown; use -n to see more")


@app.command()
@shared(output=True)
def studies(
    text: Annotated[Optional[List[str]], typer.Argument(help="Free text the studies must match.")] = None,
    disease: Annotated[Optional[List[str]], typer.Option("--disease", "-d", help="Disease key, name or abbreviation (repeatable: any of them); a broader one takes in the narrower (cancer: breast cancer...).")] = None,
    category: Annotated[Optional[List[str]], typer.Option("--category", "-c", help="Body system of a disease: " + _choices(model.Category) + ".")] = None,
    source: Annotated[Optional[List[str]], typer.Option("--source", "-s", help="Cell source: key, name or abbreviation (BMSC, adipose...); msc takes in every MSC tissue.")] = None,
    topic: Annotated[Optional[List[str]], typer.Option("--topic", help="Review section citing the study (key or title).")] = None,
    mechanism: Annotated[Optional[List[str]], typer.Option("--mechanism", "-m", help="miRNA, siRNA, pathway or molecule (miR-21, Wnt...).")] = None,
    evidence: Annotated[Optional[List[str]], typer.Option("--evidence", "-e", help=_choices(model.Evidence) + "; other words work too (mouse, patients, trial).")] = None,
    kind: Annotated[Optional[List[str]], typer.Option("--kind", "-k", help=_choices(model.Kind) + ".")] = None,
    year: Annotated[Optional[List[str]], typer.Option("--year", "-y", help="A year (2018) or range (2017..2019, 2017.., ..2019).")] = None,
    sort: Annotated[Optional[str], typer.Option("--sort", help=_choices(model.STUDY_SORTS) + " (default: the review's order; relevance with free text).")] = None,
    reverse: Annotated[bool, typer.Option("--reverse", "-r", help="Reverse the order.")] = False,
    tag: TagOpt = None,
    curated: Annotated[bool, typer.Option("--curated", help="Leave out annotations `exo import` suggested: filters ignore them, output drops them.")] = False,
    limit: LimitOpt = None,
    out=None,
    quiet: QuietOpt = False,
    data=None,
) -> None:
    """List studies, filtered; filters combine with AND.

    \b
    Examples:
      exo studies --disease gvhd
      exo studies --category cardiovascular
      exo studies --disease t2dm --source umsc
      exo studies --source adipose --year 2017..2019 --sort year
      exo studies --mechanism miR-21 --json | jq -r '.[].title'
      exo studies exosome hydrogel --evidence animal
    """
    from .query import StudyFilter, study_listing

    out.fields(["study"])
    cat = _load(data)
    flt = StudyFilter(
        disease or [], source or [], topic or [], mechanism or [], evidence or [], kind or [], year or [], category or [],
        tags=tag or [], curated=curated,
    )
    ids, notes = study_listing(cat, flt, " ".join(text or []), sort, reverse, limit)
    _explain(notes, quiet)
    _emit_records(out, cat, ids, "study", curated=curated)


def _emit_records(out, cat, ids: list[int], type_name: str, curated: bool = False) -> None:
    from .output import curated_object, object_for

    if out.keys_only:
        # NOTE: keys come from the index; no record is decoded.
        objs = [{"type": type_name, "key": k} for k in cat.key_list(ids)]
    else:
        objs = [object_for(cat.record(i)) for i in ids]
        if curated:
            objs = [curated_object(o) for o in objs]
    result = out.listing(objs, [type_name])
    _require(result, objs, f"{model.BY_NAME[type_name].plural} match", out)
    out.emit(result)


def list_records(out, data, type_name: str, text, quiet=False, filters=None, flags=None, tags=None):
    """The body of a listing command: records of a type matching the text and filters."""
    from .query import listing

    out.fields([type_name])
    cat = _load(data)
    ids, notes = listing(cat, type_name, " ".join(text or []), filters, flags, tags)
    _explain(notes, quiet)
    _emit_records(out, cat, ids, type_name)


@app.command()
@shared(output=True)
def diseases(
    text: TextArg = None,
    category: Annotated[Optional[List[str]], typer.Option("--category", "-c", help="Body system: " + _choices(model.Category) + ".")] = None,
    tag: TagOpt = None,
    out=None,
    quiet: QuietOpt = False,
    data=None,
) -> None:
    """List diseases and conditions, with their category.

    \b
    Examples:
      exo diseases
      exo diseases --category cancer
      exo diseases --fields key,name,aliases -o csv
    """
    list_records(out, data, "disease", text, quiet, filters={"category": category}, tags=tag)


@app.command()
@shared(output=True)
def sources(
    text: TextArg = None,
    msc: Annotated[Optional[bool], typer.Option("--msc/--non-msc", help="Only MSC sources, or only the others.")] = None,
    tag: TagOpt = None,
    out=None,
    data=None,
) -> None:
    """List the cell sources of vesicles (BMSC, AMSC, UMSC, ESC, ...).

    \b
    Examples:
      exo sources
      exo sources --msc
      exo sources gingiva
    """
    list_records(out, data, "source", text, flags={"msc": msc}, tags=tag)


@app.command()
@shared(output=True)
def companies(
    text: TextArg = None,
    area: Annotated[Optional[List[str]], typer.Option("--area", "-a", help=_choices(model.Area) + ".")] = None,
    disease: Annotated[Optional[List[str]], typer.Option("--disease", "-d", help="Companies naming this disease, a narrower one, or a condition of Table 1 (epilepsy).")] = None,
    category: Annotated[Optional[List[str]], typer.Option("--category", "-c", help="Companies naming a disease of this body system (cancer, nervous, ...).")] = None,
    tag: TagOpt = None,
    out=None,
    quiet: QuietOpt = False,
    data=None,
) -> None:
    """List the companies of the review's Table 1.

    \b
    Examples:
      exo companies
      exo companies --area diagnostics
      exo companies --disease cancer
      exo companies --category nervous --json
    """
    list_records(out, data, "company", text, quiet,
        filters={"area": area, "disease": disease, "category": category}, tags=tag,
    )


@app.command()
@shared(output=True)
def terms(
    text: Annotated[Optional[List[str]], typer.Argument(help="Free text to match (an abbreviation or words).")] = None,
    glossary: Annotated[bool, typer.Option("--glossary", help="Only the review's printed glossary.")] = False,
    tag: TagOpt = None,
    out=None,
    data=None,
) -> None:
    """List abbreviations and what they stand for.

    \b
    Examples:
      exo terms
      exo terms --glossary
      exo terms GMP
    """
    list_records(out, data, "term", text, flags={"glossary": True if glossary else None}, tags=tag)


@app.command()
@shared(output=True)
def topics(
    text: TextArg = None,
    tag: TagOpt = None,
    out=None,
    data=None,
) -> None:
    """List the review's sections, usable as --topic values.

    \b
    Examples:
      exo topics
      exo studies --topic immunoregulation
    """
    list_records(out, data, "topic", text, tags=tag)


@app.command()
@shared(output=True, fields=False)
def show(
    key: Annotated[str, typer.Argument(help="Any key, in any letter case (type:key picks a type).", autocompletion=_complete_keys)],
    out=None,
    data=None,
) -> None:
    """Show one record with everything linked to it.

    \b
    Examples:
      exo show Bruno2009
      exo show gvhd
      exo show term:gvhd
      exo show bmsc --json
    """
    from .views import detail

    cat = _load(data)
    out.emit(detail(cat, cat.require(key)))


@app.command()
@shared()
def cite(
    keys: Annotated[Optional[List[str]], typer.Argument(help="Keys to cite; '-' reads keys from stdin.", autocompletion=_complete_keys)] = None,
    style: Annotated[Optional[str], typer.Option("--style", "-s", help=_choices(model.Style) + " (default review; intext: one parenthetical for all the keys).")] = None,
    narrative: Annotated[bool, typer.Option("--narrative", help="In-text citations that name the authors in a sentence: Bruno et al. (2009).")] = False,
    format_: Annotated[str, typer.Option("--format", "-o", help=_choices(model.CiteFormat) + ".")] = "text",
    all_: Annotated[bool, typer.Option("--all", help="Cite every study (and the review itself).")] = False,
    latex: Annotated[bool, typer.Option("--latex/--utf8", help="BibTeX: escape accents and symbols for LaTeX (default) or keep UTF-8.")] = True,
    csl: Annotated[Optional[Path], typer.Option("--csl", help="Render with a CSL style file (needs exo[csl]).", metavar="FILE")] = None,
    data=None,
) -> None:
    """Cite studies (or the review, Wei2021) in a reference style, or for a reference manager.

    \b
    Examples:
      exo cite Bruno2009
      exo cite Bruno2009 Kalluri2020 --style apa
      exo cite Bruno2009 Kordelas2014 --style intext
      exo cite Bruno2009 --narrative
      exo cite Wei2021 --format bibtex
      exo studies --disease gvhd -o keys | exo cite - --format ris
      exo cite --all --format csl-json > refs.json
    """
    from . import cite as citing

    wanted = list(keys or [])
    stdin_text = _read_stdin() if "-" in wanted else ""
    cat = _load(data)
    wanted = citing.expand_keys(cat, wanted, stdin_text, all_)
    unknown: list[str] = []
    style = style or ("intext" if narrative else "review")
    fmt = citing.parse_format(format_)
    text = citing.cite(cat, wanted, style=style, fmt=fmt, latex=latex, csl=csl, narrative=narrative, unknown=unknown)
    from .output import write_citations

    write_citations(text, fmt.value, sys.stdout)
    if unknown:
        # The known keys are cited; each unknown one is named, and the exit
        # status says the list was not complete.
        for key in unknown:
            report(citing.not_found_key(cat, key, "`exo search WORDS` finds a study; `exo studies -o keys` lists every key"))
        raise typer.Exit(EXIT_NOT_FOUND)


STDIN_LIMIT = 16_000_000  # bytes: a million keys, and /dev/zero is refused at once


def _stdin_bytes(limit: int, what: str, purpose: str, hint: str) -> bytes:
    """Standard input, at most ``limit`` bytes; a UsageError naming ``what`` otherwise."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise UsageError(f"cannot read {what} from standard input: it is closed", hint)
    chunks, size = [], 0
    try:
        while size <= limit:
            chunk = stream.read(min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as e:
        raise UsageError(f"cannot read {what} from standard input: {e.strerror or e}", hint) from None
    if size > limit:
        raise UsageError(f"standard input holds more than {limit // 1_000_000:,} MB; {purpose}", hint)
    return b"".join(chunks)


def _read_stdin() -> str:
    """The keys piped to `exo cite -`: at most STDIN_LIMIT bytes of UTF-8."""
    hint = "pipe keys in, e.g. `exo studies --disease gvhd -o keys | exo cite -`"
    raw = _stdin_bytes(STDIN_LIMIT, "keys", "exo cite - reads keys", hint)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise UsageError(f"standard input is not UTF-8 text (line {line}, byte {e.start})", hint) from None


@app.command("map")
@shared(output=True, fields=False)
def map_(
    rows: Annotated[str, typer.Option("--rows", help="Row axis: " + _choices(model.MAP_AXES) + ".")] = "source",
    cols: Annotated[str, typer.Option("--cols", help="Column axis (same choices).")] = "category",
    msc_only: Annotated[bool, typer.Option("--msc-only/--all-sources", help="Sources: only MSC sources (default) or every cell source.")] = True,
    out=None,
    data=None,
) -> None:
    """The evidence map: study counts by MSC source and disease category.

    \b
    Examples:
      exo map
      exo map --all-sources
      exo map --rows disease --cols evidence
      exo map --json | jq '.[] | select(.count > 2)'
    """
    from .views import evidence_map

    cat = _load(data)
    m = evidence_map(cat, rows, cols, msc_only)
    _require(m, m.row_keys, "studies to map")
    out.emit(m)


@app.command()
@shared(output=True, fields=False)
def stats(
    out=None,
    data=None,
) -> None:
    """Counts, studies per year, the most-studied diseases and sources.

    \b
    Examples:
      exo stats
      exo stats --json | jq .counts
    """
    from .views import stats as compute

    out.emit(compute(_load(data)))


# -- your own library -------------------------------------------------------------


def _say_tags(key: str, tags: list[str]) -> None:
    from .text import one_line

    _err(f"exo: {one_line(key)}: " + (f"tags {one_line(', '.join(tags))}" if tags else "no tags"))


@app.command()
@shared()
def tag(
    key: Annotated[str, typer.Argument(help="Any key, in any letter case (type:key picks a type).", autocompletion=_complete_keys)],
    tags: Annotated[List[str], typer.Argument(help="Tags to add, such as kidney or to-read.")],
    data=None,
) -> None:
    """Tag any record (bundled ones too); tags live in annotations.toml in your library.

    \b
    Examples:
      exo tag Bruno2009 kidney to-read
      exo studies --tag to-read
    """
    from . import annotations

    cat = _load(data)
    rid = cat.require(key)
    after = annotations.tag(cat.annotation_key(rid), tags)
    _say_tags(cat.annotation_key(rid), after)


@app.command()
@shared()
def untag(
    key: Annotated[str, typer.Argument(help="The record's key.", autocompletion=_complete_keys)],
    tags: Annotated[List[str], typer.Argument(help="Tags to remove.")],
    data=None,
) -> None:
    """Remove tags from a record.

    \b
    Examples:
      exo untag Bruno2009 to-read
    """
    from . import annotations

    cat = _load(data)
    rid = cat.require(key)
    has = cat.record(rid).get("tags") or []
    missing = [t for t in tags if t.strip().casefold() not in {h.casefold() for h in has}]
    if missing:
        raise NotFound(f"tag of {cat.keys[rid]}", missing[0], has, hint=None if has else f"{cat.keys[rid]} has no tags")
    after = annotations.untag(cat.annotation_key(rid), tags)
    _say_tags(cat.annotation_key(rid), after)


@app.command()
@shared()
def note(
    key: Annotated[str, typer.Argument(help="The record's key.", autocompletion=_complete_keys)],
    text: Annotated[Optional[List[str]], typer.Argument(help="The note ('-' reads it from stdin); none shows the note.")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the note.")] = False,
    data=None,
) -> None:
    """Write a note of your own on any record (it replaces the one it had).

    \b
    Examples:
      exo note Bruno2009 "Compare with the AKI studies of 2018."
      exo note Bruno2009 - < notes.txt
      exo note Bruno2009            (shows it)
      exo note Bruno2009 --clear
    """
    from . import annotations

    cat = _load(data)
    rid = cat.require(key)
    shown = cat.annotation_key(rid)
    if clear:
        if text:
            raise UsageError("--clear takes no text", f"use `exo note {shown} --clear` alone")
        had = annotations.clear_note(cat.annotation_key(rid))
        _err(f"exo: {shown}: note removed" if had else f"exo: {shown} had no note")
        return
    if not text:
        current = cat.record(rid).get("user_note")
        if not current:
            raise NothingFound(f"{shown} has no note", f"`exo note {shown} TEXT` writes one")
        _write_text(current + "\n")
        return
    if text == ["-"]:
        raw = _stdin_bytes(STDIN_LIMIT, "the note", "a note must be shorter", f"pipe the note in: `exo note {shown} - < note.txt`")
        try:
            body = raw.decode("utf-8").lstrip("\ufeff")
        except UnicodeDecodeError as e:
            raise UsageError(f"standard input is not UTF-8 text (byte {e.start})", "save the note as UTF-8") from None
    else:
        body = " ".join(text)
    annotations.set_note(cat.annotation_key(rid), body)
    _err(f"exo: {shown}: note saved")


@app.command("tags")
@shared(output=True)
def tags_(
    out=None,
    data=None,
) -> None:
    """List your tags, most used first, with the records carrying each.

    \b
    Examples:
      exo tags
      exo tags --json
    """
    from .query import tag_objects

    out.fields(["tag"])
    cat = _load(data)
    objs = tag_objects(cat)
    if cat.unmatched:
        from .text import one_line

        n = len(cat.unmatched)
        shown = ", ".join(cat.unmatched[:5]) + (f" and {n - 5} more" if n > 5 else "")
        _err(f"exo: note: annotations.toml names {n} record{'s' if n != 1 else ''} not loaded now ({one_line(shown)}); "
             "their tags are kept, not counted")
    result = out.listing(objs, ["tag"])
    _require(result, objs, "tags yet", out, hint="`exo tag KEY TAG` adds one")
    out.emit(result)


@app.command("open")
@shared()
def open_(
    key: Annotated[str, typer.Argument(help="A study's key.", autocompletion=_complete_keys)],
    print_: Annotated[bool, typer.Option("--print", help="Print the link instead of opening it.")] = False,
    data=None,
) -> None:
    """Open a study's DOI link in your web browser (the one $BROWSER names, if set).

    \b
    Examples:
      exo open Bruno2009
      exo open Bruno2009 --print
    """
    from .views import link_of

    cat = _load(data)
    rid = cat.require(key)
    rec = cat.record(rid)
    url = link_of(rec)
    if url is None:
        has_doi = model.BY_NAME[rec["type"]].field("doi") is not None
        kind = "" if has_doi else f" (it is a {rec['type']}; studies have DOIs)"
        raise NothingFound(f"{rec['key']} has no DOI to open{kind}")
    if print_:
        _write_text(url + "\n")
        return
    import webbrowser

    if not webbrowser.open(url):
        _write_text(url + "\n")
        raise UsageError("no web browser could be started", "set BROWSER to one, or use --print")


@app.command("import")
@shared()
def import_(
    files: Annotated[List[str], typer.Argument(help="BibTeX, RIS, CSL-JSON or PubMed/MEDLINE files; '-' reads stdin.")],
    into: Annotated[Optional[Path], typer.Option("--into", help="The folder whose studies.toml gets the new studies (default: your library).", metavar="DIR")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the TOML that would be added; write nothing.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Write nothing if any entry is bad.")] = False,
    data=None,
) -> None:
    """Import references from Zotero, JabRef, Mendeley, EndNote, Web of Science or PubMed.

    The format comes from the content. Studies already loaded (same DOI,
    PMID, or title, year and first author) are skipped; the rest get keys
    by exo's rule and suggested diseases, sources, mechanisms and evidence.

    \b
    Examples:
      exo import refs.bib
      exo import pubmed-export.nbib --dry-run
      exo cite Bruno2009 --format ris | exo import -
    Exit status: 0 imported, 1 nothing new to import, 2 a bad file or entry.
    """
    from . import importer
    from .loader import library_dir

    folder = into if into is not None else library_dir()
    if folder is None:
        raise UsageError("no library folder: HOME is not set", "set EXO_LIBRARY, or give --into DIR")
    if "-" in files and files.count("-") > 1:
        raise UsageError("'-' given twice", "standard input can be read once")
    batches = []
    for name in files:
        _err_progress(f"exo: reading {name}")
        if name == "-":
            raw = _stdin_bytes(1 << 31, "references", "save them to a file and import that", "pipe a file in: `exo import - < refs.bib`")
            text, problem = importer.decode(raw, "<stdin>")
            del raw
            if text is None:
                batch = importer.Batch("<stdin>", None)
                batch.problems.append(problem)
            else:
                batch = importer.read_text(text, "<stdin>")
        else:
            batch = importer.read_path(name)
        batches.append(batch)
    _err_progress("")
    from .loader import folders, is_dir, same_path

    extra = list(data or [])
    lib = library_dir()
    read = [f.path for f in folders(extra)] + ([lib] if lib is not None else [])
    if not dry_run and not any(same_path(p, Path(folder)) for p in read):
        _err(f"exo: note: exo does not read {folder}; add it to EXO_DATA_PATH or pass --data {folder} to see these studies")
    if is_dir(Path(folder)):
        extra.append(Path(folder))  # its studies count for keys and duplicates, even if exo does not read it
    cat = _load(extra)
    outcome = importer.run(cat, batches, folder, dry_run=dry_run, strict=strict, progress=_import_progress())
    _err_progress("")
    if dry_run and outcome.text:
        _write_text(outcome.text)
    for line in outcome.report(_shown_path(outcome.into), dry_run):
        _err(line)
    failure = outcome.failure(strict)
    if failure is not None:
        raise failure


def _import_progress():
    """A percentage on stderr while a big import is annotated (on a terminal only)."""
    if not _isatty(sys.stderr):
        return None

    def progress(stage: str, done: int, total: int) -> None:
        from .output.progress import import_line

        line = import_line(stage, done, total)
        if line is not None:
            _err_progress(line)

    return progress


def _err_progress(text: str) -> None:
    if _isatty(sys.stderr):
        from .text import clip

        _err_line(clip(text, max(1, _stderr_columns() - 1)) if text else "")


def _shown_path(path: Path) -> str:
    """A path as people read it: ~/... under the home folder."""
    home = os.environ.get("HOME")
    try:
        if home and os.path.isabs(home):
            return "~/" + str(Path(path).absolute().relative_to(Path(home).absolute()))
    except ValueError:
        pass
    return str(path)


@app.command()
@shared(data=False)
def validate(
    dirs: Annotated[Optional[List[Path]], typer.Argument(help="Data folders to check, with the bundled data (default: EXO_DATA_PATH).")] = None,
) -> None:
    """Check data folders against the schema; report every problem at once.

    \b
    Examples:
      exo validate
      exo validate ~/my-exo-data
    Exit status: 0 when clean, 2 when a problem was found.
    """
    from .loader import data_dirs, validate as check

    # A user folder is checked together with the bundled data, since its
    # records may link to bundled keys (diseases = ["gvhd"]).
    folders = data_dirs(dirs, env={}) if dirs else data_dirs()
    counts = check(folders)
    summary = ", ".join(f"{n} {t}" for t, n in counts.items())
    _err(f"exo: {len(folders)} folder{'s' if len(folders) != 1 else ''} OK ({summary or 'no records'})")


def main() -> None:
    """The console entry point: exit codes 0/1/2, 130 on Ctrl-C, quiet pipes."""

    from . import signals

    signals.install()  # the handler `entry` installed; again for `python -c "...main()"` and tests
    _guard_stderr()
    if sys.stdout is None:  # started with stdout closed (`exo ... >&-`)
        report(UsageError("cannot write the output: standard output is closed"))
        sys.exit(EXIT_USAGE)
    _fit_locale()
    code: int | str | None = 0
    try:
        _app_for(sys.argv[1:])(prog_name="exo")
    except Interrupted as e:
        if e.code == EXIT_INTERRUPTED:
            _quiet_pipe_stderr_newline()
        code = e.code
    except SystemExit as e:
        code = e.code
        if code == 1 and isinstance(e.__context__, BrokenPipeError):
            # NOTE: click ends with 1 when the reader of --help or --version
            # goes away (`exo --help | true`); every exo command ends with 0.
            _quiet_pipe()
            code = 0
    except BrokenPipeError:
        _quiet_pipe()
        code = 0
    except OSError as e:
        # Writing --help or --version failed (`exo --version > /dev/full`).
        code = _os_error(e)
    finally:
        # NOTE: the work is done (or abandoned); a Ctrl-C from here on could
        # only land while the interpreter shuts down, after Python has put
        # back the default handler, and kill the process instead of exiting.
        signals.block()
    _exit_now(code)


def _exit_now(code) -> None:
    """Exit without the interpreter's teardown (about 8 ms of freeing modules
    and objects nobody will use): flush what was written, then leave."""
    if code is None:
        code = 0
    elif not isinstance(code, int):
        _err(str(code))
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:
            _quiet_pipe()
        except (OSError, ValueError, AttributeError):
            if stream is sys.stdout and code == 0:
                code = EXIT_USAGE
    os._exit(code)


class _Stderr(io.RawIOBase):
    """File descriptor 2 for messages, where a failed write is dropped.

    NOTE: an error message that cannot be written (`2>/dev/full`, a closed
    pipe after `2>&1 | true`) must not turn exit 2 into click's 1 or into a
    traceback; what the message would have said is lost either way.
    """

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, data) -> int:
        try:
            return os.write(self._fd, data)
        except OSError:
            return len(data)


def _guard_stderr() -> None:
    """Make sys.stderr a stream whose writes never fail (`2>&-` included)."""
    old = sys.stderr
    try:
        fd = old.fileno()
    except (AttributeError, OSError, ValueError):
        # Started with stderr closed: messages go nowhere, and the file
        # descriptor is taken so that nothing else lands on it.
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
        return
    encoding = getattr(old, "encoding", None) or "utf-8"
    sys.stderr = io.TextIOWrapper(
        io.BufferedWriter(_Stderr(fd)), encoding=encoding, errors="backslashreplace", line_buffering=True
    )


def _fit_locale() -> None:
    """Under a locale that cannot write every character (ISO-8859-1), print
    what it can and a replacement for the rest, instead of failing."""
    import codecs

    try:
        if codecs.lookup(sys.stdout.encoding).name != "utf-8":
            sys.stdout.reconfigure(errors="replace")
    except (AttributeError, LookupError, TypeError, ValueError):
        pass


def _app_for(argv: list[str]) -> typer.Typer:
    """The app with only the command being run.

    NOTE: Typer converts every registered command's signature on each run
    (about 10 ms for all of exo's); a run needs only its own command. Help,
    completion and anything unusual get the full app.
    """
    if any(a.startswith("--install-completion") or a.startswith("--show-completion") for a in argv) or os.environ.get(
        "_EXO_COMPLETE"
    ):
        return app
    first = next((a for a in argv if not a.startswith("-")), None)
    if first is None:
        if argv and all(a in ("--version", "-V") for a in argv):
            wanted: list = []
        else:
            return app
    else:
        wanted = [c for c in app.registered_commands if (c.name or c.callback.__name__) == first]
        if not wanted:
            return app
    slim = _new_app()
    slim.registered_callback = app.registered_callback
    slim.registered_commands = wanted
    return slim


def _quiet_pipe_stderr_newline() -> None:
    try:
        if _isatty(sys.stderr):
            sys.stderr.write("\n")
    except (OSError, ValueError):
        pass
