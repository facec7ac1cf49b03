"""One script for a deck page, joined from the site's front-end scripts.

A deck cannot start Reveal before its scripts are in: each script is a request
on that path, and over HTTP/1.1 they queue behind the stylesheets and the font
preloads (six connections a host). Joined, the page waits for one. The parts
stay in the site as they are. Order is the order of evaluation.

(The stylesheets stay apart: printed from one joined stylesheet, Chromium now and
then put a handout's pages out with every web-font text missing.)
"""
from __future__ import annotations

import re
from pathlib import Path

DECK_JS = "assets/deck.js"
# Reveal first (PresentKit uses it). Reveal's speaker-notes plugin is not a part:
# the page carries it for PresentKit to run when the speaker view is wanted.
JS_PARTS = ["assets/reveal/reveal.js", "assets/present.js"]

_SOURCE_MAP = re.compile(r"^//# sourceMappingURL=.*$", re.M)  # a part's map is not shipped, nor is the bundle's


def deck_bundles(files: dict[str, bytes | Path]) -> dict[str, bytes]:
    """`assets/deck.js` made from the parts in `files` (site path -> bytes or file)."""
    js = "\n;\n".join(_SOURCE_MAP.sub("", _text(files, part)).rstrip() for part in JS_PARTS)
    return {DECK_JS: (js + "\n").encode()}


def _text(files: dict[str, bytes | Path], path: str) -> str:
    data = files[path]
    return (data if isinstance(data, bytes) else data.read_bytes()).decode("utf-8")
