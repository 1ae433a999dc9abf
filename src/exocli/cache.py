"""The parsed-data cache: one file per set of data files, never pickle.

The cache file is named by a fingerprint of the data files it was built from
(path, size, modification time and inode of each, plus the exo and Python
versions), so a changed file simply misses the cache. Its contents are
``MAGIC + length + CRC-32 + marshalled index + raw buffers``: length and
CRC are checked before a byte is unmarshalled, and the raw buffers (record
blobs, postings) are memory-mapped rather than copied, so a truncated, corrupt or foreign file is ignored and
rebuilt. Writes go to a temporary file in the same folder and are renamed into
place, so a reader never sees half a file and an interrupted write leaves
nothing behind. Any trouble (no HOME, read-only folder, full disk) means
"no cache", never an error.
"""

from __future__ import annotations

import gc
import marshal
import os
import sys
import zlib
from pathlib import Path

from . import __version__
from .model import DATA_FILES

MAGIC = b"EXOCACHE8\n"  # bump whenever the cached state changes shape
# NOTE: CRC-32 and the length catch truncation and corruption; the cache is
# ours, in the user's own folder, so no cryptographic digest is needed (and
# hashlib costs more to import than the whole cache takes to read).
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


class _Hash:
    """Two independent 32-bit checksums: a 64-bit name for a set of files."""

    def __init__(self) -> None:
        self.a = 0
        self.b = 1

    def update(self, data: bytes) -> None:
        self.a = zlib.crc32(data, self.a)
        self.b = zlib.adler32(data, self.b)

    def hexdigest(self) -> str:
        return f"{self.a:08x}{self.b:08x}"


def fingerprint(dirs: list[Path]) -> str | None:
    """A name for this exact set of data files; None when a folder is missing.

    ``FOLDERS-FILES``: the first half names the set of folders, the second
    their files' state, so a new cache replaces the stale one of the same
    folders instead of piling up beside it.
    """
    h = _Hash()
    folders = _Hash()
    h.update(MAGIC + f"{__version__}|{sys.version_info[:2]}|{marshal.version}".encode())
    for d in dirs:
        try:
            resolved = d.resolve()
        except OSError:
            return None
        if not resolved.is_dir():
            return None
        folders.update(b"\0D" + os.fsencode(resolved))
        h.update(b"\0D" + os.fsencode(resolved))
        for name in DATA_FILES:
            try:
                st = (resolved / name).stat()
            except FileNotFoundError:
                continue
            except OSError:
                return None
            h.update(f"\0{name}|{st.st_size}|{st.st_mtime_ns}|{st.st_ino}".encode())
    return f"{folders.hexdigest()}-{h.hexdigest()}"


def _path(fp: str, env: dict | None) -> Path | None:
    d = cache_dir(env)
    return None if d is None else d / f"catalog-{fp}.bin"


# Big byte buffers stored raw after the marshalled part and mapped, not copied.
RAW = ("blob_data", "postings")


def read(fp: str, env: dict | None = None) -> dict | None:
    """The cached state for a fingerprint, or None if absent or damaged."""
    path = _path(fp, env)
    if path is None:
        return None
    import mmap  # noqa: PLC0415

    try:
        with open(path, "rb") as f:
            data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    head = len(MAGIC) + 16
    if len(data) < head or data[: len(MAGIC)] != MAGIC:
        return None
    view = memoryview(data)
    size = int.from_bytes(data[len(MAGIC) : len(MAGIC) + 8], "big")
    meta_len = int.from_bytes(data[len(MAGIC) + 8 : len(MAGIC) + 12], "big")
    crc = int.from_bytes(data[len(MAGIC) + 12 : head], "big")
    if size != len(data) - head or meta_len > size or zlib.crc32(view[head:]) != crc:
        return None
    enabled = gc.isenabled()
    gc.disable()  # NOTE: building many small objects; the collector only slows this down
    try:
        state = marshal.loads(view[head : head + meta_len])
    except (ValueError, EOFError, TypeError):
        return None
    finally:
        if enabled:
            gc.enable()
    if not isinstance(state, dict) or "keys" not in state or not isinstance(state.get("raw"), dict):
        return None
    try:
        for name, (offset, length) in state.pop("raw").items():
            start = head + offset
            if not (head + meta_len <= start and start + length <= len(data)):
                return None
            state[name] = view[start : start + length]
    except (TypeError, ValueError):
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
        import tempfile  # noqa: PLC0415 - only when writing

        meta = {k: v for k, v in state.items() if k not in RAW}
        raw = [bytes(state[k]) for k in RAW]
        # Lay the raw buffers out after the marshalled part, 8-byte aligned.
        offsets = {}
        meta["raw"] = {k: (0, 0) for k in RAW}
        meta_len = len(marshal.dumps(meta))
        pos = meta_len + 64  # room for the offsets themselves to grow
        for k, buf in zip(RAW, raw):
            pos += -pos % 8
            offsets[k] = (pos, len(buf))
            pos += len(buf)
        meta["raw"] = offsets
        packed = marshal.dumps(meta)
        if len(packed) > meta_len + 64:
            raise ValueError("cache index outgrew its reserved room")
        body = bytearray(packed)
        for k, buf in zip(RAW, raw):
            body.extend(b"\0" * (offsets[k][0] - len(body)))
            body.extend(buf)
        header = MAGIC + len(body).to_bytes(8, "big") + len(packed).to_bytes(4, "big") + zlib.crc32(body).to_bytes(4, "big")
        fd, tmp = tempfile.mkstemp(prefix=".catalog-", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(header)
            f.write(body)
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
    """Drop stale caches of the same folders, and all but the newest KEEP."""
    same = keep.name.split("-")[1]
    files = sorted(folder.glob("catalog-*.bin"), key=lambda p: p.stat().st_mtime, reverse=True)
    for i, old in enumerate(files):
        if old != keep and (i >= KEEP or old.name.split("-")[1] == same):
            try:
                old.unlink()
            except OSError:
                pass
