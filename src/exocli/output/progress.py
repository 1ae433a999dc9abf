"""The progress lines exo writes on a terminal's stderr while it works:
the first run's "reading PATH (120 MB) 45%" and an import's bar. Text
only; the CLI rewrites the line in place."""

from __future__ import annotations

from ..text import cells, clip, one_line

# Below these a step is too quick to be worth a word.
READ_WORTH = 1_000_000  # bytes of a data file: the bundled data parses in milliseconds
IMPORT_WORTH = 2_000  # records of an import
BAR = 20  # cells of an import's bar


def reading_line(path: str, done: int, total: int, columns: int) -> str | None:
    """"exo: first run, reading PATH (120 MB) 45%" for a big data file, else None."""
    if total < READ_WORTH:
        return None
    share = f"{100 * done // total}%" if done else "..."
    return progress_line(path, f" ({total / 1e6:.0f} MB) {share}", columns)


def progress_line(path: str, tail: str, columns: int) -> str:
    """"exo: first run, reading PATH TAIL" in less than ``columns`` cells.

    NOTE: a line as wide as the terminal wraps, and "\\r" then returns only to
    the start of its last row, leaving the others on screen at every update.
    A long path loses its start ("…/data/studies.toml") before anything else.
    """
    head = "exo: first run, reading "
    room = columns - 1 - cells(head) - cells(tail)
    if room >= 12:
        return head + clip(one_line(path), room, keep_end=True) + tail
    return clip(head + one_line(path) + tail, max(1, columns - 1))


def import_line(stage: str, done: int, total: int) -> str | None:
    """"exo: annotating [#####---] 25% (25,000 of 100,000)" for a big import, else None."""
    if total < IMPORT_WORTH:
        return None
    if stage == "writing":
        return "exo: writing"
    share = 100 * done // max(1, total)
    filled = share * BAR // 100
    return f"exo: {stage} [{'#' * filled}{'-' * (BAR - filled)}] {share}% ({done:,} of {total:,})"
