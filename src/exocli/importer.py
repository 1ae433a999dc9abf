"""Reading other programs' reference files into exo studies.

This module owns `exo import` below the command line: it never prints.

1. `read_text` / `read_path` detect the format from the content
   (`detect_format`: BibTeX, RIS, CSL-JSON, PubMed/MEDLINE) and hand it to
   one reader. Every reader returns a `Batch`: studies already in exo's
   schema (authors as "Surname, I.", pages with an en dash, bare DOIs), each
   with the place it came from (`Origin`), plus every located `Problem`
   (entries left out) and warning (entries kept with something to know).
2. `assign_keys` gives each study a key by the project's rule, never
   colliding in any letter case with the keys already loaded.
3. `deduplicate` drops studies already present (same DOI or PMID, or same
   title, year and first author) and repeats within the batch, saying why.
4. `build_vocabulary` + `suggest` add diseases, sources, mechanisms and
   evidence found in the title, abstract and keywords, marked `suggested`.
5. `render_toml` / `append_studies` write the result to a library's
   ``studies.toml``, keeping what the file already holds byte for byte.

Parsers are imported inside the readers that need them: bibtexparser 2 for
BibTeX, rispy for RIS, json for CSL-JSON; MEDLINE has a reader of its own
(see `read_medline`). tomli-w writes the values.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from . import model
from .text import one_line
from .errors import DataError, ExoError, NothingFound, Problem, UsageError, quoted

__all__ = [
    "FORMATS",
    "Origin",
    "Imported",
    "Batch",
    "Skip",
    "detect_format",
    "read_text",
    "read_path",
    "read_bibtex",
    "read_ris",
    "read_csl_json",
    "read_medline",
    "normalise_doi",
    "person",
    "normalise_pages",
    "base_key",
    "assign_keys",
    "deduplicate",
    "Vocabulary",
    "build_vocabulary",
    "suggest",
    "check_study",
    "schema_problems",
    "render_toml",
    "append_studies",
]

FORMATS = ("bibtex", "ris", "csl-json", "medline")
EXTENSIONS = {
    ".bib": "bibtex", ".bibtex": "bibtex", ".biblatex": "bibtex",
    ".ris": "ris",
    ".json": "csl-json", ".csljson": "csl-json",
    ".nbib": "medline", ".medline": "medline",
}
BIBLIOGRAPHIC = ("title", "authors", "et_al", "year", "journal", "volume", "issue", "pages", "doi", "pmid", "abstract", "keywords", "url")


@dataclass(frozen=True)
class Origin:
    """Where an entry came from: file, entry (its key, ID or ``#ordinal``) and line."""

    file: str
    entry: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where} [{self.entry}]"


@dataclass
class Imported:
    """One study read from a file, in exo's schema, and where it came from."""

    study: dict
    origin: Origin


@dataclass
class Batch:
    """What one file gave: studies, entries left out (problems), and warnings."""

    file: str
    format: str | None
    entries: list[Imported] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def studies(self) -> list[dict]:
        return [e.study for e in self.entries]


@dataclass(frozen=True)
class Skip:
    """A study not imported because it is already there."""

    origin: Origin
    key: str  # the record it duplicates (an existing key, or the key given to the first copy)
    reason: str  # "same DOI", "same PMID", "same title, year and first author"
    in_batch: bool = False

    def __str__(self) -> str:
        where = "" if self.origin.entry == self.key else f" as {self.origin.entry}"
        again = " (twice in this import)" if self.in_batch else ""
        return f"{self.key}: {self.reason}{again}{where}"


# ---------------------------------------------------------------------------
# Detecting the format

_RIS_LINE = re.compile(r"^(?:\ufeff)?TY  - ", re.M)
_MEDLINE_LINE = re.compile(r"^PMID- ?\d", re.M)
_MEDLINE_TAG = re.compile(r"^[A-Z][A-Z0-9]{1,3} {0,3}- ", re.M)
_BIB_ENTRY = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.M)
_WOS_TAGGED = re.compile(r"^(?:FN |PT [A-Z]\s*$)", re.M)


def detect_format(text: str, filename: str | None = None) -> str | None:
    """The format of a reference file, from its content first: one of `FORMATS`, or None.

    The extension only breaks a tie (content that could be either) or names
    the format of an empty file.
    """
    head = text.lstrip("\ufeff \t\r\n")
    ext = EXTENSIONS.get(Path(filename).suffix.lower()) if filename else None
    if head[:1] in "[{" and head:
        return "csl-json"
    sample = text[:200_000]
    # The format whose mark comes first wins: a BibTeX abstract may quote a
    # line that looks like MEDLINE, but never before the first @entry.
    found = []
    for fmt, pattern in (("medline", _MEDLINE_LINE), ("ris", _RIS_LINE), ("bibtex", _BIB_ENTRY)):
        m = pattern.search(sample)
        if m:
            found.append((m.start(), fmt != ext, fmt))
    if found:
        return min(found)[2]
    if not head.strip():
        return ext
    return None


def _unknown_format_problem(text: str, filename: str) -> Problem:
    if _WOS_TAGGED.search(text[:2000]):
        msg = "this is Web of Science's tagged format; export the records as RIS (\"RIS (other reference software)\") and import that"
    else:
        msg = (
            "not a reference file exo can read: no BibTeX entry (@article{...}), RIS record (TY  - ), "
            "CSL-JSON array or PubMed/MEDLINE record (PMID- ) found"
        )
    return Problem(filename, msg)


def read_text(text: str, filename: str = "-", fmt: str | None = None) -> Batch:
    """Every study in ``text``, read as ``fmt`` (detected from the content when None)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    fmt = fmt or detect_format(text, filename)
    if fmt is None:
        batch = Batch(filename, None)
        if text.strip():
            batch.problems.append(_unknown_format_problem(text, filename))
        return batch
    if fmt not in READERS:
        raise ValueError(f"unknown format {fmt!r}; choose from: {', '.join(FORMATS)}")
    return READERS[fmt](text, filename)


def read_path(path: str | Path, fmt: str | None = None) -> Batch:
    """Every study in the file at ``path``; an unreadable file is one located problem."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        batch = Batch(name, None)
        batch.problems.append(Problem(name, f"cannot read: {e.strerror or e}"))
        return batch
    text, problem = decode(raw, name)
    del raw  # the text is a copy; a big export need not be held twice
    if text is None:
        batch = Batch(name, None)
        batch.problems.append(problem)
        return batch
    return read_text(text, name, fmt)


def decode(raw: bytes, name: str) -> tuple[str | None, Problem | None]:
    """Bytes as text: UTF-8 (with or without BOM), or UTF-16 with a BOM; else a located problem."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), None
        except UnicodeDecodeError:
            pass
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        return None, Problem(name, f"not UTF-8 (byte {e.start}); save or export the file as UTF-8", line=line)
    if "\x00" in text[:4096]:
        return None, Problem(name, "holds NUL bytes: a binary file, or text in an encoding other than UTF-8")
    return text.lstrip("\ufeff"), None


# ---------------------------------------------------------------------------
# Normalising fields

_SPACE = re.compile(r"\s+")
_DOI_PREFIX = re.compile(r"^(?:(?:https?://)?(?:dx\.)?doi\.org/|doi\s*[:=]?\s*|info:doi/|urn:doi:)", re.I)


def clean(text: object) -> str:
    """One line of text: whitespace (tabs, newlines, no-break spaces) collapsed and trimmed."""
    return _SPACE.sub(" ", str(text).replace("\u00a0", " ")).strip()


def normalise_doi(value: object) -> str | None:
    """A bare DOI (``10.1681/ASN.2008070798``) from any form people write, or None.

    https://doi.org/, http://dx.doi.org/, ``doi:`` and ``DOI `` prefixes go,
    and so do percent-encoded slashes and a trailing period or comma.
    """
    if value is None:
        return None
    text = clean(value)
    for _ in range(2):  # "doi: https://doi.org/10..." happens
        text = _DOI_PREFIX.sub("", text).strip()
    text = text.replace("%2F", "/").replace("%2f", "/").rstrip(".,;")
    text = text.split()[0] if text else text
    # NOTE: the loader's own pattern, so an imported DOI always loads.
    return text if model.DOI_RE.fullmatch(text) else None


def fold_doi(doi: object) -> str | None:
    d = normalise_doi(doi)
    return d.casefold() if d else None


def fold_title(title: object) -> str:
    """A title for comparison: accents, case, punctuation and spacing removed."""
    text = unicodedata.normalize("NFKD", str(title or ""))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(re.findall(r"[^\W_]+", text))


def normalise_pages(value: object) -> str | None:
    """Pages as the bundled data writes them: ``1053–1067``, ``e1902686``, ``S1–S10``.

    Hyphens, double hyphens and dashes between two page numbers become an en
    dash; MEDLINE's shortened ranges (``1053-67``) are written out in full.
    """
    if value is None:
        return None
    text = clean(value)
    if not text:
        return None
    m = re.fullmatch(r"(\S+?)\s*(?:-{1,3}|[\u2010-\u2015\u2212])\s*(\S+)", text)
    if not m:
        return text
    first, last = m.group(1), m.group(2)
    if first.isdigit() and last.isdigit() and len(last) < len(first):
        last = first[: len(first) - len(last)] + last
    return f"{first}\u2013{last}"


_YEAR = re.compile(r"(?<!\d)(1\d{3}|2\d{3})(?!\d)")


def parse_year(value: object) -> int | None:
    """The year of a date as people write it: 2019, "2019/03/21/", "2020 Feb", "2016-06"."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1000 <= value <= 2999 else None
    m = _YEAR.search(str(value or ""))
    return int(m.group(1)) if m else None


_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "2nd", "3rd"}
_INITIALS_WRITTEN = re.compile(r"(?:[^\W\d_]{1,2}\.?(?:-[^\W\d_]{1,2}\.?)*|[a-z]{1,3}\.)")


def person(family: str, given: str = "", suffix: str = "") -> str:
    """An author as the bundled data writes one: ``Surname, I. I.``.

    Given names become initials with periods and spaces ("Maria Chiara" ->
    "M. C.", "Jean-Pierre" -> "J.-P."); PubMed's run-together initials
    ("DK") are spread out. A given part already written as initials with
    periods ("S. A", "G. C. t.") is kept as written. An all-capitals
    surname is written in title case. A name with no given part (a
    consortium, an organisation) is kept whole.
    """
    family = clean(family).strip(",")
    given = clean(given).strip(",")
    suffix = clean(suffix)
    if suffix and suffix.lower() not in _SUFFIXES and given.lower() in _SUFFIXES:
        suffix, given = given, suffix  # "Sherry, John F., Jr." as people write it, not as BibTeX reads it
    if family.isupper() and sum(ch.isalpha() for ch in family) > 1:
        family = _title_case(family)
    if suffix:
        family = f"{family} {suffix}"
    initials = initials_of(given)
    return f"{family}, {initials}" if initials else family


def _title_case(word: str) -> str:
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0)[0] + m.group(0)[1:].lower(), word)


def initials_of(given: str) -> str:
    """Initials of the given names, "Surname, I." style (see `person`)."""
    given = re.sub(r"\.(?=[^\s.\-])", ". ", given.strip())
    tokens = given.split()
    if not tokens:
        return ""
    if "." in given and all(_INITIALS_WRITTEN.fullmatch(t) for t in tokens):
        return " ".join(tokens)
    out = []
    for tok in tokens:
        bare = tok.strip(".,()")
        if not bare:
            continue
        if bare[0].islower() and len(bare) <= 3:
            out.append(tok)  # a particle kept as written ("t.", "de")
        elif bare.isupper() and bare.isalpha() and 1 < len(bare) <= 3 and "." not in tok:
            out.extend(ch + "." for ch in bare)  # PubMed's "DK"
        else:
            parts = [p for p in bare.split("-") if p]
            letters = [next((c for c in p if c.isalpha()), "") for p in parts]
            letters = [c.upper() for c in letters if c]
            if letters:
                out.append("-".join(c + "." for c in letters))
    return " ".join(out)


def name_from_text(text: str) -> str:
    """An author written as one string: "Family, Given", "Family GI" (PubMed) or "Given Family"."""
    text = clean(text)
    if not text:
        return ""
    if "," in text:
        family, _, rest = text.partition(",")
        parts = [p.strip() for p in rest.split(",")]
        if len(parts) > 1 and parts[0].lower() in _SUFFIXES:
            return person(family, parts[1], parts[0])
        if len(parts) > 1 and parts[-1].lower() in _SUFFIXES:
            return person(family, " ".join(parts[:-1]), parts[-1])
        return person(family, " ".join(parts))
    tokens = text.split()
    if len(tokens) == 1:
        return person(text)
    last = tokens[-1]
    if last.isupper() and last.isalpha() and len(last) <= 3:
        return person(" ".join(tokens[:-1]), last)
    # "Given von Family": the family starts at the first lower-case particle
    for i, tok in enumerate(tokens[:-1]):
        if i > 0 and tok[0].islower():
            return person(" ".join(tokens[i:]), " ".join(tokens[:i]))
    return person(last, " ".join(tokens[:-1]))


def _strip_title(text: str) -> str:
    """A title without the trailing period PubMed adds, and without surrounding quotes."""
    text = clean(text)
    if text.endswith(".") and not text.endswith(("..", "et al.", " sp.", " spp.")):
        text = text[:-1]
    return text


_TAG = re.compile(r"</?(?:i|b|em|strong|sup|sub|sc|span|div|p|br)\b[^>]*>", re.I)


def strip_markup(text: str) -> str:
    """A CSL / PubMed title without its HTML-like rich-text tags (<i>, <sup>, <span ...>)."""
    return _TAG.sub("", text) if "<" in text else text


def _keywords(values: Iterable[str], split: bool = True) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for v in values:
        if v is None:
            continue
        # NOTE: a list holding semicolons is split at them alone, so a
        # keyword with a comma ("Evolution, Molecular") stays whole.
        sep = r"\s*;\s*|\n+" if ";" in str(v) else r"\s*,\s*|\n+"
        pieces = re.split(sep, str(v)) if split else [str(v)]
        for p in pieces:
            p = clean(p).strip("*")
            if p and p.casefold() not in seen:
                seen.add(p.casefold())
                out.append(p)
    return out


def _finish(study: dict, origin: Origin, batch: Batch) -> None:
    """Check the required fields, then add the study (or a located problem) to the batch."""
    missing = [f for f in ("title", "authors", "year") if not study.get(f)]
    for name in list(study):
        value = study[name]
        if value in (None, "", []) and name not in ("title", "authors", "year"):
            del study[name]
    if missing:
        what = " and ".join(missing) if len(missing) < 3 else "title, authors and year"
        batch.problems.append(
            Problem(origin.file, f"no {what}: a study needs a title, at least one author and a year; entry left out",
                    record=origin.entry, line=origin.line)
        )
        return
    # What the loader would refuse: an optional field is left out with a
    # warning; a required one leaves the entry out.
    for p in schema_problems("K", study, origin.file):
        where = dict(record=origin.entry, field=p.field, line=origin.line)
        if p.field in ("title", "authors", "year") or p.field is None:
            batch.problems.append(Problem(origin.file, f"{p.message}; entry left out", **where))
            return
        if p.field in study:
            del study[p.field]
            batch.warnings.append(Problem(origin.file, f"{p.message}; left out of the study", **where))
    batch.entries.append(Imported(study, origin))


def _bad_year(value: object, origin: Origin, batch: Batch) -> None:
    batch.warnings.append(
        Problem(origin.file, f"no year can be read from {quoted(value, 40)}", record=origin.entry, field="year", line=origin.line)
    )


def _bad_doi(value: object, origin: Origin, batch: Batch) -> None:
    batch.warnings.append(
        Problem(origin.file, f"{quoted(value, 60)} is not a DOI (10.NNNN/suffix); left out of the study",
                record=origin.entry, field="doi", line=origin.line)
    )


# ---------------------------------------------------------------------------
# BibTeX (bibtexparser 2)

_MONTHS = {m: m.capitalize() for m in ("jan feb mar apr may jun jul aug sep oct nov dec".split())}
_LATEX_HINT = re.compile(r"[\\{}$~]|--")


def read_bibtex(text: str, filename: str = "-") -> Batch:
    """BibTeX or biblatex as Zotero, Better BibTeX, JabRef and Mendeley write it.

    bibtexparser 2 splits the file into blocks (with their lines) and
    reports the blocks it cannot parse; values are then evaluated here:
    ``@string`` macros and month names, ``#`` concatenation, braces and
    quotes, and LaTeX accents and commands (through pylatexenc, which
    bibtexparser 2 uses itself) so ``G{\\'{o}}mez`` reads ``Gómez``. Every
    entry type is read. Names are split by BibTeX's rules ("Last, First",
    "First von Last", "Last, Jr, First"; "and others" sets ``et_al``).
    """
    import bibtexparser
    from bibtexparser import model as bm

    batch = Batch(filename, "bibtex")
    library = bibtexparser.parse_string(text, parse_stack=[])
    macros: dict[str, str] = dict(_MONTHS)
    ordinal = 0
    for block in library.blocks:
        line = (block.start_line + 1) if getattr(block, "start_line", None) is not None else None
        if isinstance(block, bm.String):
            macros[block.key.lower()] = _bib_value(block.value, macros)[0]
        elif isinstance(block, bm.Entry):
            ordinal += 1
            _bib_entry(block, line, ordinal, macros, batch)
        elif isinstance(block, bm.DuplicateBlockKeyBlock):
            ordinal += 1
            entry = getattr(block, "ignore_error_block", None)
            if isinstance(entry, bm.Entry):
                batch.warnings.append(
                    Problem(filename, f"the key {entry.key!r} is used by an earlier entry too; both are read",
                            record=entry.key, line=line)
                )
                _bib_entry(entry, line, ordinal, macros, batch)
        elif isinstance(block, bm.ParsingFailedBlock):
            ordinal += 1
            raw = block.raw or ""
            m = re.match(r"\s*@\s*(\w+)\s*[{(]\s*([^,\s]*)", raw)
            record = m.group(2) if m and m.group(2) else f"#{ordinal}"
            if m and m.group(1).lower() in ("comment", "preamble", "string"):
                record = f"@{m.group(1)}"
            err = getattr(block, "error", None)
            detail = _bib_error(err)
            batch.problems.append(
                Problem(filename, f"malformed BibTeX entry{detail}; check its braces, quotes and commas; entry left out",
                        record=record, line=line)
            )
    return batch


def _bib_error(err: object) -> str:
    if err is None:
        return ""
    text = str(err).strip()
    if not text or text == type(err).__name__:
        name = type(err).__name__
        return {"BlockAbortedException": " (it ends before its closing brace: the next @ entry starts inside it)"}.get(name, "")
    return f" ({clean(text)[:120]})"


def _value_end(raw: str, i: int) -> int:
    """Where the {braced} or "quoted" BibTeX value opening at ``i`` closes:
    braces nest, a backslash escapes the next character, and a quote ends a
    quoted value only outside braces."""
    quoted = raw[i] == '"'
    depth, j = (0, i + 1) if quoted else (0, i)
    while j < len(raw):
        c = raw[j]
        if c == "\\":
            j += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0 and not quoted:
                break
        elif c == '"' and quoted and depth == 0:
            break
        j += 1
    return j


def _bib_value(raw: str, macros: dict[str, str]) -> tuple[str, list[str]]:
    """A raw field value evaluated: pieces joined by ``#``; returns (text, undefined macros)."""
    raw = raw.strip()
    pieces: list[str] = []
    undefined: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        ch = raw[i]
        if ch.isspace() or ch == "#":
            i += 1
        elif ch in '{"':
            j = _value_end(raw, i)
            pieces.append(raw[i + 1 : j])
            i = j + 1
        else:
            j = i
            while j < n and not raw[j].isspace() and raw[j] != "#":
                j += 1
            word = raw[i:j]
            if word.isdigit():
                pieces.append(word)
            elif word.lower() in macros:
                pieces.append(macros[word.lower()])
            else:
                undefined.append(word)
                pieces.append(word)
            i = j
    return "".join(pieces), undefined


_LATEX = None


def latex_to_text(value: str) -> str:
    """LaTeX in a BibTeX value as plain Unicode: accents, braces, dashes, math letters."""
    if not _LATEX_HINT.search(value):
        return clean(value)
    global _LATEX
    if _LATEX is None:
        from pylatexenc.latex2text import LatexNodes2Text

        _LATEX = LatexNodes2Text(math_mode="text", strict_latex_spaces=True)
    try:
        text = _LATEX.latex_to_text(value)
    except Exception:  # noqa: BLE001 - pylatexenc raises on odd input; keep the value readable
        text = re.sub(r"[{}]", "", value)
    return clean(text)


def _bib_names(raw: str) -> tuple[list[str], bool]:
    """Authors of a BibTeX name list as "Surname, I.", and whether it ended in "and others"."""
    from bibtexparser.middlewares.names import (
        parse_single_name_into_parts,
        split_multiple_persons_names,
    )

    out: list[str] = []
    et_al = False
    for name in split_multiple_persons_names(raw):
        name = clean(name)
        if not name:
            continue
        if name.lower() == "others":
            et_al = True
            continue
        try:
            parts = parse_single_name_into_parts(name, strict=False)
        except Exception:  # noqa: BLE001
            out.append(name_from_text(latex_to_text(name)))
            continue
        family = " ".join(latex_to_text(p) for p in parts.von + parts.last)
        given = " ".join(latex_to_text(p) for p in parts.first)
        jr = " ".join(latex_to_text(p) for p in parts.jr)
        if not family and given:
            family, given = given, ""
        out.append(person(family, given, jr))
    return [a for a in out if a], et_al


def _bib_entry(entry, line: int | None, ordinal: int, macros: dict[str, str], batch: Batch) -> None:
    origin = Origin(batch.file, entry.key or f"#{ordinal}", line)
    raw: dict[str, str] = {}
    for f in entry.fields:
        value, undefined = _bib_value(f.value if isinstance(f.value, str) else str(f.value), macros)
        key = f.key.lower()
        if key in raw:  # JabRef's tests: a field given twice; keep the first, as BibTeX does
            continue
        raw[key] = value
        if undefined and key in ("title", "journal", "journaltitle", "booktitle", "year", "author"):
            batch.warnings.append(
                Problem(batch.file, f"uses @string {', '.join(undefined)}, which this file does not define; kept as written",
                        record=origin.entry, field=key, line=line)
            )
    study: dict = {}
    if raw.get("title"):
        study["title"] = latex_to_text(raw["title"])
    authors, et_al = _bib_names(raw["author"]) if raw.get("author") else ([], False)
    if not authors and raw.get("editor") and entry.entry_type.lower() in ("book", "proceedings", "collection"):
        authors, et_al = _bib_names(raw["editor"])
    study["authors"] = authors
    if et_al:
        study["et_al"] = True
    year_text = raw.get("year") or raw.get("date") or ""
    year = parse_year(latex_to_text(year_text)) if year_text else None
    if year_text and year is None:
        _bad_year(year_text, origin, batch)
    study["year"] = year
    journal = raw.get("journal") or raw.get("journaltitle")
    if not journal and entry.entry_type.lower() in ("inproceedings", "incollection", "inbook", "conference"):
        journal = raw.get("booktitle")
    if journal:
        study["journal"] = latex_to_text(journal)
    for src, dst in (("volume", "volume"), ("number", "issue"), ("issue", "issue")):
        if raw.get(src) and dst not in study:
            study[dst] = latex_to_text(raw[src])
    if raw.get("pages"):
        study["pages"] = normalise_pages(latex_to_text(raw["pages"]))
    elif raw.get("eid"):
        study["pages"] = latex_to_text(raw["eid"])
    if raw.get("doi"):
        doi = normalise_doi(latex_to_text(raw["doi"]).replace("\\_", "_"))
        if doi:
            study["doi"] = doi
        else:
            _bad_doi(raw["doi"], origin, batch)
    if raw.get("pmid"):
        study["pmid"] = clean(raw["pmid"])
    if raw.get("abstract"):
        study["abstract"] = latex_to_text(raw["abstract"])
    kw = raw.get("keywords") or raw.get("keyword")
    if kw:
        study["keywords"] = _keywords([latex_to_text(kw)])
    url = raw.get("url")
    if url:
        study["url"] = clean(url).split()[0]
    _finish(study, origin, batch)


# ---------------------------------------------------------------------------
# RIS (rispy)

_RIS_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9])  -(?: |$)")
_ER_LINE = re.compile(r"^ER  -\s*$")


def read_ris(text: str, filename: str = "-") -> Batch:
    """RIS as Zotero, EndNote and Web of Science write it, parsed by rispy.

    EndNote continues a value on untagged lines (keywords one a line);
    Web of Science puts the journal in T2 (in capitals), the article number
    in C7 and the date in DA ("2024 JAN 22"); Zotero writes ``PY  -
    2007/03/21/``. Each record is located by the line of its ``TY`` tag.
    """
    import rispy

    batch = Batch(filename, "ris")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    starts = [i + 1 for i, ln in enumerate(lines) if ln.startswith("TY  -")]
    ends = sum(1 for ln in lines if _ER_LINE.match(ln))
    if starts and ends < len(starts):
        batch.warnings.append(
            Problem(filename, f"{len(starts) - ends} record(s) do not end with an 'ER  - ' line; each TY line starts a new record")
        )
    try:
        records = rispy.loads(text, skip_unknown_tags=False, enforce_list_tags=False,
                              list_tags=["AU", "A1", "A2", "A3", "A4", "KW", "N1", "UR", "SN", "C7", "AN", "AD", "DO"])
    except Exception as e:  # noqa: BLE001 - rispy raises IOError/ValueError for a broken layout
        line = None
        m = re.search(r"line (\d+)", str(e))
        if m:
            line = int(m.group(1))
        batch.problems.append(Problem(filename, f"malformed RIS: {clean(e)[:160]}", line=line))
        return batch
    for n, rec in enumerate(records):
        line = starts[n] if n < len(starts) else None
        _ris_record(rec, n + 1, line, batch)
    return batch


def _first(rec: dict, *keys: str) -> str | None:
    for k in keys:
        v = rec.get(k)
        if isinstance(v, list):
            v = next((x for x in v if x and str(x).strip()), None)
        if v is not None and str(v).strip():
            return str(v)
    return None


_EXO_TRUNCATED = "Author list truncated"


def _ris_record(rec: dict, ordinal: int, line: int | None, batch: Batch) -> None:
    entry = _first(rec, "id") or f"#{ordinal}"
    origin = Origin(batch.file, clean(entry), line)
    study: dict = {}
    title = _first(rec, "title", "primary_title", "translated_title")
    if title:
        study["title"] = clean(strip_markup(title))
    names = []
    for key in ("authors", "first_authors"):
        for a in rec.get(key) or ():
            for piece in str(a).split("\n"):  # EndNote: further authors on continuation lines
                if piece.strip():
                    names.append(name_from_text(piece))
        if names:
            break
    study["authors"] = [a for a in names if a]
    year_text = _first(rec, "year", "publication_year", "date")
    year = parse_year(year_text) if year_text else None
    if year_text and year is None:
        _bad_year(year_text, origin, batch)
    study["year"] = year
    journal = _first(rec, "secondary_title", "journal_name", "alternate_title3", "alternate_title2", "alternate_title1")
    if journal:
        study["journal"] = clean(journal)
    if _first(rec, "volume"):
        study["volume"] = clean(_first(rec, "volume"))
    if _first(rec, "number"):
        study["issue"] = clean(_first(rec, "number"))
    sp, ep = _first(rec, "start_page"), _first(rec, "end_page")
    if sp and ep and clean(ep) != clean(sp):
        study["pages"] = normalise_pages(f"{clean(sp)}-{clean(ep)}")
    elif sp:
        study["pages"] = normalise_pages(sp)
    elif _first(rec, "custom7"):  # Web of Science: the article number
        study["pages"] = clean(_first(rec, "custom7"))
    doi_text = _first(rec, "doi")
    if doi_text:
        doi = normalise_doi(doi_text)
        if doi:
            study["doi"] = doi
        else:
            _bad_doi(doi_text, origin, batch)
    urls = [u for u in (rec.get("urls") or []) for u in str(u).split()]
    if not study.get("doi"):
        for u in urls:
            d = normalise_doi(u) if "doi.org/" in u else None
            if d:
                study["doi"] = d
                break
    if urls:
        study["url"] = urls[0]
    abstract = _first(rec, "abstract", "notes_abstract")
    if abstract:
        study["abstract"] = clean(abstract)
    kws: list[str] = []
    for k in rec.get("keywords") or ():
        kws.extend(str(k).split("\n"))
    if kws:
        study["keywords"] = _keywords(kws, split=False)
    for note in rec.get("notes") or ():
        if str(note).startswith(_EXO_TRUNCATED):  # exo's own export says so in a note
            study["et_al"] = True
    # An accession number is a PMID when it says so, or when PubMed is the
    # database (Web of Science writes WOS:..., Embase its own numbers).
    db = (_first(rec, "name_of_database") or "").casefold()
    accessions = rec.get("accession_number") or []
    for a in accessions if isinstance(accessions, list) else [accessions]:
        m = re.fullmatch(r"\s*PMID:?\s*(\d{1,9})\s*", str(a), re.I) or (
            re.fullmatch(r"\s*(\d{1,9})\s*", str(a)) if ("pubmed" in db or "medline" in db) else None
        )
        if m:
            study["pmid"] = m.group(1)
            break
    _finish(study, origin, batch)


# ---------------------------------------------------------------------------
# CSL-JSON (json)


def read_csl_json(text: str, filename: str = "-") -> Batch:
    """CSL-JSON as Zotero, Better BibTeX and pandoc write it: an array of items.

    Each item is located by the line where it starts. Names may carry
    particles (``non-dropping-particle``) and suffixes; dates may be
    ``date-parts`` (numbers or strings), ``raw`` or ``literal``; titles may
    hold CSL's HTML-like markup, which is removed.
    """
    import json

    batch = Batch(filename, "csl-json")
    decoder = json.JSONDecoder()
    text = text.lstrip("\ufeff")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        batch.problems.append(Problem(filename, f"malformed JSON: {e.msg} (column {e.colno})", line=e.lineno))
        return batch
    except RecursionError:
        batch.problems.append(Problem(filename, "JSON nested too deeply to read"))
        return batch
    if isinstance(data, dict):
        items = data.get("items") if isinstance(data.get("items"), list) else [data]
        lines = [None] * len(items)
    elif isinstance(data, list):
        items = data
        lines = _array_item_lines(text, decoder, len(items))
    else:
        batch.problems.append(Problem(filename, "CSL-JSON is an array of items ([{...}, ...]); this JSON is a plain value", line=1))
        return batch
    for n, item in enumerate(items):
        line = lines[n] if n < len(lines) else None
        if not isinstance(item, dict):
            batch.problems.append(Problem(filename, "a CSL item is an object ({...}); this one is not", record=f"#{n + 1}", line=line))
            continue
        _csl_item(item, n + 1, line, batch)
    return batch


def _array_item_lines(text: str, decoder, count: int) -> list[int | None]:
    """The line on which each element of a top-level JSON array starts."""
    lines: list[int | None] = []
    i = text.index("[") + 1
    line = text.count("\n", 0, i) + 1
    pos = i
    ws = re.compile(r"[\s,]*")
    try:
        while len(lines) < count:
            m = ws.match(text, i)
            j = m.end()
            line += text.count("\n", pos, j)
            lines.append(line)
            _, end = decoder.raw_decode(text, j)
            line += text.count("\n", j, end)
            pos = i = end
    except (ValueError, IndexError):
        pass
    return lines + [None] * (count - len(lines))


def _csl_name(n: object) -> str:
    if isinstance(n, str):
        return name_from_text(n)
    if not isinstance(n, dict):
        return ""
    if n.get("literal"):
        return clean(n["literal"])
    # Particles stay with the surname, as the bundled data writes "van Niel, G.".
    family = " ".join(clean(x) for x in (n.get("dropping-particle"), n.get("non-dropping-particle"), n.get("family")) if x)
    given = clean(n.get("given") or "")
    if not family:
        return name_from_text(given)
    return person(family, given, clean(n.get("suffix") or ""))


def _csl_year(issued: object) -> object:
    if isinstance(issued, dict):
        parts = issued.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            return parts[0][0]
        return issued.get("raw") or issued.get("literal") or issued.get("season")
    if isinstance(issued, list) and issued and isinstance(issued[0], dict):
        return _csl_year(issued[0])
    return issued


def _csl_item(item: dict, ordinal: int, line: int | None, batch: Batch) -> None:
    origin = Origin(batch.file, clean(item.get("id") or item.get("citation-key") or f"#{ordinal}"), line)
    study: dict = {}
    if item.get("title"):
        study["title"] = clean(strip_markup(str(item["title"])))
    for role in ("author", "editor"):
        names = item.get(role) or []
        names = names if isinstance(names, list) else [names]
        study["authors"] = [a for a in (_csl_name(n) for n in names) if a]
        if study["authors"]:
            break
    raw_year = _csl_year(item.get("issued"))
    year = parse_year(raw_year)
    if raw_year not in (None, "") and year is None:
        _bad_year(raw_year, origin, batch)
    study["year"] = year
    journal = item.get("container-title") or item.get("container-title-short") or item.get("journalAbbreviation")
    if journal:
        study["journal"] = clean(strip_markup(str(journal)))
    for src, dst in (("volume", "volume"), ("issue", "issue")):
        if item.get(src) not in (None, ""):
            study[dst] = clean(item[src])
    page = item.get("page") or item.get("number") if item.get("type") in (None, "article-journal", "article") else item.get("page")
    if page:
        study["pages"] = normalise_pages(page)
    if item.get("DOI"):
        doi = normalise_doi(item["DOI"])
        if doi:
            study["doi"] = doi
        else:
            _bad_doi(item["DOI"], origin, batch)
    if item.get("PMID"):
        study["pmid"] = clean(item["PMID"])
    if item.get("abstract"):
        study["abstract"] = clean(strip_markup(str(item["abstract"])))
    kw = item.get("keyword")
    if kw:
        study["keywords"] = _keywords(kw if isinstance(kw, list) else [kw])
    if item.get("URL"):
        study["url"] = clean(item["URL"])
    note = str(item.get("note") or "")
    if _EXO_TRUNCATED in note:
        study["et_al"] = True
    _finish(study, origin, batch)


# ---------------------------------------------------------------------------
# PubMed / MEDLINE (a reader of its own)

_ML_LINE = re.compile(r"([A-Z][A-Z0-9]{0,3}) {0,3}- ?(.*)")


def read_medline(text: str, filename: str = "-") -> Batch:
    """PubMed's MEDLINE format: ``.nbib`` files and "PubMed format" ``.txt``.

    NOTE: no well-kept parser exists for this format on its own: `nbib`
    (PyPI) last changed in 2021 and drags in dateutils, and Biopython's
    Bio.Medline comes with all of Biopython and numpy and keeps no line
    numbers. The format is simple: ``TAG - value`` lines (the tag padded to
    four characters), values continued on lines indented by six spaces,
    records separated by blank lines, each starting with ``PMID-``. This
    reader keeps the line of every record, so a problem names it.

    Fields: TI (BTI for books), FAU (else AU "Surname GI"; CN for a group),
    DP (year), TA (journal abbreviation; JT when absent), VI, IP, PG
    (shortened ranges written out), LID/AID ``[doi]``, AB, OT and MH
    (keywords), PMID.
    """
    batch = Batch(filename, "medline")
    rec: list[tuple[str, str, int]] = []
    rec_line = 0
    stray: list[int] = []

    def flush() -> None:
        nonlocal rec
        if rec:
            _medline_record(rec, rec_line, batch)
        rec = []

    last_tag = None
    for n, line in enumerate(_lines(text), 1):
        if not line.strip():
            flush()
            last_tag = None
            continue
        if line.startswith("      ") or (line.startswith((" ", "\t")) and last_tag is not None):
            if rec:
                tag, value, ln = rec[-1]
                rec[-1] = (tag, value + " " + line.strip(), ln)
            else:
                stray.append(n)
            continue
        m = _ML_LINE.fullmatch(line.rstrip())
        if not m or len(line) < 5 or line[4] != "-" and "- " not in line[:7]:
            stray.append(n)
            continue
        tag, value = m.group(1), m.group(2).strip()
        if tag == "PMID" and any(t == "PMID" for t, _, _ in rec):
            flush()  # records not separated by a blank line
        if not rec:
            rec_line = n
        rec.append((tag, value, n))
        last_tag = tag
    flush()
    if stray:
        shown = ", ".join(map(str, stray[:5])) + (" ..." if len(stray) > 5 else "")
        batch.warnings.append(
            Problem(filename, f"{len(stray)} line(s) that are neither 'TAG - value' nor a continuation were skipped (lines {shown})",
                    line=stray[0])
        )
    return batch


def _lines(text: str):
    """The lines of a text one at a time, without their line ends.

    NOTE: not ``text.splitlines()``: a 100,000-record export is 200 MiB of
    text, and a list of its twenty million lines would hold a gigabyte.
    """
    pos, n = 0, len(text)
    find = text.find
    while pos < n:
        end = find("\n", pos)
        if end < 0:
            end = n
        yield text[pos:end].rstrip("\r")
        pos = end + 1


def _medline_record(rec: list[tuple[str, str, int]], line: int, batch: Batch) -> None:
    fields: dict[str, list[str]] = {}
    for tag, value, _ in rec:
        fields.setdefault(tag, []).append(value)

    def one(*tags: str) -> str | None:
        for t in tags:
            if fields.get(t):
                return fields[t][0]
        return None

    pmid = one("PMID")
    origin = Origin(batch.file, f"PMID {pmid}" if pmid else f"#{line}", line)
    if not pmid:
        batch.warnings.append(Problem(batch.file, "record without a PMID line", record=origin.entry, line=line))
    study: dict = {}
    title = one("TI", "BTI", "TT")
    if title:
        study["title"] = _strip_title(strip_markup(title))
    authors = [name_from_text(a) for a in fields.get("FAU", [])]
    if not authors:
        authors = [name_from_text(a) for a in fields.get("AU", [])]
    authors += [clean(c) for c in fields.get("CN", [])]
    study["authors"] = [a for a in authors if a]
    dp = one("DP", "DEP", "EDAT")
    year = parse_year(dp) if dp else None
    if dp and year is None:
        _bad_year(dp, origin, batch)
    study["year"] = year
    journal = one("TA", "JT")
    if journal:
        study["journal"] = clean(journal)
    if one("VI"):
        study["volume"] = clean(one("VI"))
    if one("IP"):
        study["issue"] = clean(one("IP"))
    if one("PG"):
        study["pages"] = normalise_pages(one("PG"))
    for v in fields.get("LID", []) + fields.get("AID", []):
        if v.endswith("[doi]"):
            doi = normalise_doi(v[: -len("[doi]")])
            if doi:
                study["doi"] = doi
                break
    if pmid:
        study["pmid"] = pmid
    if one("AB"):
        study["abstract"] = clean(one("AB"))
    kws = list(fields.get("OT", []))
    kws += [re.sub(r"/.*$", "", m).lstrip("*") for m in fields.get("MH", [])]
    if kws:
        study["keywords"] = _keywords(kws, split=False)
    _finish(study, origin, batch)


READERS: dict[str, Callable[[str, str], Batch]] = {
    "bibtex": read_bibtex,
    "ris": read_ris,
    "csl-json": read_csl_json,
    "medline": read_medline,
}


# ---------------------------------------------------------------------------
# Keys

_LETTER_MAP = str.maketrans({
    "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L",
    "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "ı": "i",
})


def key_part(text: str) -> str:
    """A surname as a key: accents dropped, every non-letter removed, letter case kept."""
    text = unicodedata.normalize("NFKD", text.translate(_LETTER_MAP))
    return "".join(ch for ch in text if ch.isascii() and ch.isalpha())


def base_key(study: dict) -> str:
    """The project's key rule without the a/b/c suffix: first author's surname, then year.

    ``de Araujo Farias`` -> ``deAraujoFarias``, ``O'Brien`` -> ``OBrien``,
    ``Müller`` -> ``Muller``. A surname with no Latin letter gives ``Anon``.
    """
    authors = study.get("authors") or []
    family = authors[0].partition(",")[0] if authors else ""
    words = family.split()
    while len(words) > 1 and words[-1].lower().rstrip(".") in {s.rstrip(".") for s in _SUFFIXES}:
        words.pop()
    return (key_part(" ".join(words)) or "Anon") + str(study.get("year", ""))


def assign_keys(studies: list[dict], existing: Iterable[str] = ()) -> list[str]:
    """A key for each study, in order: `base_key`, with a/b/c... where needed.

    A base is used bare when it is free and only one study of the batch has
    it; otherwise the studies sharing it get the first free letters in
    order (``Smith2020a``, ``Smith2020b``), as the review does. No key
    collides, in any letter case, with ``existing`` or with another new key.
    """
    taken = {k.casefold() for k in existing}
    bases = [base_key(s) for s in studies]
    counts: dict[str, int] = {}
    for b in bases:
        counts[b.casefold()] = counts.get(b.casefold(), 0) + 1
    out = []
    for b in bases:
        fold = b.casefold()
        lettered_taken = any(f"{fold}{c}" in taken for c in "abc")
        if counts[fold] == 1 and fold not in taken and not lettered_taken:
            key = b
        else:
            key = next(b + s for s in _suffixes() if (b + s).casefold() not in taken)
        taken.add(key.casefold())
        out.append(key)
    return out


def _suffixes():
    letters = "abcdefghijklmnopqrstuvwxyz"
    yield from letters
    for a in letters:
        for c in letters:
            yield a + c
    n = 0
    while True:
        n += 1
        yield f"z{n}"


# ---------------------------------------------------------------------------
# De-duplication


def _surname(study: dict) -> str:
    authors = study.get("authors") or []
    return key_part(authors[0].partition(",")[0]).casefold() if authors else ""


def _identities(study: dict) -> list[tuple[str, str]]:
    """The ways a study can be recognised: its DOI, PMID, and title + year + first author."""
    out = []
    doi = fold_doi(study.get("doi"))
    if doi:
        out.append(("same DOI", doi))
    pmid = str(study.get("pmid") or "").strip()
    if pmid.isdigit():
        out.append(("same PMID", str(int(pmid))))
    title = fold_title(study.get("title"))
    if title and study.get("year"):
        out.append(("same title, year and first author", f"{title}|{study.get('year')}|{_surname(study)}"))
    return out


def deduplicate(
    entries: list[Imported], existing: Iterable[dict] = (), keys: list[str] | None = None
) -> tuple[list[int], list[Skip]]:
    """Which entries to import (their indexes) and which to skip, with the reason.

    ``existing`` are records already loaded (dicts with ``key`` and the
    study fields). An entry is skipped when its DOI (case and URL forms
    folded) or PMID is already there, or its title (folded), year and first
    author's surname are; likewise for an earlier entry of the same batch
    (named by ``keys[i]`` when given, else by its origin).
    """
    seen: dict[tuple[str, str], tuple[str, bool]] = {}
    for rec in existing:
        if rec.get("type", "study") not in ("study", "review"):
            continue
        for reason, ident in _identities(rec):
            seen.setdefault((reason, ident), (str(rec.get("key", "")), False))
    keep: list[int] = []
    skips: list[Skip] = []
    for i, entry in enumerate(entries):
        idents = _identities(entry.study)
        hit = next(((reason, seen[(reason, ident)]) for reason, ident in idents if (reason, ident) in seen), None)
        if hit:
            reason, (key, in_batch) = hit
            skips.append(Skip(entry.origin, key, reason, in_batch))
            continue
        name = keys[i] if keys else entry.origin.entry
        for reason, ident in idents:
            seen[(reason, ident)] = (name, True)
        keep.append(i)
    return keep, skips


# ---------------------------------------------------------------------------
# Suggested annotations

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
# Words naming evidence outright, strongest last (the strongest found wins).
EVIDENCE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("in-vitro", ("in vitro",)),
    ("animal", ("mice", "mouse", "murine", "rat", "rats", "pig", "pigs", "porcine", "swine", "rabbit", "rabbits",
                "rodent", "rodents", "minipig", "minipigs", "primate", "primates", "zebrafish")),
    ("human", ("patient", "patients")),
    ("clinical", ("randomized", "randomised", "trial", "trials")),
)
REVIEW_WORDS = ("review", "reviews", "meta-analysis", "meta analysis", "systematic review")
# Aliases that are everyday words: they count only next to a cell or vesicle word.
CELL_WORDS = frozenset(
    "cell cells stem stromal msc mscs derived exosome exosomes exosomal vesicle vesicles ev evs secretome "
    "conditioned medium sev sevs microvesicles".split()
)


@dataclass
class Vocabulary:
    """Phrases of exo's own records and what they name, for `suggest`.

    ``exact`` phrases match case-sensitively (abbreviations and short
    words: "MI", "AD", "GVHD"); ``folded`` ones in any letter case. Each
    maps a tuple of words to a set of (field, value) pairs; a phrase naming
    two different things in one field is ambiguous and dropped. ``weak``
    phrases (everyday words such as "fat", "marrow", "placenta") count only
    when a cell or vesicle word follows within three words. ``parents``
    lets a specific match (``bmsc``) replace its broader one (``msc``).
    """

    exact: dict[tuple[str, ...], set[tuple[str, str]]] = field(default_factory=dict)
    folded: dict[tuple[str, ...], set[tuple[str, str]]] = field(default_factory=dict)
    weak: set[tuple[str, ...]] = field(default_factory=set)
    parents: dict[tuple[str, str], str] = field(default_factory=dict)
    longest: int = 1
    # The longest phrase starting with each word, so most words are passed over at once.
    starts_exact: dict[str, int] = field(default_factory=dict)
    starts_folded: dict[str, int] = field(default_factory=dict)

    def index(self) -> None:
        self.starts_exact = {}
        self.starts_folded = {}
        for table, starts in ((self.exact, self.starts_exact), (self.folded, self.starts_folded)):
            for phrase in table:
                starts[phrase[0]] = max(starts.get(phrase[0], 0), len(phrase))

    def add(self, phrase: str, target: tuple[str, str]) -> None:
        tokens = tuple(_TOKEN.findall(phrase))
        if not tokens:
            return
        abbreviation = any(ch.isupper() for tok in tokens for ch in tok[1:]) or (
            len(tokens) == 1 and (len(tokens[0]) <= 4 or tokens[0].isupper())
        )
        if abbreviation:
            self.exact.setdefault(tokens, set()).add(target)
            if tokens[-1][-1:].isupper():  # "MSC" also matches "MSCs"
                self.exact.setdefault(tokens[:-1] + (tokens[-1] + "s",), set()).add(target)
        else:
            folded = tuple(t.casefold() for t in tokens)
            self.folded.setdefault(folded, set()).add(target)
            last = folded[-1]
            if last.isalpha() and len(last) > 3:  # one word more or less: "cell" and "cells"
                other = last[:-1] if last.endswith("s") and not last.endswith("ss") else last + "s"
                self.folded.setdefault(folded[:-1] + (other,), set()).add(target)
        self.longest = max(self.longest, len(tokens))


# Aliases that name something else as often as the record they belong to.
_TOO_GENERIC = frozenset({
    "inflammation", "tumor", "tumour", "tumors", "tumours", "blood", "plasma", "serum", "urine", "marrow",
    "senescence", "longevity", "obese", "lung injury", "nerve regeneration",
    "cartilage regeneration", "a549", "circulating vesicles", "wound repair",
})
_WEAK_SOURCE = frozenset({
    "bone marrow", "adipose", "fat", "umbilical cord", "cord blood", "placenta", "fetal lung", "amniotic membrane",
    "amnion", "gingiva", "gingival", "gum", "dental pulp", "tooth pulp", "wharton's jelly",
})


def build_vocabulary(records: Iterable[dict]) -> Vocabulary:
    """The vocabulary of `suggest`, from exo's own records (any mix of types).

    Diseases give their names and aliases, sources their names,
    abbreviations and aliases, glossary terms that link to a disease or a
    source their abbreviation and expansion, and curated studies their
    mechanisms.
    """
    vocab = Vocabulary()
    terms = []
    for rec in records:
        t = rec.get("type")
        if t == "disease":
            target = ("diseases", rec["key"])
            for phrase in [rec.get("name"), *(rec.get("aliases") or [])]:
                if phrase and phrase.casefold() not in _TOO_GENERIC:
                    vocab.add(phrase, target)
            if rec.get("parent"):
                vocab.parents[target] = rec["parent"]
        elif t == "source":
            target = ("sources", rec["key"])
            for phrase in [rec.get("name"), rec.get("abbreviation"), *(rec.get("aliases") or [])]:
                if phrase and phrase.casefold() not in _TOO_GENERIC:
                    vocab.add(phrase, target)
                    if phrase.casefold() in _WEAK_SOURCE:
                        vocab.weak.add(tuple(w.casefold() for w in _TOKEN.findall(phrase)))
            if rec.get("parent"):
                vocab.parents[target] = rec["parent"]
        elif t == "term":
            terms.append(rec)
        elif t == "study":
            for m in rec.get("mechanisms") or ():
                if len(m) >= 3:
                    vocab.add(m, ("mechanisms", m))
    for rec in terms:
        for link, fname in (("disease", "diseases"), ("source", "sources")):
            if rec.get(link):
                for phrase in (rec.get("abbreviation"), rec.get("expansion")):
                    if phrase and phrase.casefold() not in _TOO_GENERIC:
                        vocab.add(phrase, (fname, rec[link]))
    for table in (vocab.exact, vocab.folded):
        for phrase, targets in list(table.items()):
            fields = [f for f, _ in targets]
            if any(fields.count(f) > 1 for f in set(fields)):
                del table[phrase]
    vocab.index()
    return vocab


def _spans(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _find(vocab: Vocabulary, text: str) -> set[tuple[str, str]]:
    """Every (field, value) named in ``text``: longest phrases first, no overlaps."""
    toks = _spans(text)
    words = [t for t, _, _ in toks]
    folded = [w.casefold() for w in words]
    candidates = []
    se, sf = vocab.starts_exact, vocab.starts_folded
    for i in range(len(words)):
        longest = max(se.get(words[i], 0), sf.get(folded[i], 0))
        for n in range(min(longest, len(words) - i), 0, -1):
            hits = vocab.exact.get(tuple(words[i : i + n])) or vocab.folded.get(tuple(folded[i : i + n]))
            if not hits:
                continue
            end = toks[i + n - 1][2]
            if any(f == "mechanisms" for f, _ in hits) and text[end : end + 1] == "-" and text[end + 1 : end + 2].isalnum():
                continue  # "miR-21" is not "miR-21-5p"
            if tuple(folded[i : i + n]) in vocab.weak and not (set(folded[i + n : i + n + 4]) & CELL_WORDS):
                continue
            candidates.append((n, i, hits))
    candidates.sort(key=lambda c: (-c[0], c[1]))
    used = [False] * len(words)
    found: set[tuple[str, str]] = set()
    for n, i, hits in candidates:
        if any(used[i : i + n]):
            continue
        for j in range(i, i + n):
            used[j] = True
        found |= hits
    return found


def _word_line(text: str) -> str:
    """A text as its folded words between spaces, for whole-word phrase tests."""
    return " " + " ".join(w.casefold() for w in _TOKEN.findall(text.replace("-", " "))) + " "


def _has_words(line: str, phrases: Iterable[str]) -> bool:
    return any(f" {p.replace('-', ' ')} " in line for p in phrases)


def suggest(study: dict, vocab: Vocabulary) -> tuple[dict, list[str]]:
    """Annotations found in a study's title, abstract and keywords, and the fields filled.

    Returns ``({"diseases": [...], "sources": [...], "mechanisms": [...],
    "evidence": "animal"}, ["diseases", ...])``; fields the study already
    has are left alone. Precision comes first: a broader value is dropped
    when a narrower one is found (``cancer`` beside ``lung-cancer``), and
    evidence is read only from explicit words (in vitro; mice, rats, pigs;
    patients; randomized, trial; review), the strongest winning.
    """
    texts = [str(study.get("title") or ""), str(study.get("abstract") or "")]
    texts += [str(k) for k in study.get("keywords") or ()]
    found: set[tuple[str, str]] = set()
    for t in texts:
        if t:
            found |= _find(vocab, t)
    # A specific value replaces the broader one it belongs to.
    for target in list(found):
        parent = vocab.parents.get(target)
        seen: set[str] = set()
        while parent and parent not in seen:
            seen.add(parent)
            found.discard((target[0], parent))
            parent = vocab.parents.get((target[0], parent))
    annotations: dict = {}
    for fname in ("diseases", "sources", "mechanisms"):
        values = sorted(v for f, v in found if f == fname)
        if values and not study.get(fname):
            annotations[fname] = values
    if not study.get("evidence"):
        evidence = None
        # A review says so in its title or keywords; its abstract may cite other reviews.
        if _has_words(_word_line(" ; ".join([texts[0], *texts[2:]])), REVIEW_WORDS):
            evidence = "review"
        else:
            line = _word_line(" ; ".join(texts))
            for value, words in EVIDENCE_WORDS:
                if _has_words(line, words):
                    evidence = value
        if evidence:
            annotations["evidence"] = evidence
    return annotations, [f for f in model.SUGGESTABLE if f in annotations]


# ---------------------------------------------------------------------------
# Checking and writing


def schema_problems(key: str, study: dict, path: str = "-") -> list[Problem]:
    """What the loader would find wrong with a study record (`loader.check_record`); [] when fine."""
    from .loader import _Locator, check_record

    problems: list[Problem] = []
    body = {k: v for k, v in study.items() if k not in ("type", "key")}
    check_record(model.STUDY, key, body, Path(path), problems, _Locator(""))
    return problems


def check_study(key: str, study: dict) -> list[str]:
    """`schema_problems` as "field: message" lines; [] when the loader would take the study."""
    return [f"{p.field}: {p.message}" if p.field else p.message for p in schema_problems(key, study)]


_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f\x7f"\\]')


def _toml_value(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, str) and not _NEEDS_ESCAPE.search(value):
        return f'"{value}"'  # NOTE: nothing to escape; ten times faster than a dumps() per value
    import tomli_w

    return tomli_w.dumps({"v": value})[4:].rstrip("\n")


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_value(key)


FIELD_ORDER = tuple(f.name for f in model.STUDY.fields)


def render_toml(studies: list[dict]) -> str:
    """TOML tables for studies (dicts with ``key``), fields in schema order, one blank line apart."""
    blocks = []
    for s in studies:
        lines = [f"[{_toml_key(s['key'])}]"]
        for name in FIELD_ORDER:
            if name in s and s[name] not in (None, "", []):
                lines.append(f"{name} = {_toml_value(s[name])}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


STUDIES_HEADER = "# Studies added with `exo import`. Edit freely: exo reads this file with the bundled data.\n"


def append_studies(folder: str | Path, studies: list[dict]) -> Path:
    """Append studies (dicts with ``key``) to FOLDER/studies.toml; return the file's path.

    Every study is checked first (`schema_problems`), and so are its keys
    against those the file already holds: on any problem nothing is
    written and DataError lists them all. What the file already holds is
    kept byte for byte (comments included); the new tables follow it and
    are parsed back before the file is replaced, atomically (a temporary
    file in the same folder, then os.replace).
    """
    from .files import write_atomic

    path = Path(folder) / "studies.toml"
    problems: list[Problem] = []
    try:
        old = path.read_bytes()
    except FileNotFoundError:
        old = b""
    except OSError as e:
        raise DataError([Problem(str(path), f"cannot read: {e.strerror or e}")]) from None
    tomllib = _tomllib()
    try:
        held = _loads(old.decode("utf-8-sig")) if old else {}
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise DataError([Problem(str(path), f"the file is not valid TOML ({e}); fix it before importing into it")]) from None
    taken = {k.casefold(): k for k in held}
    for s in studies:
        key = s.get("key", "")
        problems += schema_problems(key, s, str(path))
        if key.casefold() in taken:
            problems.append(Problem(str(path), f"the file already holds a record {taken[key.casefold()]!r}", record=key))
        taken[key.casefold()] = key
    if problems:
        raise DataError(problems)
    if not studies:
        return path
    text = render_toml(studies)
    prefix = old
    if not prefix:
        prefix = STUDIES_HEADER.encode()
    if not prefix.endswith(b"\n"):
        prefix += b"\n"
    new = prefix + b"\n" + text.encode("utf-8")
    # NOTE: the old part was parsed above and the new tables share no key
    # with it, so parsing the new part alone proves the whole file reads.
    try:
        parsed = _loads(text)
    except tomllib.TOMLDecodeError as e:  # pragma: no cover - render_toml writes valid TOML
        raise DataError([Problem(str(path), f"the new file would not be valid TOML ({e}); nothing written")]) from None
    missing = [s["key"] for s in studies if s["key"] not in parsed]
    if missing:  # pragma: no cover
        raise DataError([Problem(str(path), f"records {missing} would not read back; nothing written")])
    write_atomic(path, new)
    return path


def _loads(text: str) -> dict:
    """TOML parsed as the loader parses a big file (toml_rs, TOML 1.0), with
    tomllib's verdict and message when that fails."""
    from .loader import _fast_loads

    fast = _fast_loads()
    if fast is not None:
        try:
            return fast(text)
        except ValueError:
            pass
    return _tomllib().loads(text)


def _tomllib():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib
    return tomllib


# ---------------------------------------------------------------------------
# The whole import: `exo import`


@dataclass
class Outcome:
    """What an import did (or, with ``dry_run``, would do)."""

    batches: list[Batch]
    studies: list[dict]  # the new records, keyed and annotated, in input order
    skips: list[Skip]
    into: Path  # the studies.toml written (or that would be)
    written: bool = False
    text: str | None = None  # the TOML, for a dry run

    @property
    def problems(self) -> list[Problem]:
        return [p for b in self.batches for p in b.problems]

    @property
    def warnings(self) -> list[Problem]:
        return [p for b in self.batches for p in b.warnings]

    def report(self, into: str, dry_run: bool = False) -> list[str]:
        """What was imported, skipped and left out, a line each, for stderr;
        ``into`` is the library file as people read it (~/...)."""
        lines = [f"exo: bad entry: {one_line(str(p))}" for p in self.problems]
        lines += [f"exo: warning: {one_line(str(p))}" for p in self.warnings]
        for s in self.skips:
            where = s.origin.file + (f":{s.origin.line}" if s.origin.line is not None else "")
            lines.append(f"exo: skipped {one_line(str(s))} ({one_line(where)})")
        keys = ", ".join(s["key"] for s in self.studies[:10]) + (", ..." if len(self.studies) > 10 else "")
        if dry_run and self.studies:
            lines.append(f"exo: would import {self._what()} into {one_line(into)}{self._counts()}: {keys}")
        elif self.written:
            lines.append(f"exo: imported {self._what()} into {one_line(into)}{self._counts()}: {keys}")
        return lines

    def failure(self, strict: bool = False) -> ExoError | None:
        """The error the import ends with: bad entries (exit 2) or nothing new (exit 1)."""
        if self.problems:
            n = len(self.problems)
            if strict and self.studies and not self.written:
                return UsageError(
                    f"nothing written (--strict){self._counts()}",
                    f"fix the bad entries, or drop --strict to import the good ones ({self._what()})",
                )
            return UsageError(
                f"{n:,} bad entr{'y' if n == 1 else 'ies'} left out (named above)",
                "fix them and import the file again; what was imported is skipped as already there",
            )
        if not self.studies:
            return NothingFound(f"nothing to import{self._counts()}")
        return None

    def _what(self) -> str:
        n = len(self.studies)
        return f"{n:,} stud{'y' if n == 1 else 'ies'}"

    def _counts(self) -> str:
        counts = []
        if self.skips:
            counts.append(f"{len(self.skips):,} skipped as already there")
        if self.problems:
            counts.append(f"{len(self.problems):,} bad")
        return f" ({'; '.join(counts)})" if counts else ""


Progress = Callable[[str, int, int], None]


def vocabulary_of(cat) -> Vocabulary:
    """`build_vocabulary` from a catalog: its diseases, sources, terms and every mechanism named."""
    records = [*cat.records("disease"), *cat.records("source"), *cat.records("term")]
    records.append({"type": "study", "mechanisms": cat.values("mechanisms")})
    return build_vocabulary(records)


def run(
    cat,
    batches: list[Batch],
    into: str | Path,
    *,
    dry_run: bool = False,
    strict: bool = False,
    progress: Progress | None = None,
) -> Outcome:
    """Key, de-duplicate, annotate and append the studies of ``batches`` to INTO/studies.toml.

    Duplicates are looked for among the catalog's studies and the review,
    and within the batches; keys never collide with any key the catalog (or
    the file) holds. With ``strict``, nothing is written when any entry was
    bad; with ``dry_run``, nothing is written and ``text`` holds the TOML.
    """
    into = Path(into)
    entries = [e for b in batches for e in b.entries]
    out = Outcome(batches, [], [], into / model.STUDY.file)
    # De-duplicate first, so a skipped copy never takes a key's letter.
    names = [f"#{i}" for i in range(len(entries))]
    keep, skips = deduplicate(entries, cat.stream(("study", "review")), names)
    kept = [entries[i] for i in keep]
    taken = list(cat.keys) + _keys_in(out.into)
    keys = assign_keys([e.study for e in kept], taken)
    by_name = {names[i]: k for i, k in zip(keep, keys)}
    out.skips = [Skip(s.origin, by_name.get(s.key, s.key), s.reason, s.in_batch) for s in skips]
    vocab = vocabulary_of(cat) if kept else None
    step = max(1, len(kept) // 100)
    for n, (entry, key) in enumerate(zip(kept, keys)):
        study = entry.study  # NOTE: filled in place; a big import is not held twice
        annotations, fields = suggest(study, vocab)
        study.update(annotations)
        if fields:
            study["suggested"] = fields
        study["key"] = key
        out.studies.append(study)
        if progress and n % step == 0:
            progress("annotating", n, len(kept))
    if progress and kept:
        progress("annotating", len(kept), len(kept))
    if dry_run:
        out.text = render_toml(out.studies)
        return out
    if out.studies and not (strict and out.problems):
        if progress:
            progress("writing", 0, 1)
        append_studies(into, out.studies)
        out.written = True
    return out


def _keys_in(path: Path) -> list[str]:
    """The table names of a studies.toml exo is not reading (an --into folder of its own); [] if none."""
    try:
        raw = path.read_bytes()
    except OSError:
        return []
    return re.findall(r"(?m)^\s*\[\s*([A-Za-z0-9_.+'-]+)\s*\]", raw.decode("utf-8", "replace"))
