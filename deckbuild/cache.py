"""The build's one cache: results that are slow to make, kept in one folder in one format.

Typeset formulas, evaluated rows, derivation check results, generated
figures, printed handouts and rendered decks all live here, under one key
recipe (`key`) and one atomic writer (`write_atomic`). A cache must never be
able to lie, so:

- every entry is validated when it is read: a JSON value must hash to the
  digest stored beside it and have the shape its table expects; a file
  (blob) must hash to the digest recorded when it was stored. Anything else
  counts as a miss and is made afresh. A long-lived process (`serve`) checks a
  value once, until it is replaced, and hashes a file again when its stat
  changes (`file_sha`);
- entries are evicted: one not used for `max_age_days`, and the least
  recently used ones once a table or the blobs exceed their size bound;
- `check` opens the cache with `read=False`: it trusts nothing cached and
  computes everything, while its fresh results may still be stored; only the
  kinds named in `always_read` (the generated figures: pictures, not results a
  check vouches for, and still validated by digest) are read even then;
- a cache that cannot be written (read-only or full disk) costs speed, never
  the build: the problem is recorded in `problems` for a warning.

Layout: `<root>/<table>.json` holds `{"format", "entries": {key: {"sha",
"used", "size", "value"}}}`; blobs are files `<root>/<kind>/<key><suffix>`
whose digests sit in the `blobs` table.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

FORMAT = "deckbuild-cache/1"
DAY = 86400.0
MAX_AGE_DAYS = 30
TABLE_BYTES = 64 << 20  # per table; a 5 MB deck's formulas fit, a decade of edits does not
BLOB_BYTES = 512 << 20  # all files together (handouts are the large ones)
SUPERSEDED_GRACE_S = 600.0  # a superseded file outlives its entry this long, for builds still copying it

Shape = Callable[[object], bool]


def key(*parts) -> str:
    """The one key recipe: a digest over JSON of the parts (bytes hashed first), in order."""
    plain = [hashlib.sha256(p).hexdigest() if isinstance(p, bytes) else p for p in parts]
    raw = json.dumps([FORMAT, *plain], ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def file_digest(paths) -> str:
    """Digest over files' relative names and bytes: code and data a result was made from."""
    h = hashlib.sha256()
    for base, path in paths:
        data = path.read_bytes()
        h.update(path.relative_to(base).as_posix().encode() + b"\0" + len(data).to_bytes(8, "big") + data)
    return h.hexdigest()


def installed_versions() -> dict[str, str]:
    """Every installed Python distribution's version (normalised name -> version), read from the names of
    the `.dist-info` folders on sys.path: one listdir each, where importlib.metadata costs more than a
    whole warm build. Results made with a library are keyed by its version."""
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info"):
                dist, _, version = name[: -len(".dist-info")].partition("-")
                found.setdefault(_normalised(dist), version)
    return found


def versions_of(names) -> dict[str, str]:
    installed = installed_versions()
    return {name: installed.get(_normalised(name), "not installed") for name in names}


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


RACY_S = 2.0  # a file changed this recently may change again within one tick of the clock, unseen by stat
_file_shas: dict[str, tuple[tuple[int, ...], str]] = {}


def file_sha(path: str | Path) -> str | None:
    """The sha256 of a file's bytes (None: unreadable), read once per process while its stat is unchanged.

    A live preview asks for the digest of every image and kept page at every save; rereading them
    was most of a rebuild. The stat (size, modification and change times, inode, device) is trusted
    only for a file that had been left alone for RACY_S when it was read: a write within the same
    clock tick as that read could leave all of it unchanged (git's "racily clean" files)."""
    name = os.fspath(path)
    try:
        st = os.stat(name)
    except OSError:
        return None
    seen = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
    known = _file_shas.get(name)
    if known is not None and known[0] == seen:
        return known[1]
    try:
        with open(name, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None
    if time.time() - max(st.st_mtime, st.st_ctime) > RACY_S:
        _file_shas[name] = (seen, digest)
    return digest


def _value_sha(value) -> tuple[str, int]:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest(), len(text)


def write_atomic(path: Path, data: bytes) -> None:
    """Write beside the target and rename over it: a reader or a kill never sees a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would keep copied files from other readers
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class Table:
    """Named JSON values, each validated on read by its digest and by the table's shape."""

    def __init__(self, cache: Cache, name: str, shape: Shape, max_bytes: int):
        self.cache, self.name, self.shape, self.max_bytes = cache, name, shape, max_bytes
        self.path = cache.root / f"{name}.json" if cache.root else None
        self.dirty = False
        self.added: set[str] = set()  # keys put by this process (what a worker process hands back)
        self.entries: dict[str, dict] = {}
        # Entries already validated in this process: a live preview reads every deck's at every save, and
        # hashing their JSON again was a third of a rebuild. An entry replaced or merged is checked anew.
        self.checked: set[str] = set()
        if self.path is not None and (cache.read or name in cache.always_read or name == "blobs" and cache.always_read):
            saved = _read_json(self.path)
            if isinstance(saved, dict) and saved.get("format") == FORMAT and isinstance(saved.get("entries"), dict):
                self.entries = saved["entries"]

    def get(self, k: str):
        entry = self.entries.get(k)
        if entry is None:
            return None
        if k in self.checked:
            return self._used(entry)
        try:
            value = entry["value"]
            valid = entry["sha"] == _value_sha(value)[0] and self.shape(value)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            valid = False
        if not valid:
            del self.entries[k]
            self.dirty = True
            return None
        self.checked.add(k)
        return self._used(entry)

    def _used(self, entry: dict):
        today = self.cache.today
        if entry.get("used") != today:
            entry["used"] = today
            self.dirty = True
        return entry["value"]

    def put(self, k: str, value) -> None:
        sha, size = _value_sha(value)
        self.entries[k] = {"sha": sha, "used": self.cache.today, "size": size, "value": value}
        self.checked.discard(k)  # the caller may still change the value it handed in
        self.added.add(k)
        self.dirty = True

    def get_or(self, k: str, make: Callable[[], object]):
        value = self.get(k)
        if value is None:
            value = make()
            self.put(k, value)
        return value

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        self.entries = _evict(self.entries, self.cache.today, self.cache.max_age_days, self.max_bytes)
        data = json.dumps({"format": FORMAT, "entries": self.entries}, ensure_ascii=False, sort_keys=True)
        if self.cache._write(self.path, data.encode()):
            self.dirty = False


def _evict(entries: dict[str, dict], today: int, max_age: int, max_bytes: int) -> dict[str, dict]:
    """Drop what was not used for `max_age` days, then the least recently used beyond `max_bytes`."""
    kept = {k: e for k, e in entries.items() if isinstance(e, dict) and today - int(e.get("used", 0)) <= max_age}
    total = sum(int(e.get("size", 0)) for e in kept.values())
    if total > max_bytes:
        for k in sorted(kept, key=lambda k: (int(kept[k].get("used", 0)), k)):
            total -= int(kept.pop(k).get("size", 0))
            if total <= max_bytes:
                break
    return kept


def _blob_shape(v) -> bool:
    return isinstance(v, dict) and isinstance(v["sha"], str) and isinstance(v["file"], str) and isinstance(v["group"], str)


class Cache:
    """One cache folder for a build (`root=None`: remember nothing)."""

    def __init__(self, root: Path | None, *, read: bool = True, max_age_days: int = MAX_AGE_DAYS,
                 table_bytes: int = TABLE_BYTES, blob_bytes: int = BLOB_BYTES, now: float | None = None,
                 always_read: tuple[str, ...] = ()):
        self.root = Path(root) if root is not None else None
        self.read = read
        self.always_read = always_read  # tables and blob kinds read even with read=False
        self.max_age_days, self.table_bytes, self.blob_bytes = max_age_days, table_bytes, blob_bytes
        self.today = int((time.time() if now is None else now) // DAY)
        self.problems: list[str] = []
        self._tables: dict[str, Table] = {}
        self._opening = threading.Lock()  # the derivation checks open tables in a thread beside the build's
        self._swept: set[str] = set()  # kinds whose superseded files the next save() sweeps

    def table(self, name: str, shape: Shape | None) -> Table:
        """The one table of that name: two threads opening it at once get the same, or one's writes were lost."""
        with self._opening:
            if name not in self._tables:
                self._tables[name] = Table(self, name, shape, self.blob_bytes if name == "blobs" else self.table_bytes)
            elif self._tables[name].shape is None:
                self._tables[name].shape = shape
            return self._tables[name]

    def additions(self) -> dict[str, dict[str, dict]]:
        """Every entry this process added, by table: a worker process returns them to the build's cache."""
        return {name: {k: t.entries[k] for k in t.added if k in t.entries} for name, t in self._tables.items() if t.added}

    def reset_additions(self) -> None:
        for table in self._tables.values():
            table.added.clear()

    def merge(self, additions: dict[str, dict[str, dict]]) -> None:
        """Take in what a worker process added (its files are already in the cache folder)."""
        for name, entries in additions.items():
            table = self.table(name, None)  # the shape is set by whoever reads the table
            table.entries.update(entries)
            table.checked -= set(entries)
            table.dirty = True

    # ------------------------------------------------------------ files

    def _blobs(self) -> Table:
        return self.table("blobs", _blob_shape)

    def blob(self, kind: str, k: str) -> Path | None:
        """The stored file of `kind`/`k` if its bytes still hash to what was stored, else None."""
        if self.root is None or not (self.read or kind in self.always_read):
            return None
        entry = self._blobs().get(f"{kind}/{k}")
        if entry is None:
            return None
        path = self.root / kind / entry["file"]
        if file_sha(path) != entry["sha"]:
            self._blobs().entries.pop(f"{kind}/{k}", None)
            self._blobs().dirty = True
            return None
        return path

    def stored(self, kind: str) -> list[str]:
        """The keys of the files of `kind` the cache holds (not validated: `blob` does that on use)."""
        prefix = f"{kind}/"
        return sorted(k[len(prefix):] for k in self._blobs().entries if k.startswith(prefix))

    def put_blob(self, kind: str, k: str, data: bytes, suffix: str = "", group: str = "") -> Path | None:
        """Store a file; a non-empty `group` names what it supersedes (the older file of the group goes).

        Returns None when the cache cannot be written (the caller then uses the bytes it has)."""
        if self.root is None:
            return None
        name = f"{k}{suffix}"
        path = self.root / kind / name
        if not self._write(path, data):
            return None
        blobs = self._blobs()
        if group:
            for other, entry in list(blobs.entries.items()):
                value = entry.get("value") if isinstance(entry, dict) else None
                if (other != f"{kind}/{k}" and other.startswith(f"{kind}/") and isinstance(value, dict)
                        and value.get("group") == group):
                    self._drop_blob(other, keep_file=True)  # another build may be copying it right now
            self._swept.add(kind)
        size = len(data)
        blobs.put(f"{kind}/{k}", {"sha": hashlib.sha256(data).hexdigest(), "file": name, "group": group})
        blobs.entries[f"{kind}/{k}"]["size"] = size
        return path

    def _drop_blob(self, full_key: str, keep_file: bool = False) -> None:
        blobs = self._blobs()
        entry = blobs.entries.pop(full_key, None)
        blobs.dirty = True
        value = entry.get("value") if isinstance(entry, dict) else None
        if keep_file:
            return  # a superseded file goes in a later sweep, once no build can still be reading it
        if isinstance(value, dict) and isinstance(value.get("file"), str) and self.root is not None:
            kind = full_key.split("/", 1)[0]
            with contextlib.suppress(OSError):
                (self.root / kind / value["file"]).unlink()

    # ------------------------------------------------------------ saving

    def save(self) -> None:
        """Write every changed table (blobs last: their files are already in place), evicting as it goes."""
        if self.root is None:
            return
        if "blobs" in self._tables:
            blobs = self._tables["blobs"]
            before = set(blobs.entries)
            kept = _evict(blobs.entries, self.today, self.max_age_days, self.blob_bytes)
            for gone in before - set(kept):
                self._drop_blob(gone)
            for kind in sorted(self._swept):
                self._sweep(kind)
        for name in sorted(self._tables, key=lambda n: n == "blobs"):
            self._tables[name].save()

    def _sweep(self, kind: str) -> None:
        """Delete the files of `kind` no entry names that are older than SUPERSEDED_GRACE_S.

        Builds sharing a cache (a live preview and a command, say) each validate a file
        and copy it a moment later; a file superseded in between must still be there.
        A file another process stored since this one read the index looks unnamed here,
        but is young, and a file deleted by mistake is only a cache miss (`blob` checks)."""
        named = {v["value"]["file"] for k, v in self._blobs().entries.items()
                 if k.startswith(f"{kind}/") and isinstance(v.get("value"), dict)}
        cutoff = time.time() - SUPERSEDED_GRACE_S
        with contextlib.suppress(OSError):
            for path in (self.root / kind).iterdir():
                with contextlib.suppress(OSError):
                    if path.name not in named and not path.name.startswith(".") and path.stat().st_mtime < cutoff:
                        path.unlink()

    def _write(self, path: Path, data: bytes) -> bool:
        try:
            write_atomic(path, data)
            return True
        except OSError as exc:
            self.problems.append(f"cannot write the cache file {path}: {exc.strerror or exc}")
            return False


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
