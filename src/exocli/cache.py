"""The parsed-data cache: one file per set of data files, never pickle.

The cache file is named by a fingerprint of the data files it was built from
(path, size, modification time and inode of each, plus the exo and Python
versions), so a changed file simply misses the cache. Its contents are
``MAGIC + blake2b digest + marshal payload``: the digest is checked before a
byte is unmarshalled, so a truncated, corrupt or foreign file is ignored and
rebuilt. Writes go to a temporary file in the same folder and are renamed into
place, so a reader never sees half a file and an interrupted write leaves
nothing behind. Any trouble (no HOME, read-only folder, full disk) means
"no cache", never an error.
"""

from __future__ import annotations

import gc
import hashlib
import marshal
import os
import sys
import tempfile
from pathlib import Path

from . import __version__
from .model import DATA_FILES

MAGIC = b"EXOCACHE3\n"  # bump whenever the cached state changes shape
KEEP = 8  # cache files kept per cache folder (one per distinct set of data folders)


def cache_dir(env: dict | None = None) -> Path | None:
    """EXO_CACHE_DIR, else $XDG_CACHE_HOME/exo, else ~/.cache/exo; None if none can be named."""
    env = os.environ if env is None else env
    if env.get("EXO_CACHE_DIR"):
        return Path(env["EXO_CACHE_DIR"])
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "exo"
    home = env.get("HOME")
    if not home:
        return None
    return Path(home) / ".cache" / "exo"


def fingerprint(dirs: list[Path]) -> str | None:
    """A name for this exact set of data files; None when a folder is missing."""
    h = hashlib.blake2b(digest_size=16)
    h.update(MAGIC + f"{__version__}|{sys.version_info[:2]}|{marshal.version}".encode())
    for d in dirs:
        try:
            resolved = d.resolve()
        except OSError:
            return None
        if not resolved.is_dir():
            return None
        h.update(b"\0D" + os.fsencode(resolved))
        for name in DATA_FILES:
            try:
                st = (resolved / name).stat()
            except FileNotFoundError:
                continue
            except OSError:
                return None
            h.update(f"\0{name}|{st.st_size}|{st.st_mtime_ns}|{st.st_ino}".encode())
    return h.hexdigest()


def _path(fp: str, env: dict | None) -> Path | None:
    d = cache_dir(env)
    return None if d is None else d / f"catalog-{fp}.bin"


def read(fp: str, env: dict | None = None) -> dict | None:
    """The cached state for a fingerprint, or None if absent or damaged."""
    path = _path(fp, env)
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head = len(MAGIC) + 32
    if len(data) < head or not data.startswith(MAGIC):
        return None
    payload = memoryview(data)[head:]
    if hashlib.blake2b(payload, digest_size=32).digest() != data[len(MAGIC) : head]:
        return None
    enabled = gc.isenabled()
    gc.disable()  # NOTE: building many small objects; the collector only slows this down
    try:
        state = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return None
    finally:
        if enabled:
            gc.enable()
    if not isinstance(state, dict) or "keys" not in state:
        return None
    return state


def write(fp: str, state: dict, env: dict | None = None) -> None:
    """Store state atomically; silently do nothing if the folder is unusable."""
    path = _path(fp, env)
    if path is None:
        return
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = marshal.dumps(state)
        digest = hashlib.blake2b(payload, digest_size=32).digest()
        fd, tmp = tempfile.mkstemp(prefix=".catalog-", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC + digest)
            f.write(payload)
        os.replace(tmp, path)
        tmp = None
        _prune(path.parent, keep=path)
    except (OSError, ValueError):
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _prune(folder: Path, keep: Path) -> None:
    files = sorted(folder.glob("catalog-*.bin"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP:]:
        if old != keep:
            try:
                old.unlink()
            except OSError:
                pass
