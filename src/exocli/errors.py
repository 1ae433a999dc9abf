"""User-visible errors.

The core raises these; only the CLI turns them into a message on stderr and an
exit code (see README "Exit codes"). Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass

from .signals import EXIT_INTERRUPTED, Interrupted  # noqa: F401 - the error kinds are all here

EXIT_OK = 0
EXIT_NOT_FOUND = 1  # unknown key, filter value matching nothing, empty result
EXIT_USAGE = 2  # bad option values, bad data folders
EXIT_INTERNAL = 3  # a bug in exo (message on stderr, no traceback unless EXO_DEBUG=1)


def quoted(value: object, limit: int = 80) -> str:
    """A value as it appears in a message: quoted, and cut if very long."""
    text = str(value)
    if len(text) <= limit:
        return repr(text)
    return repr(text[:limit]) + f"... ({len(text)} characters)"


class ExoError(Exception):
    """An error meant for a person: what went wrong and what to try."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class NotFound(ExoError):
    """A key or filter value that matches nothing (exit 1)."""

    exit_code = EXIT_NOT_FOUND

    def __init__(
        self,
        what: str,
        value: str,
        suggestions: list[str] | None = None,
        hint: str | None = None,
        *,
        also: str | None = None,
        message: str | None = None,
        suggested: str | None = None,
    ) -> None:
        """``hint`` is said when there is no suggestion to make; ``also``
        after the suggestions ("did you mean X? Or, ..."); ``suggested``
        says the suggestions another way; ``message`` replaces "no WHAT
        matches VALUE"."""
        self.what = what
        self.value = value
        self.suggestions = list(suggestions or [])
        if self.suggestions:
            hint = suggested or "did you mean " + ", ".join(self.suggestions[:5]) + "?" + (f" Or, {also}" if also else "")
        super().__init__(message or f"no {what} matches {quoted(value)}", hint)


class NothingFound(ExoError):
    """A query or listing that is valid but finds nothing (exit 1, like grep)."""

    exit_code = EXIT_NOT_FOUND


class UsageError(ExoError):
    """A bad option value or combination (exit 2)."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a data folder, located as precisely as we can."""

    file: str
    message: str
    record: str | None = None
    field: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        parts = [where]
        if self.record is not None:
            parts.append(f"[{self.record}]")
        if self.field is not None:
            parts.append(self.field)
        return " ".join(parts) + ": " + self.message


class DataError(ExoError):
    """One or more problems in the data folders (exit 2)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        n = len(problems)
        super().__init__(
            f"{n} problem{'s' if n != 1 else ''} in the data",
            "fix the files named above; `exo validate DIR` checks a folder",
        )
