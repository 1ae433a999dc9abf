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
# Letter runs touching a digit; possessive and anchored so a long word costs
# one pass (a backtracking pattern made indexing a million studies crawl).
_RUNS_BY_DIGITS = re.compile(r"(?<![A-Za-z])[A-Za-z]{2,}+(?=[0-9])|(?<=[0-9])[A-Za-z]{2,}+")
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


_CONTROL = {c: None for c in range(32) if c not in (9, 10)}
_CONTROL.update({0x7F: None})
_CONTROL.update({c: None for c in range(0x80, 0xA0)})


def printable(text: str) -> str:
    """Neutralise control characters and escape sequences for a terminal.

    ESC, BEL, C1 controls and the like become visible in caret notation
    (``^[``) so a title can never move the cursor, set the window
    title or clear the screen. Bidirectional overrides are made visible too.
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
        elif 0x80 <= o < 0xA0 or o in (0x200E, 0x200F) or 0x202A <= o <= 0x202E or 0x2066 <= o <= 0x2069:
            out.append(f"<U+{o:04X}>")
        else:
            out.append(ch)
    return "".join(out)


_INVISIBLE = re.compile("[\u0080-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def json_text(obj: object, indent: int | None = None) -> str:
    """JSON with the data intact, but C1 controls and bidirectional marks
    written as \\u escapes, so the text is safe to show on a terminal and
    reads back to exactly the same strings (json escapes C0 controls itself)."""
    import json  # noqa: PLC0415

    text = json.dumps(obj, ensure_ascii=False, indent=indent)
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def one_line(text: str) -> str:
    """`printable`, with tabs and newlines as spaces (for tab-separated output)."""
    return printable(text).replace("\n", " ").replace("\t", " ")
