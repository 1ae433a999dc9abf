"""Text normalisation shared by the index, search and filters.

Folding is what makes `tgf-β`, `TGF-beta` and `tgf beta` the same words, and
`Thery` match `Théry`. Standard library only.
"""

from __future__ import annotations

import re
import unicodedata

_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "κ": "kappa",
    "λ": "lambda", "μ": "mu", "σ": "sigma", "τ": "tau", "ω": "omega",
}
# NOTE: any script's letters and digits make words (幹細胞 is one), as in
# the store's tokenizer; underscores do not.
_WORD = re.compile(r"[^\W_]+")
# Letter runs touching a digit; anchored at the start of a run, so a word
# is tried once (a pattern free to start anywhere made indexing crawl).
_RUNS_BY_DIGITS = re.compile(r"(?<![A-Za-z])[A-Za-z]{2,}(?=[0-9])|(?<=[0-9])[A-Za-z]{2,}")
_KEY_SPLIT = re.compile(r"[a-z]+|[0-9]+")


def fold(text: str) -> str:
    """Lower-case, spell out Greek letters and strip accents."""
    text = text.casefold()
    if not text.isascii():
        text = "".join(_GREEK.get(ch, ch) for ch in text)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text


def words(text: str) -> list[str]:
    """The searchable words of a text: folded runs of letters or digits."""
    return _WORD.findall(fold(text))


def key_words(key: str) -> list[str]:
    """A key as words: whole (``kordelas2014``) and in parts (``kordelas``, ``2014``)."""
    whole = compact(key)
    # The letter runs only: a key's digits are its year, indexed on its own.
    parts = [p for p in _KEY_SPLIT.findall(whole) if p.isalpha()]
    return [whole] + [p for p in parts if p != whole]


def letter_runs(text: str) -> list[str]:
    """The letter runs of mixed words in a text (misev2018 -> misev, CD73 -> CD)."""
    return _RUNS_BY_DIGITS.findall(text)


def compact(text: str) -> str:
    """A text folded with everything but letters and digits removed."""
    return "".join(_WORD.findall(fold(text)))


# Characters that change a text's layout without being seen: C1 controls,
# every format character (Unicode category Cf: bidirectional marks and
# overrides, zero-width spaces and joiners, the byte order mark, soft hyphens)
# and the line and paragraph separators (Zl, Zp). The ranges are Unicode 15.1's;
# tests/hostile checks that they hold every such character of the running Python.
INVISIBLE_RANGES = (
    "\u0080-\u009f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
_INVISIBLE = re.compile(f"[{INVISIBLE_RANGES}]")


def printable(text: str) -> str:
    """Neutralise control characters and escape sequences for a terminal.

    ESC, BEL and the other C0 controls become visible in caret notation
    (``^[``) so a title can never move the cursor, set the window title or
    clear the screen. C1 controls and invisible layout characters (bidi
    overrides, zero-width spaces, line separators: see INVISIBLE_RANGES) are
    shown as ``<U+202E>``.
    """
    if text.isprintable():
        return text
    out = []
    for ch in text:
        o = ord(ch)
        if ch in "\t\n":
            out.append(" " if ch == "\t" else ch)
        elif o < 32:
            out.append("^" + chr(o + 64))
        elif o == 0x7F:
            out.append("^?")
        elif _INVISIBLE.match(ch):
            out.append(f"<U+{o:04X}>")
        else:
            out.append(ch)
    return "".join(out)


def json_text(obj: object, indent: int | None = None) -> str:
    """JSON with the data intact, but C1 controls and invisible layout
    characters (INVISIBLE_RANGES) written as \\u escapes, so the text is safe
    to show on a terminal and reads back to exactly the same strings (json
    escapes C0 controls itself)."""
    import json

    text = json.dumps(obj, ensure_ascii=False, indent=indent)
    return _INVISIBLE.sub(_json_escape, text)


def ascii_json(text: str) -> str:
    """JSON text with every non-ASCII character written as a \\u escape: the
    same data, for an output whose encoding (ISO-8859-1) cannot hold them all."""
    return re.sub(r"[^\x00-\x7f]", _json_escape, text)


def can_encode(stream, text: str) -> bool:
    """Whether ``stream``'s encoding can write ``text``."""
    try:
        text.encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _json_escape(m: re.Match) -> str:
    o = ord(m.group())
    if o < 0x10000:
        return f"\\u{o:04x}"
    o -= 0x10000  # a UTF-16 surrogate pair, as JSON writes characters beyond the BMP
    return f"\\u{0xD800 + (o >> 10):04x}\\u{0xDC00 + (o & 0x3FF):04x}"


def one_line(text: str) -> str:
    """`printable`, with tabs and newlines as spaces (for tab-separated output)."""
    return printable(text).replace("\n", " ").replace("\t", " ")


# -- terminal cells -------------------------------------------------------------------
# A terminal shows East Asian wide and full-width characters (CJK, most emoji)
# in two cells and combining marks in none, so layout measures cells, not
# characters. Text reaching these has been through `printable`.


def char_cells(ch: str) -> int:
    """The terminal cells of one character: 0, 1 or 2."""
    if ch < "\u0300":  # ASCII and Latin-1: one cell (controls are already visible)
        return 1
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def cells(text: str) -> int:
    """The terminal cells a text takes."""
    if text.isascii():
        return len(text)
    return sum(map(char_cells, text))


def pad(text: str, width: int, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` cells (on the left if ``right``)."""
    fill = " " * max(0, width - cells(text))
    return fill + text if right else text + fill


def chop(text: str, width: int) -> list[str]:
    """``text`` in pieces of at most ``width`` cells (at least one character
    each, so a wide character in a one-cell column still moves on)."""
    if text.isascii():
        return [text[i : i + width] for i in range(0, len(text), max(1, width))] or [""]
    pieces, piece, used = [], "", 0
    for ch in text:
        n = char_cells(ch)
        if piece and used + n > width:
            pieces.append(piece)
            piece, used = "", 0
        piece += ch
        used += n
    pieces.append(piece)
    return pieces


def clip(text: str, width: int, keep_end: bool = False) -> str:
    """``text`` cut to ``width`` cells with "…" where it was cut (at its start
    with ``keep_end``, so a path keeps its file name)."""
    if cells(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    if keep_end:
        return "…" + chop(text[::-1], width - 1)[0][::-1]
    return chop(text, width - 1)[0] + "…"
