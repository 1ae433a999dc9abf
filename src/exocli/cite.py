"""Citations: five text styles and four bibliographic formats.

This module owns everything `exo cite` prints. `cite` resolves keys (studies
and the review itself, ``Wei2021``) and hands the records to one formatter:
a text style (`Style`: the review's own reference style, APA 7, Vancouver/NLM,
Harvard, in-text) or a machine format (`CiteFormat`: BibTeX, RIS, CSL-JSON),
or, with ``--csl FILE``, to citeproc-py (the optional ``exo[csl]`` extra).

Every formatter is a pure function of the records and returns text. Records
are the catalog's plain dicts; authors are strings as the review printed them
("Surname, I. I."), ``et_al`` says the review printed only those authors and
"et al.", and a journal is stored without the period the review's list prints
after some journals ("Theranostics", seven times printed "Theranostics.");
``journal_as_printed`` keeps that form for the review style. `bare_journal`
removes such a period from a user's own record for styles that add their own
punctuation.

Only `exo cite` imports this module; json and citeproc are imported inside
the functions that need them.
"""

from __future__ import annotations

import enum
import re
from pathlib import Path
from typing import Callable, Iterable

from .errors import NotFound, UsageError, quoted
from .model import CiteFormat, Style

__all__ = [
    "expand_keys",
    "Style",
    "CiteFormat",
    "cite",
    "format_style",
    "format_bibtex",
    "format_ris",
    "csl_items",
    "format_csl_json",
    "format_csl",
    "bare_journal",
    "sentence_case",
    "intext_citation",
    "latex_escape",
    "bibtex_keys",
    "bibtex_name",
    "Name",
    "parse_name",
]

CITABLE_TYPES = ("study", "review")
# The review (Frontiers' reference style) prints at most six authors, then
# "et al."; Vancouver (ICMJE) has the same rule.
MAX_AUTHORS = 6


# Other names of the styles and formats.
ALIASES = {"nlm": "vancouver", "ama": "vancouver", "in-text": "intext", "bib": "bibtex", "csl": "csl-json", "json": "csl-json"}


def _choose(enum_type: type[enum.Enum], value: object, what: str):
    if isinstance(value, enum_type):
        return value
    text = str(value).strip().lower()
    text = ALIASES.get(text, text)
    for member in enum_type:
        if member.value == text:
            return member
    choices = ", ".join(m.value for m in enum_type)
    raise UsageError(f"unknown {what} {quoted(value)}", f"choose from: {choices}")


def parse_format(value: object) -> CiteFormat:
    """``--format`` of `exo cite` (an alias such as bib or json included)."""
    return _choose(CiteFormat, value, "format")


# ---------------------------------------------------------------------------
# Entry point


def expand_keys(cat, keys: list[str], stdin_text: str = "", all_: bool = False) -> list[str]:
    """The keys to cite: arguments, with ``-`` replaced by the keys read from
    stdin (whitespace-separated, as `exo ... -o keys` prints them), after every
    study and the review itself when ``all_``."""
    wanted = [k for k in keys if k != "-"]
    if "-" in keys:
        wanted += [stdin_text.lstrip("\ufeff")]
    # Keys as people paste them: comma-separated, or pandoc's @Bruno2009.
    wanted = [k.lstrip("@") for item in wanted for k in re.split(r"[\s,;]+", item) if k.strip("@ ")]
    if all_:
        wanted = [cat.keys[i] for i in cat.ids("study")] + [cat.keys[i] for i in cat.ids("review")] + wanted
    if not wanted:
        raise UsageError("no keys to cite", "give keys, '-' to read them from stdin, or --all")
    return wanted


def cite(
    cat,
    keys: list[str],
    *,
    style: str = "review",
    fmt: str = "text",
    latex: bool = True,
    csl: Path | None = None,
    narrative: bool = False,
    unknown: list[str] | None = None,
) -> str:
    """Citations of the records named by ``keys``, as one text ending in a newline.

    Keys resolve in any letter case; a key given twice is cited once. Unknown
    keys are collected and reported together (`NotFound`); given an
    ``unknown`` list, they are put in it instead and the known keys are cited
    (`NotFound` only when none is known). An unknown style or format, or a
    record that cannot be cited, is a `UsageError`.

    The in-text style gives one parenthetical for all the keys, in order
    ("(Bruno et al., 2009; Kordelas et al., 2014)"); ``narrative`` gives the
    form that names the authors in a sentence, one line per key ("Bruno et
    al. (2009)").
    """
    st = _choose(Style, style, "style")
    ft = _choose(CiteFormat, fmt, "format")
    if csl is not None:
        if ft is not CiteFormat.TEXT:
            raise UsageError("--csl renders text, not " + ft.value, "drop --format, or drop --csl")
        if st is not Style.REVIEW:
            raise UsageError("--style and --csl both choose a style", "use one of them")
    if narrative and (st is not Style.INTEXT or ft is not CiteFormat.TEXT or csl is not None):
        raise UsageError(
            "--narrative is a form of in-text citation", "use it alone or with --style intext, as text"
        )
    records = resolve(cat, keys, unknown)
    if csl is not None:
        text = format_csl(records, Path(csl))
    elif ft is CiteFormat.TEXT and st is Style.INTEXT:
        text = intext_citation(records, narrative)
    elif ft is CiteFormat.TEXT:
        text = "".join(format_style(r, st) + "\n" for r in records)
    elif ft is CiteFormat.BIBTEX:
        text = format_bibtex(records, latex=latex)
    elif ft is CiteFormat.RIS:
        text = format_ris(records)
    else:
        text = format_csl_json(records)
    return text if text.endswith("\n") else text + "\n"


def resolve(cat, keys: Iterable[str], unknown: list[str] | None = None) -> list[dict]:
    """The citable records for ``keys``, in order, each once.

    Every unknown key is reported in one `NotFound`, with the closest keys;
    given an ``unknown`` list, unknown keys go there instead, and `NotFound`
    is raised only when no key is known.
    """
    records: list[dict] = []
    seen: set[tuple[str, str]] = set()
    missing: list[str] = []
    for key in keys:
        key = key.strip()
        if not key:
            continue
        rid = cat.lookup(key)  # any letter case; "study:KEY" picks the type
        if rid is not None and cat.type_of(rid) not in CITABLE_TYPES:
            # A key shared by a term and a study still cites the study.
            rid = next((i for t in CITABLE_TYPES if (i := cat.lookup(key, t)) is not None), rid)
        if rid is None:
            if key not in missing:
                missing.append(key)
            continue
        rec = cat.record(rid)
        if rec["type"] not in CITABLE_TYPES:
            raise UsageError(
                f"{rec['key']!r} is a {rec['type']}, not a study; only studies and the review "
                "(Wei2021) can be cited",
                f"see the studies linked to it with `exo show {rec['key']}`",
            )
        ident = (rec["type"], rec["key"])
        if ident not in seen:
            seen.add(ident)
            records.append(rec)
    if missing and (unknown is None or not records):
        raise _not_found(cat, missing)
    if unknown is not None:
        unknown.extend(missing)
    if not records:
        raise UsageError("no keys to cite", "give study keys such as Bruno2009, or Wei2021 for the review")
    return records


def not_found_key(cat, key: str, hint: str | None = None) -> NotFound:
    """The error for one unknown key, with the closest study keys (else ``hint``)."""
    return NotFound("study key", key, _suggest(cat, key), hint)


def _suggest(cat, key: str) -> list[str]:
    out = list(cat.suggest_keys(key, "study"))
    out += [k for k in cat.suggest_keys(key, "review") if k not in out]
    return out


def _not_found(cat, unknown: list[str]) -> NotFound:
    per_key = {k: _suggest(cat, k) for k in unknown}
    flat = list(dict.fromkeys(s for ss in per_key.values() for s in ss))
    if len(unknown) == 1:
        return NotFound("study key", unknown[0], flat)
    hints = [f"{k} -> {', '.join(s[:3])}" for k, s in per_key.items() if s]
    return NotFound(
        "study key",
        ", ".join(unknown),
        flat,
        message=f"no study matches these {len(unknown)} keys: " + ", ".join(map(repr, unknown)),
        suggested="did you mean: " + "; ".join(hints),
    )


# ---------------------------------------------------------------------------
# Shared pieces


class Name:
    """An author as printed: ``family`` and ``given`` ("Deregibus", "M. C.")."""

    __slots__ = ("family", "given")

    def __init__(self, family: str, given: str) -> None:
        self.family = family
        self.given = given

    def __repr__(self) -> str:
        return f"Name({self.family!r}, {self.given!r})"

    def initials(self) -> list[tuple[str, bool]]:
        """Given-name tokens as (text, is_initial); initials end in a period ("A" -> "A.").

        A token that is not an upper-case initial (the review's "Brittain,
        G. C. t.") is kept as printed.
        """
        out = []
        for tok in self.given.split():
            if tok[0].isupper() and _INITIAL.fullmatch(tok.rstrip(".")):
                parts = [p.rstrip(".") for p in tok.split("-")]
                out.append(("-".join(p + "." for p in parts), True))
            else:
                out.append((tok, False))
        return out


_INITIAL = re.compile(r"[^\W\d_][^\W\d_]?(?:\.?-[^\W\d_])*", re.UNICODE)


def parse_name(printed: str) -> Name:
    """Split "Surname, I. I." at its first comma; a name with no comma is all family."""
    family, sep, given = printed.partition(",")
    if not sep:
        return Name(printed.strip(), "")
    return Name(family.strip(), given.strip())


def _names(rec: dict) -> list[Name]:
    return [parse_name(a) for a in rec.get("authors") or ()]


def _et_al(rec: dict, limit: int | None = None) -> tuple[list[str], bool]:
    """The authors to print and whether "et al." follows them."""
    authors = list(rec.get("authors") or ())
    truncated = bool(rec.get("et_al"))
    if limit is not None and len(authors) > limit:
        authors, truncated = authors[:limit], True
    return authors, truncated


def year_label(rec: dict) -> str:
    """The year with the review's a/b/c suffix, read from the key (Chen2019a -> 2019a).

    APA and Harvard print it too, so a reference list matches the in-text
    citations ("Chen et al., 2019a") that users copy from the review.
    """
    year = str(rec.get("year", ""))
    m = re.search(re.escape(year) + r"([a-z])$", rec.get("key", "")) if year else None
    return year + (m.group(1) if m else "")


def _locator(rec: dict) -> str:
    """Pages or article number."""
    return str(rec.get("pages") or rec.get("article") or "")


def _is_range(pages: str) -> bool:
    return bool(re.search(r"\S[–-]\S", pages))


def _page_range(pages: str) -> tuple[str, str, str]:
    """("1053", "–", "1067") for a range, (pages, "", "") for a single page or article number."""
    m = re.fullmatch(r"\s*(\S+?)\s*[–-]\s*(\S+)\s*", pages)
    if m:
        return m.group(1), "–", m.group(2)
    return pages.strip(), "", ""


def end_with(text: str, mark: str = ".") -> str:
    """``text`` followed by ``mark`` unless it already ends in . ? or !."""
    text = text.rstrip()
    if not text or text[-1] in ".?!":
        return text
    return text + mark


# Words that the ISO 4 list of title word abbreviations leaves whole, and
# that the review prints with a trailing period ("J. Contr. Release.").
_WHOLE_WORDS = frozenset(
    "cell cells vesicles release interfaces nano insight reports one nature science "
    "cancer cancers blood stroke aging diabetes circulation leukemia gut brain heart".split()
)


def bare_journal(journal: str) -> str:
    """A journal name without the period the review printed after it.

    The review prints some journals with a trailing period that is mere
    punctuation ("Oncogene.", "J. Contr. Release.") and abbreviated journals
    whose last word ends in an abbreviation period ("J. Am. Soc. Nephrol.").
    Styles that add their own comma after the journal ("Oncogene, 37(16)")
    need the first kind removed and the second kept. The period is dropped
    when the name is a single word (ISO 4 never abbreviates one-word titles)
    or its last word is one ISO 4 leaves whole (`_WHOLE_WORDS`); otherwise it
    is taken as an abbreviation period and kept.
    """
    j = journal.strip()
    if not j.endswith("."):
        return j
    words = j[:-1].split()
    if len(words) == 1 or (words and words[-1].lower() in _WHOLE_WORDS):
        return j[:-1]
    return j


def _punct(text: str, mark: str) -> str:
    """Append ``mark`` after ``text``, but never a second period."""
    if mark == "." and text.endswith("."):
        return text
    return text + mark


# ---------------------------------------------------------------------------
# Text styles


def format_style(rec: dict, style: Style | str) -> str:
    """One record as one line of text in ``style``."""
    st = _choose(Style, style, "style")
    # A line break or tab inside a title (a data file may hold one) must not
    # split a citation: one citation, one line.
    return _one_line(_STYLES[st](rec))


def _review(rec: dict) -> str:
    """The review's own reference style (Frontiers), as printed.

    ``Authors (2019a). Title. Journal Volume (Issue), Pages. doi:DOI``, the
    last author after ", and " unless the list ends with "et al.".
    """
    authors, etal = _et_al(rec, MAX_AUTHORS)
    if etal:
        who = ", ".join(authors + ["et al."])
    elif len(authors) > 1:
        who = ", ".join(authors[:-1]) + ", and " + authors[-1]
    else:
        who = "".join(authors)
    parts = [f"{who} ({year_label(rec)})."]
    parts.append(end_with(rec.get("title", "")))
    vol = str(rec.get("volume") or "")
    if rec.get("issue"):
        vol = f"{vol} ({rec['issue']})".strip()
    # NOTE: the printed list puts a period after some journals and not after
    # others, even the same one ("Theranostics. 9 (9)", "Theranostics 8 (5)");
    # the record says which.
    journal = rec.get("journal_as_printed") or rec.get("journal") or ""
    source = " ".join(x for x in (journal, vol) if x)
    loc = _locator(rec)
    if loc:
        source = f"{source}, {loc}" if source else loc
    doi = rec.get("doi")
    if source:
        parts.append(_punct(source, ".") if doi else source)
    if doi:
        parts.append(f"doi:{doi}")
    return " ".join(parts)


def _apa(rec: dict) -> str:
    """APA 7: Surname, I. I., & Surname, I. (2019a). Title. Journal, 8(1), 1–2. https://doi.org/..."""
    authors, etal = _et_al(rec)
    names = [_apa_name(parse_name(a)) for a in authors]
    if etal:
        who = ", ".join(names + ["et al."])
    elif len(names) > 1:
        who = ", ".join(names[:-1]) + ", & " + names[-1]
    else:
        who = "".join(names)
    parts = [f"{who} ({year_label(rec)})." if who else f"({year_label(rec)})."]
    parts.append(end_with(sentence_case(rec.get("title", ""))))
    src = _source(rec, article_word="Article ")
    if src:
        parts.append(_punct(src, "."))
    if rec.get("doi"):
        parts.append("https://doi.org/" + rec["doi"])
    return " ".join(parts)


def _apa_name(n: Name) -> str:
    given = " ".join(t for t, _ in n.initials())
    return f"{n.family}, {given}" if given else n.family


def _source(rec: dict, article_word: str = "", pages_word: str = "") -> str:
    """``Journal, 20(5), 1053–1067`` (APA and Harvard)."""
    bits = []
    journal = bare_journal(rec.get("journal") or "")
    vol = str(rec.get("volume") or "")
    if rec.get("issue"):
        vol += f"({rec['issue']})"
    if journal:
        bits.append(journal)
    if vol:
        bits.append(vol)
    loc = _locator(rec)
    if loc:
        bits.append((pages_word if _is_range(loc) else article_word) + loc)
    return ", ".join(bits)


def _harvard(rec: dict) -> str:
    """Harvard (Cite Them Right): Surname, I.I. and Surname, I. (2019a) 'Title', Journal, 8(1), pp. 1–2. doi:..."""
    authors, etal = _et_al(rec)
    names = [_harvard_name(parse_name(a)) for a in authors]
    if etal:
        who = ", ".join(names) + " et al."
    elif len(names) > 1:
        who = ", ".join(names[:-1]) + " and " + names[-1]
    else:
        who = "".join(names)
    title = rec.get("title", "")
    head = f"{who} ({year_label(rec)})" if who else f"({year_label(rec)})"
    text = f"{head} '{title}'"
    src = _source(rec, pages_word="pp. ")
    if src:
        text += ", " + src
    text = _punct(text, ".")
    if rec.get("doi"):
        text += f" doi:{rec['doi']}."
    return text


def _harvard_name(n: Name) -> str:
    given = "".join(t if initial else " " + t for t, initial in n.initials()).strip()
    return f"{n.family}, {given}" if given else n.family


def _vancouver(rec: dict) -> str:
    """Vancouver (NLM): Surname IA, Surname B, et al. Title. J Abbrev. 2009;20(5):1053-67. doi:..."""
    authors, etal = _et_al(rec, MAX_AUTHORS)
    names = [_nlm_name(parse_name(a)) for a in authors]
    if etal:
        names.append("et al")
    parts = []
    if names:
        parts.append(", ".join(names) + ".")
    parts.append(end_with(rec.get("title", "")))
    journal = _nlm_journal(rec.get("journal") or "")
    src = (journal + ". ") if journal else ""
    src += str(rec.get("year", ""))
    if rec.get("volume"):
        src += f";{rec['volume']}"
    if rec.get("issue"):
        src += f"({rec['issue']})"
    loc = _locator(rec)
    if loc:
        src += ":" + _nlm_pages(loc)
    parts.append(src + ".")
    if rec.get("doi"):
        parts.append(f"doi:{rec['doi']}")
    return " ".join(parts)


def _nlm_name(n: Name) -> str:
    tokens = n.initials()
    letters = "".join(re.sub(r"[.\-]", "", t) for t, initial in tokens if initial)
    rest = [t.rstrip(".") for t, initial in tokens if not initial]
    return " ".join(x for x in [n.family, letters, *rest] if x)


def _nlm_journal(journal: str) -> str:
    """NLM prints journal abbreviations without periods ("J Am Soc Nephrol")."""
    return re.sub(r"\s+", " ", journal.replace(".", " ")).strip()


def _nlm_pages(pages: str) -> str:
    """NLM page ranges: a hyphen, and the repeated leading digits dropped (1053-67)."""
    first, dash, last = _page_range(pages)
    if not dash:
        return first
    if first.isdigit() and last.isdigit() and len(first) == len(last):
        i = 0
        while i < len(last) - 1 and first[i] == last[i]:
            i += 1
        last = last[i:]
    return f"{first}-{last}"


def _intext_who(rec: dict) -> str:
    names = _names(rec)
    if not names:
        return ""
    if len(names) >= 3 or rec.get("et_al"):
        return f"{names[0].family} et al."
    if len(names) == 2:
        return f"{names[0].family} and {names[1].family}"
    return names[0].family


def _intext(rec: dict) -> str:
    """Author-date in-text citation: "Bruno et al., 2009", "Kalluri and LeBleu, 2020"."""
    who = _intext_who(rec)
    return f"{who}, {year_label(rec)}" if who else year_label(rec)


def _narrative(rec: dict) -> str:
    """The form a sentence names: "Bruno et al. (2009)", "Kalluri and LeBleu (2020)"."""
    who = _intext_who(rec)
    return f"{who} ({year_label(rec)})" if who else f"({year_label(rec)})"


def intext_citation(records: list[dict], narrative: bool = False) -> str:
    """In-text citations of records, in order, ending in a newline.

    One parenthetical for all of them, "(Bruno et al., 2009; Kordelas et al.,
    2014)", as the review itself cites; or, ``narrative``, one "Bruno et al.
    (2009)" per line, to write into a sentence.
    """
    if narrative:
        return "".join(_narrative(r) + "\n" for r in records)
    return "(" + "; ".join(_intext(r) for r in records) + ")\n"


# A word in Title Case: one capital, then only lower-case letters.
_TITLE_WORD = re.compile(r"[A-Z][a-z]+")
_SMALL = frozenset("a an and as at but by for from in into of on or the to via vs with".split())


def sentence_case(title: str) -> str:
    """A title in sentence case, as APA prints it.

    A title the review prints in Title Case (the review's own, Wei2021) has
    its capitalised ordinary words lowered; a title already in sentence case
    keeps every capital, since those are names and acronyms (Duchenne, China,
    Treg, MSC). Either way the first word and the first word after a colon
    or a question mark start with a capital.
    """
    tokens = re.split(r"(\s+)", title)
    words = [(i, t) for i, t in enumerate(tokens) if t.strip()]
    ordinary = [t for _, t in words[1:] if t.lower().strip("(),:;?") not in _SMALL and re.match(r"[A-Za-z]", t)]
    titled = [t for t in ordinary if all(_TITLE_WORD.fullmatch(p) for p in re.split(r"[-–/]", t.strip("(),:;?")) if p)]
    title_case = len(ordinary) >= 3 and len(titled) >= 0.7 * len(ordinary)
    out = list(tokens)
    start = True
    for i, t in words:
        core = t.strip("(),:;?")
        if title_case and not start and all(_TITLE_WORD.fullmatch(p) for p in re.split(r"[-–/]", core) if p):
            t = t.lower()
        elif start and t[:1].islower() and t == t.lower():
            # (not "microRNA" or "gRNA": their lower-case start is their name)
            t = t[0].upper() + t[1:]
        out[i] = t
        start = t.rstrip(")").endswith((":", "?"))
    return "".join(out)


_STYLES: dict[Style, Callable[[dict], str]] = {
    Style.REVIEW: _review,
    Style.APA: _apa,
    Style.VANCOUVER: _vancouver,
    Style.HARVARD: _harvard,
    Style.INTEXT: _intext,
}


def keyword_list(keywords: list[str]) -> str:
    """Keywords as one text: comma-separated, or by semicolons when one holds a comma."""
    return ("; " if any("," in k for k in keywords) else ", ").join(keywords)


def _keywords(rec: dict) -> list[str]:
    """A study's own keywords (as imported), then the user's tags, each once in any letter case."""
    out: dict[str, str] = {}
    for k in [*(rec.get("keywords") or ()), *(rec.get("tags") or ())]:
        out.setdefault(k.casefold(), k)
    return list(out.values())


def _notes(rec: dict) -> list[str]:
    """Facts a machine format should carry as notes: a truncated author list, a corrected DOI."""
    notes = []
    if rec.get("et_al"):
        n = len(rec.get("authors") or ())
        notes.append(f"Author list truncated: the review printed only the first {n} authors, then et al.")
    if rec.get("doi_note"):
        notes.append("DOI corrected: " + rec["doi_note"])
    return notes


# ---------------------------------------------------------------------------
# BibTeX

_BIB_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_DASHES = {"\u2013": "--", "\u2014": "---"}
_ACCENTS = {
    "\u0300": "`", "\u0301": "'", "\u0302": "^", "\u0303": "~", "\u0304": "=",
    "\u0306": "u", "\u0307": ".", "\u0308": '"', "\u030a": "r", "\u030b": "H",
    "\u030c": "v", "\u0327": "c", "\u0328": "k", "\u0323": "d",
}
_LETTERS = {
    "ß": r"\ss", "æ": r"\ae", "Æ": r"\AE", "œ": r"\oe", "Œ": r"\OE", "ø": r"\o",
    "Ø": r"\O", "ł": r"\l", "Ł": r"\L", "ı": r"\i", "å": r"\aa", "Å": r"\AA",
}
_GREEK = (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron "
    "pi rho varsigma sigma tau upsilon phi chi psi omega"
).split()
_SYMBOLS = {
    "\u00b5": r"$\mu$", "\u00b1": r"$\pm$", "\u00d7": r"$\times$", "\u00b0": r"\textdegree{}",
    "\u2018": "`", "\u2019": "'", "\u201c": "``", "\u201d": "''", "\u00a0": "~",
    "\u2192": r"$\rightarrow$", "\u2264": r"$\leq$", "\u2265": r"$\geq$", "\u2032": "'",
}


def _greek(ch: str) -> str | None:
    o = ord(ch)
    if 0x3B1 <= o <= 0x3C9:
        name = _GREEK[o - 0x3B1]
        return "o" if name == "omicron" else f"$\\{name}$"
    if 0x391 <= o <= 0x3A9 and o != 0x3A2:
        name = _GREEK[o - 0x391]
        cap = name.capitalize()
        if cap in ("Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega"):
            return f"$\\{cap}$"
        # The other capitals look like Latin letters.
        return {"Alpha": "A", "Beta": "B", "Epsilon": "E", "Zeta": "Z", "Eta": "H", "Iota": "I",
                "Kappa": "K", "Mu": "M", "Nu": "N", "Omicron": "O", "Rho": "P", "Tau": "T",
                "Chi": "X"}.get(cap)
    return None


def latex_escape(text: str, latex: bool = True) -> str:
    """Text made safe for a BibTeX field.

    Both modes escape LaTeX's special characters (& % $ # _ { } ~ ^ \\) and
    write en/em dashes as -- and ---. Braces that do not pair up become
    \\textbraceleft{} and \\textbraceright{}, so no value can close its field. With ``latex`` (the default) accented
    letters, Greek letters and common symbols become LaTeX commands
    ("{\\'e}", "{$\\alpha$}") so classic BibTeX works; without it they stay
    UTF-8 (for biber/biblatex, XeLaTeX, LuaLaTeX). A character with no
    LaTeX form is left as UTF-8.
    """
    return _escape(text, latex, _braces_balanced(text))


# Braces for a text whose own braces do not pair up: BibTeX counts every brace,
# escaped or not, so "\}" alone would end the field.
_LONE_BRACES = {"{": r"\textbraceleft{}", "}": r"\textbraceright{}"}


def _braces_balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _escape(text: str, latex: bool, balanced: bool) -> str:
    """`latex_escape`, told whether the braces of the whole field pair up."""
    out = []
    for ch in text:
        if not balanced and ch in _LONE_BRACES:
            out.append(_LONE_BRACES[ch])
        elif ch in _BIB_SPECIALS:
            out.append(_BIB_SPECIALS[ch])
        elif ch in _DASHES:
            out.append(_DASHES[ch])
        elif ord(ch) < 128 or not latex:
            out.append(ch)
        else:
            out.append(_latex_char(ch))
    return "".join(out)


def _latex_char(ch: str) -> str:
    if ch in _LETTERS:
        return "{" + _LETTERS[ch] + "}"
    if ch in _SYMBOLS:
        sym = _SYMBOLS[ch]
        return "{" + sym + "}" if sym.startswith("$") else sym
    g = _greek(ch)
    if g is not None:
        return "{" + g + "}" if g.startswith("$") else g
    import unicodedata

    decomposed = unicodedata.normalize("NFD", ch)
    base, marks = decomposed[0], decomposed[1:]
    if base.isascii() and marks and all(m in _ACCENTS for m in marks):
        s = {"i": r"\i", "j": r"\j"}.get(base, base) if marks[0] not in ("\u0327", "\u0328", "\u0323") else base
        for m in marks:
            cmd = _ACCENTS[m]
            s = f"\\{cmd}{s}" if not cmd.isalpha() else f"\\{cmd}{{{s}}}"
        return "{" + s + "}"
    return ch


_WORD = re.compile(r"[^\W_]+")


def bibtex_title(title: str, latex: bool = True) -> str:
    """A title with capitals protected from BibTeX styles that lower-case titles.

    Every word holding a capital letter ({GVHD}, {MSC}, {CD39}) is wrapped in
    braces, except the sentence-initial capital of the first word.
    """
    balanced = _braces_balanced(title)
    out = []
    pos = 0
    first = True
    for m in _WORD.finditer(title):
        out.append(_escape(title[pos:m.start()], latex, balanced))
        word = m.group(0)
        caps = any(c.isupper() for c in word)
        initial_only = word[0].isupper() and not any(c.isupper() for c in word[1:])
        text = _escape(word, latex, balanced)
        if caps and not (first and initial_only):
            text = "{" + text + "}"
        out.append(text)
        first = False
        pos = m.end()
    out.append(_escape(title[pos:], latex, balanced))
    return "".join(out)


def bibtex_key(key: str) -> str:
    """A citation key BibTeX accepts: characters it forbids become '-'."""
    return re.sub(r"[\s\"#%'(),={}\\~]", "-", key)


def bibtex_keys(keys: list[str]) -> list[str]:
    """`bibtex_key` of each key, made unique (BibTeX compares keys ignoring case).

    A key BibTeX accepts as it is keeps its form; one whose escaped form is
    already taken (O'Brien2020 beside O-Brien2020) gets -2, -3, ...
    """
    escaped = [bibtex_key(k) for k in keys]
    taken: set[str] = set()
    out: list[str | None] = [None] * len(keys)
    # Keys that needed no escaping first, so they are never the ones renamed.
    order = sorted(range(len(keys)), key=lambda i: escaped[i] != keys[i])
    for i in order:
        key, n = escaped[i], 1
        while key.casefold() in taken:
            n += 1
            key = f"{escaped[i]}-{n}"
        taken.add(key.casefold())
        out[i] = key
    return [k for k in out if k is not None]


_AND = re.compile(r"\sand\s", re.IGNORECASE)


def bibtex_name(author: str, latex: bool = True) -> str:
    """One author for BibTeX's author list.

    A name BibTeX would misread is braced whole: one without the comma of
    "Surname, I." (a group: BibTeX would take its last word for the surname),
    one holding " and " (BibTeX would split it into two people), more than two
    commas, or the word "others" (BibTeX's et al.).
    """
    name = _one_line(author)
    text = latex_escape(name, latex)
    if "," not in name or _AND.search(name) or name.count(",") > 2 or name.casefold() == "others":
        return "{" + text + "}"
    return text


def _bibtex_doi(doi: str) -> str:
    """The DOI verbatim, but for the characters that could end or break the
    field (braces, backslash, spaces), percent-encoded as in a DOI URL."""
    return re.sub(r"[{}\\\s]", lambda m: "%" + "".join(f"{b:02X}" for b in m.group().encode("utf-8")), doi)


def format_bibtex(records: list[dict], latex: bool = True) -> str:
    """@article entries, one per record, separated by blank lines.

    Every value is escaped so that no data can end its field or add one: a
    value's braces always pair up, and line breaks become spaces. The DOI is
    written verbatim (biblatex and the doi package read it so), braces,
    backslashes and spaces percent-encoded, and so is a URL; a truncated
    author list ends in "and others". An imported study's PMID, URL,
    abstract and keywords are carried, the user's tags join the keywords
    and the user's note is the ``annote``. Keys are unique after escaping
    (`bibtex_keys`).
    """
    entries = []
    keys = bibtex_keys([rec["key"] for rec in records])
    for rec, key in zip(records, keys):
        fields: list[tuple[str, str]] = []
        authors = list(rec.get("authors") or ())
        names = [bibtex_name(a, latex) for a in authors]
        if rec.get("et_al"):
            names.append("others")
        if names:
            fields.append(("author", " and ".join(names)))
        fields.append(("title", bibtex_title(_one_line(rec.get("title", "")), latex)))
        if rec.get("journal"):
            fields.append(("journal", _bib_text(bare_journal(rec["journal"]), latex)))
        fields.append(("year", _bib_text(str(rec.get("year", "")), latex)))
        if rec.get("volume"):
            fields.append(("volume", _bib_text(str(rec["volume"]), latex)))
        if rec.get("issue"):
            fields.append(("number", _bib_text(str(rec["issue"]), latex)))
        loc = _locator(rec)
        if loc:
            first, dash, last = _page_range(loc)
            pages = f"{first}--{last}" if dash else first
            fields.append(("pages", _bib_text(pages, latex)))
        if rec.get("doi"):
            fields.append(("doi", _bibtex_doi(_one_line(rec["doi"]))))
        if rec.get("pmid"):
            fields.append(("pmid", _bib_text(str(rec["pmid"]), latex)))
        if rec.get("url"):
            fields.append(("url", _bibtex_doi(_one_line(rec["url"]))))  # verbatim, as biblatex reads it
        if rec.get("abstract"):
            fields.append(("abstract", _bib_text(rec["abstract"], latex)))
        keywords = _keywords(rec)
        if keywords:
            fields.append(("keywords", _bib_text(keyword_list(keywords), latex)))
        notes = _notes(rec)
        if notes:
            fields.append(("note", _bib_text(" ".join(notes), latex)))
        if rec.get("user_note"):
            fields.append(("annote", _bib_text(rec["user_note"], latex)))
        width = max(len(n) for n, _ in fields)
        body = ",\n".join(f"  {n.ljust(width)} = {{{v}}}" for n, v in fields)
        entries.append(f"@article{{{key},\n{body},\n}}\n")
    return "\n".join(entries)


def _bib_text(text: str, latex: bool) -> str:
    return latex_escape(_one_line(text), latex)


# ---------------------------------------------------------------------------
# RIS


def format_ris(records: list[dict]) -> str:
    """RIS records (TY  - JOUR ... ER  - ), separated by blank lines.

    Only the authors the review printed are written; a truncated list gets a
    note (N1) saying so. Keywords and the user's tags are KW lines, the
    user's note another N1.
    """
    out = []
    for rec in records:
        lines = [("TY", "JOUR"), ("ID", rec["key"])]
        lines += [("AU", a) for a in rec.get("authors") or ()]
        lines.append(("TI", rec.get("title", "")))
        if rec.get("journal"):
            lines.append(("T2", bare_journal(rec["journal"])))
            lines.append(("J2", bare_journal(rec["journal"])))
        lines.append(("PY", str(rec.get("year", ""))))
        if rec.get("volume"):
            lines.append(("VL", str(rec["volume"])))
        if rec.get("issue"):
            lines.append(("IS", str(rec["issue"])))
        loc = _locator(rec)
        if loc:
            first, dash, last = _page_range(loc)
            lines.append(("SP", first))
            if dash:
                lines.append(("EP", last))
        if rec.get("doi"):
            lines.append(("DO", rec["doi"]))
        if rec.get("pmid"):
            lines.append(("AN", f"PMID:{rec['pmid']}"))
        if rec.get("url"):
            lines.append(("UR", rec["url"]))
        if rec.get("abstract"):
            lines.append(("AB", rec["abstract"]))
        lines += [("KW", k) for k in _keywords(rec)]
        lines += [("N1", n) for n in _notes(rec)]
        if rec.get("user_note"):
            lines.append(("N1", rec["user_note"]))
        lines.append(("ER", ""))
        out.append("".join(f"{tag}  - {_one_line(value)}".rstrip() + "\n" for tag, value in lines))
    return "\n".join(out)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# ---------------------------------------------------------------------------
# CSL-JSON and CSL styles


def csl_items(records: list[dict]) -> list[dict]:
    """CSL items (article-journal), one per record, as plain dicts."""
    items = []
    for rec in records:
        item: dict = {"id": rec["key"], "type": "article-journal", "title": rec.get("title", "")}
        authors = []
        for n in _names(rec):
            authors.append({"family": n.family, "given": n.given} if n.given else {"literal": n.family})
        if authors:
            item["author"] = authors
        if rec.get("year") is not None:
            item["issued"] = {"date-parts": [[int(rec["year"])]]}
        if rec.get("journal"):
            item["container-title"] = bare_journal(rec["journal"])
            item["container-title-short"] = bare_journal(rec["journal"])
        for src, dst in (("volume", "volume"), ("issue", "issue")):
            if rec.get(src):
                item[dst] = str(rec[src])
        loc = _locator(rec)
        if loc:
            first, dash, last = _page_range(loc)
            item["page"] = f"{first}-{last}" if dash else first
        if rec.get("doi"):
            item["DOI"] = rec["doi"]
        if rec.get("pmid"):
            item["PMID"] = str(rec["pmid"])
        if rec.get("url"):
            item["URL"] = rec["url"]
        if rec.get("abstract"):
            item["abstract"] = rec["abstract"]
        keywords = _keywords(rec)
        if keywords:
            item["keyword"] = keyword_list(keywords)  # CSL's keyword is one string
        notes = " ".join(_notes(rec))
        if rec.get("user_note"):
            notes = (notes + "\n" if notes else "") + rec["user_note"]
        if notes:
            item["note"] = notes
        items.append(item)
    return items


def format_csl_json(records: list[dict]) -> str:
    """A JSON array of CSL items."""
    import json

    return json.dumps(csl_items(records), ensure_ascii=False, indent=2) + "\n"


def format_csl(records: list[dict], path: Path) -> str:
    """A bibliography rendered by citeproc-py with the CSL style in ``path``."""
    try:
        from citeproc import (
            Citation,
            CitationItem,
            CitationStylesBibliography,
            CitationStylesStyle,
            formatter,
        )
        from citeproc.source.json import CiteProcJSON
    except ImportError:
        raise UsageError(
            "--csl needs citeproc-py, which is not installed",
            "install the extra: pip install 'exo-msc[csl]'",
        ) from None
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"no CSL style file at {str(path)!r}", "give the path of a .csl file")
    _check_csl(path)
    import warnings

    try:
        with warnings.catch_warnings():
            # NOTE: citeproc-py warns about every CSL feature it does not
            # implement; that is noise on a user's terminal.
            warnings.simplefilter("ignore")
            style = CitationStylesStyle(str(path), validate=False)
            items = csl_items(records)
            for rec, item in zip(records, items):
                if rec.get("et_al"):
                    # NOTE: CSL cannot say "more authors exist"; a placeholder
                    # last author, replaced after rendering, keeps the
                    # review's "et al." when the style lists every name.
                    item.setdefault("author", []).append({"literal": _ET_AL_PLACEHOLDER})
            source = CiteProcJSON(items)
            bib = CitationStylesBibliography(style, source, formatter.plain)
            for rec in records:
                bib.register(Citation([CitationItem(rec["key"].lower())]))
            lines = [_one_line(_ET_AL_RE.sub(", et al.", str(entry))) for entry in bib.bibliography()]
    except UsageError:
        raise
    except Exception as e:  # noqa: BLE001 - citeproc reports bad styles in many ways
        raise UsageError(
            f"cannot render with the CSL style {path.name!r}: {type(e).__name__}: {e}",
            "check that the file is a valid CSL 1.0 style",
        ) from None
    return "".join(line + "\n" for line in lines)


_CSL_NS = "{http://purl.org/net/xbiblio/csl}"
_ET_AL_PLACEHOLDER = "Exoetalplaceholder"
# The placeholder with the delimiter and "and"/"&" a style put before it,
# and a period it put after it (the "." of "et al." ends the list then).
_ET_AL_RE = re.compile(r"[,;]?\s*(?:(?:and|&)\s+)?" + _ET_AL_PLACEHOLDER + r"\.?", re.IGNORECASE)


def _check_csl(path: Path) -> None:
    """UsageError unless ``path`` is XML whose root is a CSL <style> with a bibliography."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError, UnicodeDecodeError) as e:
        raise UsageError(
            f"{path.name!r} is not a CSL style file (not XML: {e})",
            "a CSL style is an XML file whose root is <style xmlns=\"http://purl.org/net/xbiblio/csl\">",
        ) from None
    if root.tag != _CSL_NS + "style":
        raise UsageError(
            f"{path.name!r} is not a CSL style file (root element is <{root.tag.split('}')[-1]}>)",
            "a CSL style is an XML file whose root is <style xmlns=\"http://purl.org/net/xbiblio/csl\">",
        )
    if root.find(_CSL_NS + "bibliography") is None:
        raise UsageError(
            f"the CSL style {path.name!r} has no <bibliography>",
            "exo cite prints reference lists; use a style that defines one",
        )
