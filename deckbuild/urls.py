"""Deck URLs as the lecturer's Hugo site gives them, so existing links keep working.

Hugo names a page after its file: `MakePath` keeps letters, digits, marks and
`. _ # + ~ - %XX`, turns each run of spaces into one hyphen and drops every
other character; then the path is lower-cased (`DAR_5_5.md` -> `dar_5_5/`,
`Attention Connection Bottleneck.md` -> `attention-connection-bottleneck/`).
A slug that would land on the site's own files, or be empty, is refused.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

RESERVED = {"assets", "index.html", "media"}  # the site's own top-level names
_HEX = re.compile(r"%[0-9A-Fa-f]{2}")


def _allowed(ch: str) -> bool:
    return ch in "._#+~-" or unicodedata.category(ch)[0] in ("L", "N", "M")


def hugo_slug(name: str) -> str:
    """Hugo's UnicodeSanitize, then lower case."""
    out: list[str] = []
    hyphen_pending = was_hyphen = False
    i = 0
    while i < len(name):
        ch = name[i]
        if _allowed(ch) or _HEX.match(name, i) and ch == "%":
            was_hyphen = ch == "-"
            if hyphen_pending and not was_hyphen:
                out.append("-")
            hyphen_pending = False
            out.append(ch)
        elif out and ch.isspace() and not was_hyphen:
            hyphen_pending = True
        i += 1
    return "".join(out).lower()


def deck_slug(path: Path) -> tuple[str, str]:
    """(slug, problem): the deck's URL folder, or why the file name cannot be one."""
    slug = hugo_slug(path.stem)
    if not slug.strip("."):
        return slug, f"the file name '{path.name}' gives no URL (Hugo keeps only letters, digits and . _ # + ~ -)"
    if slug in RESERVED:
        return slug, f"the file name '{path.name}' gives the URL '{slug}/', which the site uses for its own files"
    if "#" in slug or "%" in slug:
        return slug, f"the file name '{path.name}' gives the URL '{slug}/', which a browser reads as a fragment or an escape"
    return slug, ""
