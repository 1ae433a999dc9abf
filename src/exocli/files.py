"""Safe writes to the user's library folder.

exo never writes into a data folder it only reads; the one place it writes
is the user library (`loader.library_dir`): ``studies.toml`` filled by
`exo import` and ``annotations.toml`` holding tags and notes. Every write
goes through `write_atomic`, so a reader, or a crash halfway, never sees
half a file. Standard library only.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: a temporary file in the same folder, synced, then renamed.

    The folder is created if needed. An existing file keeps its permission
    bits; a new one gets those the umask allows. On any error the temporary file is removed and ``path`` is left
    as it was; the OSError propagates for the caller to report.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        # NOTE: a new file gets the permissions any new file would (mkstemp's are 0600).
        umask = os.umask(0o022)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable; not every system allows this
        dfd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)
