"""Pages from Jinja templates, and the write of the whole site: owned, locked, swapped in one step.

Why it is shaped this way:

- The output folder is the build's alone. It writes only into a folder that is
  absent, empty, or carries the marker file a previous build left there, so a
  mistyped `--out` (the slides, the project, `.`) is refused instead of replaced.
- The new site is assembled in a fresh folder beside the output and exchanged
  with it by one `renameat2(RENAME_EXCHANGE)`: a reader, a dev server or a kill
  at any moment sees the old site or the new one, never none and never a mix.
  The output stays a real folder, so `_site/index.html` opens from disk and
  copies like any folder. Where the filesystem cannot exchange, two renames are
  used and a kill between them is repaired by the next build.
- One build at a time per output: a lock file beside it names the holder; a
  second build waits for it. Leftovers of a killed build are removed under the lock.
- Files are written in sorted order with no timestamps (byte-identical builds),
  and always as copies (or copy-on-write clones): never a hard link, through
  which editing the site would edit templates/, node_modules/ or slides/.
- A file the previous site already holds with the same content, untouched since
  (same inode, size and modification time as when it was written), is linked
  from the previous site into the new one instead of written again: a rebuild
  after one deck's edit costs one page, not the whole catalogue. The previous
  site is deleted right after the swap, so the link is the file's only name
  again and nothing outside the output shares it.
- A long-lived builder (`serve`) keeps the previous site instead, as a `Spare`,
  and makes the next site out of it: only the files that differ are replaced,
  so a rebuild makes no folders (a folder per deck was most of a 200-deck
  rebuild). Every file of the spare is checked against the record of what it
  holds before it is kept; anything else in it is removed. The spare is
  deleted when the builder ends, or by the next build of another process.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import hashlib
import os
import shutil
import socket
import stat
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import markup
from .diagnostics import BuildError

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = TEMPLATES / "static"  # the project's own CSS and JavaScript
MARKER = ".deckbuild-site"  # in every site this build writes: the proof that the folder is ours to replace
MARKER_TEXT = b"Written by deckbuild (python build.py). The next build replaces this folder whole.\n"
LOCK_WAIT_S = 120.0  # a build holds the lock only while it writes; longer means a stuck process


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Autoescape is on for every template, whatever its name ends in (`.j2` is not an HTML suffix
    to `select_autoescape`); HTML the build made itself is passed with `|safe`.

    One per process: a template is compiled once, not on every rebuild of `serve` (Jinja's
    auto_reload still picks up an edited template by its modification time)."""
    import jinja2  # here, not at the top: a build that renders nothing never compiles a template
    import markupsafe

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["attrs"] = lambda values: markupsafe.Markup(markup.attrs(values))
    return env


def static_files() -> dict[str, Path]:
    """The project's own CSS and JavaScript under templates/static/."""
    return {p.relative_to(STATIC).as_posix(): p for p in sorted(STATIC.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ ownership


def check_owned(out_dir: Path, protected: Iterable[Path] = ()) -> None:
    """BuildError unless `out_dir` may be replaced whole by a site.

    `protected` are folders the build reads (the slides, the project, the cache):
    the output may be neither one of them nor hold one of them, marker or not.
    """
    out = out_dir.resolve()
    for folder in protected:
        folder = folder.resolve()
        if out == folder or folder.is_relative_to(out):
            raise BuildError(f"refusing to write the site into {out_dir}: it {'is' if out == folder else 'holds'} "
                             f"{folder}, which the build reads; nothing was written or deleted\n"
                             "    hint: choose a new or empty output folder, e.g. --out _site")
    if not out.exists():
        return
    if not out.is_dir():
        raise BuildError(f"refusing to write the site into {out_dir}: it is a file, not a folder; nothing was changed\n"
                         "    hint: choose a new or empty output folder")
    try:
        entries = sorted(p.name for p in out.iterdir())
    except OSError as exc:
        raise BuildError(f"cannot read the output folder {out_dir}: {exc.strerror or exc}") from None
    if entries and MARKER not in entries and not _is_unmarked_site(out, entries):
        shown = ", ".join(entries[:3]) + (f" and {len(entries) - 3} more" if len(entries) > 3 else "")
        raise BuildError(f"refusing to write the site into {out_dir}: it holds files this build did not write "
                         f"({shown}); nothing was written or deleted\n"
                         f"    hint: choose a new or empty output folder (a built site carries a {MARKER} file)")


def _is_unmarked_site(out: Path, entries: list[str]) -> bool:
    """A site written before sites carried the marker: our own index, our own assets, deck folders only.

    Without this, a lecturer whose `_site/` came from an earlier version would have to delete it by hand."""
    assets = out / "assets"
    if not ((out / "index.html").is_file() and all((assets / name).is_file() for name in static_files())):
        return False
    return all(name in ("index.html", "assets") or (out / name / "index.html").is_file() for name in entries)


# ------------------------------------------------------------------ the write


Contents = dict[str, list]  # site path -> [content identity, size, mtime_ns, inode] as written


@dataclass
class Spare:
    """The site before the current one, kept beside the output by a builder that writes it again and again."""

    path: Path | None = None
    contents: Contents = field(default_factory=dict)  # what `path` holds, as written

    def discard(self) -> None:
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
        self.path, self.contents = None, {}


def write_site(out_dir: Path, files: dict[str, bytes | Path], protected: Iterable[Path] = (),
               previous: Contents | None = None, spare: Spare | None = None) -> Contents:
    """Write every file into a new folder beside `out_dir`, then swap it in for `out_dir` in one step.

    `previous` is what the last call returned for this folder: its untouched files whose content
    is unchanged are linked rather than written. Returns the same record for the new site.
    With a `spare`, the new folder is made from the spare's, and the replaced site becomes the spare.
    BuildError (with the output untouched) when the folder is not the build's, is
    locked past the wait, or the disk refuses (read-only, full)."""
    out = out_dir.resolve()
    protected = list(protected)
    check_owned(out, protected)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with output_lock(out):
            check_owned(out, protected)  # another build may have changed it while this one waited
            kept = spare.path if spare is not None and spare.path is not None and spare.path.is_dir() \
                and not spare.path.is_symlink() else None  # a link put in its place could lead anywhere
            clean_leftovers(out, keep=kept)
            return _write_and_swap(out, files, previous or {}, spare, kept)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise BuildError(f"cannot write the site into {out_dir}: {exc.strerror or exc}{where}; "
                         f"the previous site is unchanged\n"
                         "    hint: check that the disk has space and the folder is writable, or choose --out elsewhere"
                         ) from None


def _write_and_swap(out: Path, files: dict[str, bytes | Path], previous: Contents, spare: Spare | None,
                    kept: Path | None) -> Contents:
    identities = {rel: content_identity(content) for rel, content in files.items()}
    staging = kept or Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    written: Contents = {}
    swapped = False
    try:
        have = _prune_spare(kept, identities, spare.contents) if kept is not None else {}
        made: set[Path] = {staging}
        for rel in sorted(files):
            target = staging / rel
            identity = identities[rel]
            if rel in have:
                written[rel] = have[rel]
                continue
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            content = files[rel]
            if not _link_unchanged(out / rel, target, identity, previous.get(rel)):
                if isinstance(content, Path):
                    copy_file(content, target)
                else:
                    target.write_bytes(content)
            st = target.stat()
            written[rel] = [identity, st.st_size, st.st_mtime_ns, st.st_ino]
        (staging / MARKER).write_bytes(MARKER_TEXT)
        os.chmod(staging, 0o755)
        swap(staging, out)
        swapped = True
    finally:
        if spare is not None and swapped and staging.is_dir():
            spare.path, spare.contents = staging, previous  # it holds the site just replaced
        else:
            if spare is not None:
                spare.path, spare.contents = None, {}
            shutil.rmtree(staging, ignore_errors=True)  # after an exchange it holds the previous site
    return written


def _prune_spare(folder: Path, identities: dict[str, str], contents: Contents) -> Contents:
    """Empty `folder` of everything but the files the new site holds as they are: same content as
    recorded when written, and untouched since (same size, modification time, inode).

    Returns the record of the files kept. The spare's files share their inodes with the output's,
    so none is ever written in place: a file to replace is unlinked first."""
    kept: Contents = {}
    for dirpath, dirnames, filenames in os.walk(folder, topdown=False):
        rel_dir = os.path.relpath(dirpath, folder)
        for name in filenames:
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            path = os.path.join(dirpath, name)
            record = contents.get(rel)
            if record is not None and identities.get(rel) == record[0]:
                try:
                    st = os.lstat(path)
                    if [st.st_size, st.st_mtime_ns, st.st_ino] == record[1:] and stat.S_ISREG(st.st_mode):
                        kept[rel] = record
                        continue
                except OSError:
                    pass
            os.unlink(path)
        for name in dirnames:
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                os.unlink(path)
            elif not os.listdir(path):
                os.rmdir(path)
    return kept


def content_identity(content: bytes | Path) -> str:
    """What a site file will hold: the digest of its bytes, or the source file it copies as it is on disk
    now (path, size, modification time; a copy is redone when the source is touched)."""
    if isinstance(content, Path):
        try:
            st = content.stat()
        except OSError:
            return f"file:{content}:missing"  # copy_file reports it
        return f"file:{content}:{st.st_size}:{st.st_mtime_ns}"
    return "sha256:" + hashlib.sha256(content).hexdigest()


def _link_unchanged(old: Path, new: Path, identity: str, was: list | None) -> bool:
    """Link `old` (the current site's file) as `new` if it was written with this content and is untouched."""
    if was is None or was[0] != identity:
        return False
    try:
        st = old.stat()
        if [st.st_size, st.st_mtime_ns, st.st_ino] != was[1:] or st.st_nlink != 1:
            return False
        os.link(old, new)
    except OSError:
        return False  # gone, edited, or a filesystem without links: write it
    return True


_FICLONE = 0x40049409  # Linux ioctl: share the source's blocks (btrfs, xfs); edits stay separate


def copy_file(src: Path, dst: Path) -> None:
    """A copy of `src` at `dst`: a copy-on-write clone where the filesystem offers one, else bytes."""
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        if sys.platform.startswith("linux"):
            import fcntl

            try:
                fcntl.ioctl(fout.fileno(), _FICLONE, fin.fileno())
                return
            except OSError:
                pass
        shutil.copyfileobj(fin, fout, 1 << 20)


def swap(staging: Path, out: Path) -> None:
    """Make `staging` the output in one step; afterwards `staging` holds the previous site (or nothing)."""
    if not out.exists():
        os.rename(staging, out)
        return
    if _exchange(staging, out):
        return
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    os.rename(out, old)  # no exchange on this filesystem: a kill right here is repaired by clean_leftovers
    os.rename(staging, out)
    os.rename(old, staging)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically (Linux renameat2, macOS renamex_np); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    if hasattr(libc, "renameat2"):
        call = libc.renameat2
        call.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        at_fdcwd, rename_exchange = -100, 2
        result = call(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    elif hasattr(libc, "renamex_np"):
        call = libc.renamex_np
        call.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint]
        rename_swap = 2
        result = call(os.fsencode(a), os.fsencode(b), rename_swap)
    else:
        return False
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def clean_leftovers(out: Path, keep: Path | None = None) -> None:
    """Remove what a killed build left beside the output (but `keep`, this builder's spare site); first put
    back a site a kill left unnamed.

    Called under the lock, so no other build is writing any of these."""
    leftovers = sorted(out.parent.glob(f".{out.name}.old-*")) + sorted(out.parent.glob(f".{out.name}.new-*"))
    leftovers = [p for p in leftovers if p != keep]
    if not out.exists():
        previous = [p for p in leftovers if ".old-" in p.name and (p / MARKER).is_file()]
        if previous:
            os.rename(previous[0], out)
            leftovers.remove(previous[0])
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True)


# ------------------------------------------------------------------ the lock


def lock_path(out: Path) -> Path:
    return out.with_name(f".{out.name}.lock")


@contextlib.contextmanager
def output_lock(out: Path, wait_s: float = LOCK_WAIT_S) -> Iterator[None]:
    """Hold the output's lock (a flock on a file beside it, released by the kernel if the holder dies).

    A second build waits, telling once who holds it; after `wait_s` it gives up with the holder's name."""
    import fcntl

    path = lock_path(out)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_s
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(fd)
                if time.monotonic() > deadline:
                    raise BuildError(f"the output folder {out} is locked by {holder} for more than {wait_s:.0f} s\n"
                                     f"    hint: wait for that build to finish, or stop it") from None
                if not told:
                    print(f"waiting for {holder}, which is writing {out} …", file=sys.stderr, flush=True)
                    told = True
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}, since {time.strftime('%H:%M:%S')}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return f"another build ({text})" if text else "another build"
