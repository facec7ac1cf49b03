"""One deck as one HTML file that presents with the network off.

A lecturer mails or copies a single file to a lecture-hall PC: no folder to
keep together, no server, no network. Everything the deck page loads from the
built site is put inside the page itself: stylesheets as <style>, scripts as
<script>, fonts and images as data: URIs. The input is the pipeline's
in-memory site (site path -> bytes or source file), so the single file is made
from exactly the bytes the site would be written with.

Fonts are most of the weight, so only the faces the page can use are carried,
and a face is dropped only when it provably cannot be used:

* a face with a unicode-range stays when the range covers a character of the
  page (or of its scripts and styles, which add text at run time);
* any other face stays when its family is named anywhere outside @font-face;
* KaTeX's faces are decided by what KaTeX's markup on the page asks for: the
  families named by the rules (of every stylesheet) that can match an element
  inside `.katex`, and for each the faces the browser would pick for the
  weights and styles those rules set. Weights and styles are pooled over all
  formulas rather than computed per element, which can only add faces; leaving
  the page's own weights out is sound because `.katex` resets weight and style
  with the `font` shorthand. Without that reset, or when a KaTeX family is also
  named outside formulas (where the cascade is anyone's), every face stays.
"""
from __future__ import annotations

import base64
import html
import itertools
import mimetypes
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

from .assets import unicode_ranges
from .diagnostics import BuildError


class SingleFileError(BuildError):
    """A page refers to something a file that must work offline cannot carry."""


def inline_deck(page_html: str, page_site_path: str, files: dict[str, bytes | Path]) -> str:
    """The page at `page_site_path` with every file it loads from `files` put inside it."""
    site = _Site(files, page_site_path)
    scan = _Scan(page_html)
    sheets: list[tuple[_Tag, _Sheet]] = []
    scripts: list[tuple[_Tag, str]] = []
    for tag in scan.tags:
        if tag.name == "link" and "stylesheet" in tag.rel:
            path = site.resolve(tag.attrs.get("href") or "", page_site_path)
            sheets.append((tag, _Sheet(site.text(path), path)))
        elif tag.name == "style":
            sheets.append((tag, _Sheet(page_html[tag.inner[0]:tag.inner[1]], page_site_path)))
        elif tag.name == "script" and tag.attrs.get("src") is not None:
            scripts.append((tag, site.text(site.resolve(tag.attrs["src"] or "", page_site_path))))
    inline_js = [page_html[t.inner[0]:t.inner[1]] for t in scan.tags
                 if t.name == "script" and "src" not in t.attrs and "data-font-preload" not in t.attrs]
    fonts = _FontPlan([s for _, s in sheets], scan, [js for _, js in scripts] + inline_js, page_html)

    edits: list[tuple[int, int, str]] = []
    for tag, sheet in sheets:
        css = _escape_raw(sheet.inline(site, fonts), "style")
        if tag.name == "style":
            edits.append((tag.inner[0], tag.inner[1], css))
        else:
            media = tag.attrs.get("media")
            attr = f' media="{html.escape(media)}"' if media and media.strip().lower() != "all" else ""
            edits.append((tag.start, tag.end, f"<style{attr}>\n{css}</style>"))
    for tag, js in scripts:
        edits.append((tag.start, tag.outer_end, _script_tag(tag, js, page_site_path)))
    for tag in scan.tags:
        if tag.name == "script" and "data-font-preload" in tag.attrs:
            edits.append((tag.start, tag.outer_end, ""))  # its fonts are inside the stylesheets already
    for tag in scan.tags:
        edits.extend(_attribute_edits(tag, site, page_site_path))
    out = page_html
    for start, end, text in sorted(edits, reverse=True):
        out = out[:start] + text + out[end:]
    return out


# --------------------------------------------------------------------------- the site's files


_MIME = mimetypes.MimeTypes()  # built-in table only: the system's mime.types would make output machine-dependent
for _ext, _type in {".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf", ".otf": "font/otf",
                    ".webp": "image/webp", ".avif": "image/avif", ".js": "text/javascript"}.items():
    _MIME.add_type(_type, _ext)

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
_KEEP_AS_IS = re.compile(r"^(?:data:|#|about:|javascript:|mailto:|blob:)", re.IGNORECASE)


class _Site:
    """Site paths resolved the way the browser would, against the pipeline's file map."""

    def __init__(self, files: dict[str, bytes | Path], page: str):
        self.files = files
        self.page = page

    def resolve(self, ref: str, base: str) -> str:
        ref = ref.strip()
        where = f"{self.page}: '{ref}'" + (f" (in {base})" if base != self.page else "")
        if re.match(r"^(?:https?:)?//", ref, re.IGNORECASE):
            raise SingleFileError(f"{where} is on the network; a single file must carry everything it shows "
                                  "(copy the file into the deck's folder and refer to it relatively)")
        if _SCHEME.match(ref):
            raise SingleFileError(f"{where} is a URL, not a file of the site")
        path = unquote(ref.split("#", 1)[0].split("?", 1)[0])
        if not path:
            raise SingleFileError(f"{where} names no file")
        joined = path.lstrip("/") if path.startswith("/") else posixpath.join(posixpath.dirname(base), path)
        site_path = posixpath.normpath(joined)
        if site_path.startswith("../") or site_path == "..":
            raise SingleFileError(f"{where} points outside the site")
        if site_path not in self.files:
            raise SingleFileError(f"{where} -> '{site_path}' is not among the built site's files")
        return site_path

    def bytes(self, site_path: str) -> bytes:
        content = self.files[site_path]
        return content.read_bytes() if isinstance(content, Path) else content

    def text(self, site_path: str) -> str:
        return self.bytes(site_path).decode("utf-8-sig")

    def data_uri(self, ref: str, base: str) -> str:
        if _KEEP_AS_IS.match(ref):
            return ref
        path = self.resolve(ref, base)
        mime = _MIME.guess_type(path, strict=False)[0] or "application/octet-stream"
        return f"data:{mime};base64,{base64.b64encode(self.bytes(path)).decode('ascii')}"


# --------------------------------------------------------------------------- the page


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_RESOURCE_ATTRS = {"src", "poster", "data"}
_HREF_RESOURCES = {"image", "use", "feimage"}  # SVG elements whose href loads something
_FETCHED_RELS = {"stylesheet", "icon", "apple-touch-icon", "preload", "modulepreload", "prefetch", "manifest"}


@dataclass
class _Tag:
    name: str
    attrs: dict[str, str | None]
    raw: str
    start: int
    end: int
    inner: tuple[int, int] = (0, 0)  # script/style: the text between the tags
    outer_end: int = 0  # script/style: just past the end tag

    @property
    def rel(self) -> set[str]:
        return set((self.attrs.get("rel") or "").lower().split())


@dataclass(frozen=True)
class _Element:
    tag: str
    classes: frozenset[str]
    id: str


class _Scan(HTMLParser):
    """Every start tag with its exact place in the text, and the elements inside KaTeX's markup."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=False)
        self.text = text
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.tags: list[_Tag] = []
        self.classes: set[str] = set()
        self.math: set[_Element] = set()  # inside KaTeX's markup
        self.other: set[_Element] = set()
        self.math_styles: list[str] = []
        self.other_styles: list[str] = []
        self._open: list[tuple[str, bool, _Tag]] = []  # (name, inside .katex, tag)
        self.feed(text)
        self.close()
        if any(t.name == "base" for t in self.tags):
            raise SingleFileError("a <base> element changes how every reference resolves; the deck template has none")

    def _offset(self) -> int:
        line, col = self.getpos()
        return self._line_starts[line - 1] + col

    def handle_starttag(self, tag, attrs, closed=False):
        start = self._offset()
        raw = self.get_starttag_text() or ""
        attr = dict(attrs)
        end = start + len(raw)
        item = _Tag(tag, attr, raw, start, end, (end, end), end)
        self.tags.append(item)
        classes = frozenset((attr.get("class") or "").split())
        self.classes |= classes
        in_math = "katex" in classes or bool(self._open and self._open[-1][1])
        (self.math if in_math else self.other).add(_Element(tag, classes, attr.get("id") or ""))
        if attr.get("style"):
            (self.math_styles if in_math else self.other_styles).append(attr["style"] or "")
        if not closed and tag not in _VOID:
            self._open.append((tag, in_math, item))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs, closed=True)

    def handle_endtag(self, tag):
        names = [name for name, _, _ in self._open]
        if tag not in names:
            return
        while self._open:
            name, _, item = self._open.pop()
            if name == tag:
                break
        if tag in ("script", "style"):
            start = self._offset()
            item.inner = (item.end, start)
            item.outer_end = self.text.index(">", start) + 1


def _attribute_edits(tag: _Tag, site: _Site, page: str) -> Iterator[tuple[int, int, str]]:
    """Data URIs for the attributes that load a file; scripts and stylesheets are replaced whole elsewhere."""
    if tag.name == "script" or (tag.name == "link" and "stylesheet" in tag.rel):
        return
    if tag.attrs.get("srcset") is not None:
        raise SingleFileError(f"{page}: <{tag.name} srcset> is not supported in a single file; use src alone")
    new: dict[str, str] = {}
    for name, value in tag.attrs.items():
        if value is None:
            continue
        loads = (name in _RESOURCE_ATTRS or (name in ("href", "xlink:href") and tag.name in _HREF_RESOURCES)
                 or (name == "href" and tag.name == "link" and tag.rel & _FETCHED_RELS))
        if loads:
            new[name] = site.data_uri(value.strip(), page)
        elif name == "style" and "url(" in value.lower():
            new[name] = _inline_urls(value, site, page)
    if not new:
        return
    raw = tag.raw
    for name, value in new.items():
        pattern = re.compile(r"(\s" + re.escape(name) + r"\s*=\s*)(\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+)", re.IGNORECASE)
        raw = pattern.sub(lambda m: f'{m.group(1)}"{html.escape(value)}"', raw, count=1)
    yield tag.start, tag.end, raw


def _script_tag(tag: _Tag, js: str, page: str) -> str:
    """The script's own text in place of its src; what it was loaded with must not change when it runs."""
    if tag.attrs.keys() & {"defer", "async"}:
        raise SingleFileError(f"{page}: <script src=\"{tag.attrs['src']}\"> is deferred or async; inlined it would "
                              "run at a different moment")
    dropped = {"src", "integrity", "crossorigin", "referrerpolicy"}
    attrs = "".join(f" {k}" if v is None else f' {k}="{html.escape(v)}"'
                    for k, v in tag.attrs.items() if k not in dropped)
    body = _escape_raw(js, "script")
    if _ends_in_double_escape(body):
        raise SingleFileError(f"{page}: {tag.attrs['src']} contains '<!--' followed by '<script'; inlined, the "
                              "browser would not see where the script ends")
    return f"<script{attrs}>\n{body}\n</script>"


def _escape_raw(text: str, element: str) -> str:
    """`</script` or `</style` would end the element early; `<\\/` means the same in JS and CSS strings."""
    return re.sub(rf"</({element})", r"<\\/\1", text, flags=re.IGNORECASE)


def _ends_in_double_escape(js: str) -> bool:
    """The HTML tokenizer's script states (WHATWG 13.2.5.4 ff.): `<!--` then `<script` hides the end tag."""
    state = "data"
    for m in re.finditer(r"(?=(<!--|-->|<script[\s/>]))", js, re.IGNORECASE):
        token = m.group(1).lower()
        if token == "<!--" and state == "data":
            state = "escaped"
        elif token == "-->":
            state = "data"
        elif token.startswith("<script") and state == "escaped":
            state = "double"
    return state == "double"


# --------------------------------------------------------------------------- stylesheets


_LEX = re.compile(r"/\*.*?(?:\*/|$)|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|[{};()]", re.DOTALL)
_URL = re.compile(r"/\*.*?(?:\*/|$)|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'"
                  r"|url\(\s*(?:\"([^\"]*)\"|'([^']*)'|([^)\"'\s]*))\s*\)", re.DOTALL | re.IGNORECASE)
_GROUPING = {"media", "supports", "layer", "container", "scope", "document"}


@dataclass
class _Rule:
    prelude: str  # selector list, or "@font-face"
    body: str
    start: int  # from the end of the previous rule, so a face's leading comment goes with it
    end: int


class _Sheet:
    def __init__(self, css: str, site_path: str):
        self.css = css
        self.site_path = site_path
        self.rules = list(_rules(css, 0, len(css), site_path))

    @property
    def faces(self) -> list[_Rule]:
        return [r for r in self.rules if r.prelude == "@font-face"]

    def inline(self, site: _Site, fonts: _FontPlan) -> str:
        css = self.css
        for face in reversed(self.faces):
            if not fonts.keeps(face.body):
                css = css[:face.start] + css[face.end:]
        return _inline_urls(css, site, self.site_path)


def _inline_urls(css: str, site: _Site, base: str) -> str:
    def sub(m: re.Match) -> str:
        if not m.group(0).lower().startswith("url("):
            return m.group(0)  # a comment or a string
        ref = next(g for g in m.groups() if g is not None)
        return f'url("{site.data_uri(ref, base)}")'

    return _URL.sub(sub, css)


def _rules(css: str, start: int, stop: int, where: str) -> Iterator[_Rule]:
    """Style rules and @font-face blocks, looking into @media and its kind; other at-rules are skipped."""
    tokens = [(m.start(), m.group(0)) for m in _LEX.finditer(css, start, stop) if m.group(0) in "{};()"]
    i, begin, parens = 0, start, 0
    while i < len(tokens):
        pos, tok = tokens[i]
        if tok in "()":
            parens += 1 if tok == "(" else -1
        elif parens == 0 and tok == ";":
            if _strip_comments(css[begin:pos]).strip().lower().startswith("@import"):
                raise SingleFileError(f"{where}: @import is not supported in a single file; "
                                      "link the stylesheet from the page instead")
            begin = pos + 1
        elif parens == 0 and tok == "{":
            depth, j = 1, i + 1
            while j < len(tokens) and depth:
                depth += {"{": 1, "}": -1}.get(tokens[j][1], 0)
                j += 1
            close = tokens[j - 1][0] if depth == 0 else stop
            prelude = _strip_comments(css[begin:pos]).strip()
            at = re.match(r"@([\w-]+)", prelude)
            if at is None:
                yield _Rule(prelude, css[pos + 1:close], begin, close + 1)
            elif at.group(1).lower() == "font-face":
                yield _Rule("@font-face", css[pos + 1:close], begin, close + 1)
            elif at.group(1).lower() in _GROUPING:
                yield from _rules(css, pos + 1, close, where)
            i, begin = j, close + 1
            continue
        elif parens == 0 and tok == "}":
            begin = pos + 1
        i += 1


def _strip_comments(text: str) -> str:
    return re.sub(r"/\*.*?(?:\*/|$)", "", text, flags=re.DOTALL)


def _split_top(text: str, sep: str) -> list[str]:
    """`text` split at `sep` outside strings, parentheses and brackets."""
    parts, depth, last = [], 0, 0
    for m in re.finditer(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|[()\[\]]|" + re.escape(sep), text):
        tok = m.group(0)
        if tok in "([":
            depth += 1
        elif tok in ")]":
            depth -= 1
        elif tok == sep and depth == 0:
            parts.append(text[last:m.start()])
            last = m.end()
    parts.append(text[last:])
    return parts


def _declarations(body: str) -> list[tuple[str, str]]:
    out = []
    for part in _split_top(_strip_comments(body), ";"):
        name, colon, value = part.partition(":")
        if colon:
            out.append((name.strip().lower(), re.sub(r"!\s*important\s*$", "", value.strip(), flags=re.IGNORECASE)))
    return out


# --------------------------------------------------------------------------- selectors


class _Selector:
    """Just enough of one complex selector to say when it can never match."""

    def __init__(self, text: str):
        plain = text
        while True:  # drop what :not(…), :is(…), [attr…] say: ignoring a condition only makes a match likelier
            stripped = re.sub(r"\([^()]*\)|\[[^\[\]]*\]", "", plain)
            if stripped == plain:
                break
            plain = stripped
        self.text = text.strip()
        self.classes = set(re.findall(r"\.([\w-]+)", plain))
        subject = re.split(r"\s*[>+~]\s*|\s+", plain.strip())[-1]
        subject = re.sub(r"::?[\w-]+", "", subject)  # a pseudo-element's text inherits from its element
        tag = re.match(r"[a-zA-Z][\w-]*", subject)
        self.tag = tag.group(0).lower() if tag else ""
        self.subject_classes = set(re.findall(r"\.([\w-]+)", subject))
        ids = re.findall(r"#([\w-]+)", subject)
        self.id = ids[0] if ids else ""

    def may_match(self, el: _Element, added: set[str]) -> bool:
        """Scripts add state classes (Reveal: visible, current-fragment) to fragments, and elsewhere only
        next to a class the element already has: so a fragment may gain any class a script names."""
        if (self.tag and self.tag != el.tag) or (self.id and self.id != el.id):
            return False
        missing = self.subject_classes - el.classes
        anchored = bool(self.tag or self.id or self.subject_classes & el.classes or not self.subject_classes)
        return missing <= added and (anchored or "fragment" in el.classes)


# --------------------------------------------------------------------------- fonts


_FONT_PROPS = ("font", "font-family", "font-weight", "font-style")
_SIZE = re.compile(r"^(?:[\d.]+(?:[a-z]+|%)|0|(?:xx?x?-)?(?:small|large)|medium|larger|smaller|calc\(.*)(?:/.*)?$",
                   re.IGNORECASE)
_STYLE_ORDER = {"italic": ("italic", "oblique", "normal"), "oblique": ("oblique", "italic", "normal"),
                "normal": ("normal", "oblique", "italic")}
_KATEX = "katex_"  # KaTeX's families all start so; the analysis below only holds inside its markup


@dataclass(frozen=True)
class _Face:
    body: str
    family: str
    weights: tuple[int, int]
    style: str
    ranges: tuple[tuple[int, int], ...] | None

    @classmethod
    def parse(cls, body: str) -> _Face:
        d = dict(_declarations(body))
        family = d.get("font-family", "").strip().strip("'\"")
        nums = [_weight(w) for w in d.get("font-weight", "400").split()]
        if any(n is None for n in nums):
            nums = [1, 1000]  # bolder/lighter make no sense here: treat as covering everything
        style = (d.get("font-style", "").split() or ["normal"])[0].lower()
        rng = d.get("unicode-range")
        return cls(body.strip(), family, (min(nums), max(nums)), style if style in _STYLE_ORDER else "normal",
                   tuple(unicode_ranges(rng)) if rng else None)


def _weight(token: str) -> int | None:
    t = token.lower()
    if t.isdigit():
        return int(t)
    return {"normal": 400, "bold": 700}.get(t)


class _FontPlan:
    """Which @font-face blocks the page can use; see the module docstring for the reasoning."""

    def __init__(self, sheets: list[_Sheet], scan: _Scan, scripts: list[str], page: str):
        faces = [_Face.parse(r.body) for s in sheets for r in s.faces]
        rules = [r for s in sheets for r in s.rules if r.prelude != "@font-face"]
        self._customs: dict[str, list[str]] = {}
        for rule in rules:
            for name, value in _declarations(rule.body):
                if name.startswith("--"):
                    self._customs.setdefault(name, []).append(value)
        self._families = {f.family.lower() for f in faces}
        self._by_family: dict[str, list[_Face]] = {}
        for face in faces:
            self._by_family.setdefault(face.family.lower(), []).append(face)

        text = page + "".join(scripts)
        self._chars = sorted({ord(c) for c in text + "".join(s.css for s in sheets)})
        outside_faces = (text + "".join(_strip_comments(r.prelude + "{" + r.body + "}") for r in rules)).lower()
        self._mentioned = {f for f in self._families if f in outside_faces}
        script_words = set(re.findall(r"[A-Za-z_][\w-]*", "".join(scripts)))
        in_math, elsewhere, reset = _font_declarations(rules, scan, script_words)
        self._math_families = self._named(in_math)
        self._any_face = {f for f in self._families if f.startswith(_KATEX)
                          and (f in self._named(elsewhere) or f in text.lower())}
        self._wanted = self._weights_and_styles(in_math) if reset else None
        self._kept = {face.body for face in faces if self._keep(face)}

    def keeps(self, body: str) -> bool:
        return body.strip() in self._kept

    def _keep(self, face: _Face) -> bool:
        if face.ranges is not None and not any(a <= cp <= b for a, b in face.ranges for cp in self._chars):
            return False
        family = face.family.lower()
        if not family.startswith(_KATEX):
            return family in self._mentioned
        if family in self._any_face:
            return True
        if family not in self._math_families:
            return False
        if self._wanted is None:
            return True
        pool = self._by_family[family]
        return any(face in _matched(pool, w, s) for w, s in self._wanted)

    def _weights_and_styles(self, decls: list[tuple[str, str]]) -> list[tuple[int, str]] | None:
        """Every (weight, style) a formula can ask for, pooled over all formulas; None: anything."""
        weights, styles = {400}, {"normal"}  # what the .katex reset starts every formula with
        for name, value in decls:
            expanded = self._expand(value)
            if name == "font":
                w, s = (None, None) if "var(" in value else _shorthand(expanded)
            elif name == "font-weight":
                w, s = _keywords(expanded, _weight), set()
            elif name == "font-style":
                w, s = set(), _keywords(expanded, lambda t: t if t in _STYLE_ORDER else None)
            else:
                continue
            if w is None or s is None:
                return None
            weights |= w
            styles |= s
        return list(itertools.product(sorted(weights), sorted(styles)))

    def _expand(self, value: str) -> str:
        """var(--x) replaced by every value --x is given anywhere: a superset of what it can be."""
        for _ in range(8):
            if "var(" not in value:
                break
            value = re.sub(r"var\(\s*(--[\w-]+)\s*(?:,([^()]*(?:\([^()]*\)[^()]*)*))?\)",
                           lambda m: " ".join(self._customs.get(m.group(1), [])) + " " + (m.group(2) or ""), value)
        return value

    def _named(self, decls: list[tuple[str, str]]) -> set[str]:
        """Families with a face that these declarations can name (by substring: never misses one)."""
        values = " ".join(self._expand(v) for _, v in decls).lower()
        return {f for f in self._families if f in values}


def _font_declarations(rules: list[_Rule], scan: _Scan, added: set[str]) -> tuple[list, list, bool]:
    """Font declarations that can reach an element inside a formula, and those that can reach one outside
    (on the page, or made by a script: `added` are the words scripts contain, so any class they can set);
    and whether `.katex` itself resets weight and style, which cuts formulas off from the page's cascade."""
    in_math = [d for style in scan.math_styles for d in _declarations(style) if d[0] in _FONT_PROPS]
    elsewhere = [d for style in scan.other_styles for d in _declarations(style) if d[0] in _FONT_PROPS]
    known, reset = scan.classes | added, False
    for rule in rules:
        decls = [(n, v) for n, v in _declarations(rule.body) if n in _FONT_PROPS]
        for alt in _split_top(rule.prelude, ",") if decls else []:
            sel = _Selector(alt)
            if not sel.classes <= known:
                continue
            if any(sel.may_match(el, added) for el in scan.math):
                in_math.extend(decls)
                reset = reset or (sel.text == ".katex" and any(n == "font" and _shorthand(v)[0] for n, v in decls))
            if sel.subject_classes <= added or any(sel.may_match(el, added) for el in scan.other):
                elsewhere.extend(decls)
    return in_math, elsewhere, reset


def _keywords(value: str, parse) -> set | None:
    """Every token a value can be, or None (anything) when one of them is not a plain keyword."""
    out = {parse(t.lower()) for t in value.replace(",", " ").split()}
    return None if not out or None in out else out


def _shorthand(value: str) -> tuple[set[int] | None, set[str] | None]:
    """Weight and style set by the `font` shorthand (which resets both when it does not name them)."""
    tokens = value.split()
    weight, style, skip = 400, "normal", False
    for tok in tokens:
        t = tok.lower()
        if skip:
            skip = False
            if re.fullmatch(r"-?[\d.]+(deg|rad|grad|turn)", t):
                continue
        if _SIZE.match(t):
            return {weight}, {style}
        if t in ("bolder", "lighter"):
            return None, None
        if _weight(t) is not None and t != "normal":
            weight = _weight(t) or 400
        elif t in ("italic", "oblique"):
            style, skip = t, t == "oblique"
    return None, None  # no size: a system font or a CSS-wide keyword, nothing known


def _matched(pool: list[_Face], weight: int, style: str) -> list[_Face]:
    """The faces the browser picks for a weight and style (CSS Fonts 4, 5.2 step 4: style first, then weight)."""
    for wanted_style in _STYLE_ORDER[style]:
        candidates = [f for f in pool if f.style == wanted_style]
        if candidates:
            break

    def rank(face: _Face) -> tuple[int, int]:
        lo, hi = face.weights
        if lo <= weight <= hi:
            return 0, 0
        if weight < 400:
            return (1, weight - hi) if hi < weight else (2, lo - weight)
        if weight > 500:
            return (1, lo - weight) if lo > weight else (2, weight - hi)
        if weight < lo <= 500:
            return 1, lo - weight
        return (2, weight - hi) if hi < weight else (3, lo - weight)

    best = min(map(rank, candidates))
    return [f for f in candidates if rank(f) == best]
