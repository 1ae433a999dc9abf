"""exo: a terminal field guide to research on MSC-derived exosomes.

The public API is small: `load` a catalog, `search` it, filter studies with
`query.filter_studies`, and format citations with `cite`. Importing this
package imports nothing heavy; each command pulls in only what it uses.
"""

# NOTE: no `from __future__ import annotations` here: it would bind the name
# `annotations` in this package and hide the `exocli.annotations` module.

__version__ = "0.1.0"
DATA_RELEASE = "2026.11"
REVIEW_DOI = "10.3389/fphar.2020.590470"
REVIEW_KEY = "Wei2021"

__all__ = ["__version__", "DATA_RELEASE", "REVIEW_DOI", "REVIEW_KEY", "load"]


def load(*dirs, use_cache: bool = True):
    """The catalog of the bundled data plus EXO_DATA_PATH and the given folders."""
    from .catalog import load as _load

    return _load(dirs, use_cache=use_cache)
