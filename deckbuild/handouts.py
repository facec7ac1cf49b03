"""Which printed handout belongs to which page: the key of a PDF in the cache, and its name in the site.

A handout is valid for exactly the page it was printed from, every file that
page uses (CSS, scripts, fonts, images, followed through CSS) and the print
mode. The build reads this to put earlier handouts into the site for free;
`pdf.py` prints the missing ones. Nothing here starts a browser.
"""
from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from pathlib import Path

from .cache import Cache

MODES = ("slides", "steps", "notes", "steps-notes")
FORMAT = "1"  # bump when the print settings change: every cached PDF is then stale

_REF = re.compile(r"""(?:href|src)\s*=\s*["']([^"'#?]+)""", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*["']?([^"')#?]+)""")


def check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown PDF mode {mode!r}; one of {', '.join(MODES)}")


def assets_digest(files: Mapping[str, bytes | Path], slug: str) -> str:
    """Digest of every file the deck's page uses, followed through CSS to fonts.

    `files` maps site-relative paths to contents or source paths, as the
    pipeline assembles them (or `site_files` reads them back from a built
    site). Only what the page references counts: an asset of another deck, or
    the deck's own PDF, must not make this deck's handout stale.
    """
    page = f"{slug}/index.html"
    if page not in files:
        raise KeyError(f"{page} is not among the site's files")
    h = hashlib.sha256()
    for rel in sorted(_used_files(files, page)):
        h.update(rel.encode() + b"\0" + hashlib.sha256(_read(files[rel])).digest())
    return h.hexdigest()


def _used_files(files: Mapping[str, bytes | Path], page: str) -> set[str]:
    seen: set[str] = set()
    todo = _references(files, page, _REF)
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.add(rel)
        if rel.endswith(".css"):
            todo |= _references(files, rel, _CSS_URL)
    return seen


def _references(files: Mapping[str, bytes | Path], rel: str, pattern: re.Pattern) -> set[str]:
    """Site-relative paths that `rel` points at and the site has (remote URLs are not the site's)."""
    base = rel.rsplit("/", 1)[0] if "/" in rel else ""
    text = _read(files[rel]).decode("utf-8", "replace")
    out = set()
    for ref in pattern.findall(text):
        target = os.path.normpath(f"{base}/{ref.strip()}" if base else ref.strip()).replace(os.sep, "/")
        if target in files and target != rel:
            out.add(target)
    return out


def _read(content: bytes | Path) -> bytes:
    return content if isinstance(content, bytes) else content.read_bytes()


def site_files(site_dir: Path) -> dict[str, Path]:
    """A built site as the pipeline's `files` mapping, for `assets_digest` after the fact."""
    return {p.relative_to(site_dir).as_posix(): p for p in site_dir.rglob("*") if p.is_file()}


def pdf_key(page_bytes: bytes, assets_digest: str, mode: str) -> str:
    check_mode(mode)
    h = hashlib.sha256(f"deckbuild-pdf {FORMAT} {mode} {assets_digest}\0".encode())
    h.update(page_bytes)
    return f"{mode}-{h.hexdigest()[:16]}"


def cached_pdf(cache: Cache, slug: str, page_bytes: bytes, assets_digest: str, mode: str = "slides") -> Path | None:
    """The cached handout of exactly this page, assets and mode (its bytes checked), or None: print it."""
    return cache.blob("pdf", f"{slug}-{pdf_key(page_bytes, assets_digest, mode)}")


def store(cache: Cache, slug: str, key: str, data: bytes) -> Path | None:
    """Keep a printed handout; it supersedes the older one of this deck and mode, which can never be hit again."""
    mode = key.rsplit("-", 1)[0]
    return cache.put_blob("pdf", f"{slug}-{key}", data, ".pdf", group=f"{slug}/{mode}")


def site_pdf_name(slug: str, mode: str = "slides") -> str:
    """The handout's name beside the deck: `<slug>.pdf`, or `<slug>-<mode>.pdf` for the other modes."""
    return f"{slug}.pdf" if mode == "slides" else f"{slug}-{mode}.pdf"
