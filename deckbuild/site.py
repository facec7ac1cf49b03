"""Pages from Jinja templates, and the atomic write of the whole site.

The site is assembled in a fresh folder beside the output and swapped in only
when the build succeeded, so a broken edit during a lecture leaves the last
good site exactly as it was. Files are written in sorted order with no
timestamps, so the same sources give byte-identical output.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=jinja2.select_autoescape(),
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                              undefined=jinja2.StrictUndefined)


def static_files() -> dict[str, Path]:
    """The project's own CSS and JavaScript under templates/static/."""
    static = TEMPLATES / "static"
    return {p.relative_to(static).as_posix(): p for p in sorted(static.rglob("*")) if p.is_file()}


def write_site(out_dir: Path, files: dict[str, bytes | Path]) -> None:
    """Write every file into a new folder, then swap it in for `out_dir`."""
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    try:
        for rel in sorted(files):
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            content = files[rel]
            if isinstance(content, Path):
                _link_or_copy(content, target)
            else:
                target.write_bytes(content)
        os.chmod(staging, 0o755)
        _swap(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _link_or_copy(src: Path, dst: Path) -> None:
    """Hard-link large unchanged assets (fonts) when possible: the same bytes, no copy time."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _swap(staging: Path, out_dir: Path) -> None:
    old = None
    if out_dir.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
        os.rmdir(old)
        os.rename(out_dir, old)
    os.rename(staging, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
