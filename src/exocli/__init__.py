"""exo: a terminal field guide to research on MSC-derived exosomes.

The public API is small: `load` a catalog, `search` it, filter studies with
`query.filter_studies`, and format citations with `cite`. Importing this
package imports nothing heavy; each command pulls in only what it uses.
"""

from __future__ import annotations

# NOTE: the future import binds the name `annotations` in this package, which
# would hide the `exocli.annotations` module from `from . import annotations`.
del annotations

from .version import DATA_RELEASE, REVIEW_DOI, REVIEW_KEY, __version__  # noqa: E402 - after the del above

__all__ = ["__version__", "DATA_RELEASE", "REVIEW_DOI", "REVIEW_KEY", "load"]


def load(*dirs, use_cache: bool = True):
    """The catalog of the bundled data plus EXO_DATA_PATH and the given folders."""
    from .catalog import load as _load

    return _load(dirs, use_cache=use_cache)
