"""Sources -> parsed deck: slides as trees of Markdown, formulas and elements.

Formulas are found first (mathscan), then `<slide-*>` tags outside formulas,
code and comments; both become pieces of a `Block` so that Markdown never sees
them. Derivation links are resolved here into rows, each with its own line.
"""
from __future__ import annotations

import re

from . import elements
from .diagnostics import Report, line_col
from .mathscan import MathSpan, code_regions, inside, scan
from .model import Block, Deck, DerivationLink, DerivationRow, Element, Math, RemoteImage, Slide
from .remote_images import is_remote
from .rows import RowError, split_rows
from .source import DeckSource, parse_attrs

HTML_TAGS = frozenset("""
a abbr address area article aside audio b bdi bdo blockquote body br button canvas caption cite code col
colgroup data datalist dd del details dfn dialog div dl dt em embed fieldset figcaption figure footer form
h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe img input ins kbd label legend li link main map mark
math menu meta meter nav noscript object ol optgroup option output p param picture pre progress q rp rt
ruby s samp script search section select slot small source span strong style sub summary sup svg table
tbody td template textarea tfoot th thead time title tr track u ul var video wbr center font big tt
""".split())

_RAW_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(?![A-Za-z0-9-]*:)")
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_NOTE = re.compile(r"^Note:", re.MULTILINE)
MAX_DEPTH = 32  # elements inside elements; deeper is a mistake, and would exhaust the renderer's stack


def parse_deck(src: DeckSource, report: Report) -> Deck:
    slides, images = [], []
    for number, raw in enumerate(src.slides, start=1):
        body = _parse_block(src.path, raw.text, raw.line, raw.col, report, images)
        body, notes = _split_notes(body)
        slides.append(Slide(number, raw.line, raw.kind, raw.attrs, body, notes, _title(body)))
    links = [link for slide in slides for link in _derivation_links(slide.body, report)]
    return Deck(src.path, src.slug, src.meta, slides, links, images)


def _parse_block(path: str, text: str, line0: int, col0: int, report: Report, images: list[RemoteImage]) -> Block:
    """Split `text` into a tree of Markdown pieces, Math and Element nodes; note the remote images it shows."""

    def where(offset: int) -> tuple[int, int]:
        line, col = line_col(text, offset, line0)
        return line, (col + col0 - 1 if line == line0 else col)

    spans, problems, code = scan(text)
    for p in problems:
        getattr(report, p.severity)(path, *where(p.offset), p.message, p.hint)
    events: list[tuple[int, int, object]] = [(s.start, s.end, s) for s in spans]
    math_regions = [(s.start, s.end) for s in spans]  # sorted and disjoint, as scanned
    for m in elements.TAG.finditer(text):
        if not inside(code, m.start()) and not inside(math_regions, m.start()):
            events.append((m.start(), m.end(), m))
    events.sort(key=lambda e: e[0])

    root = Block(line=line0)
    stack: list[tuple[Element | None, Block]] = [(None, root)]
    cursor = 0
    for start, end, ev in events:
        if start < cursor:
            continue
        _add_text(stack[-1][1], text[cursor:start], path, where, cursor, report, images)
        cursor = end
        line, col = where(start)
        if isinstance(ev, MathSpan):
            tline, tcol = where(ev.tex_start)
            stack[-1][1].pieces.append(Math(ev.tex, ev.display, path, tline, tcol))
            continue
        closing, name, attr_text, self_closing = ev.group(1), ev.group(2).lower(), ev.group(3), ev.group(4)
        if name not in elements.ELEMENTS:
            report.error(path, line, col, f"unknown element <{name}>",
                         "known elements: " + ", ".join(f"<{n}>" for n in elements.ELEMENTS))
            continue
        if closing:
            open_el = stack[-1][0]
            if open_el is None or open_el.name != name:
                expected = f"</{open_el.name}> (opened at line {open_el.line})" if open_el else "nothing here"
                report.error(path, line, col, f"</{name}> does not close an open <{name}>; expected {expected}")
                continue
            stack.pop()
            continue
        line_start = text.rfind("\n", 0, start) + 1
        el = Element(name, {k: v for k, v, _ in parse_attrs(attr_text)}, path, line, col,
                     block=not text[line_start:start].strip())
        elements.check_attrs(el, report)
        file_attr = elements.kind_of(el).file_attr
        if file_attr and is_remote(el.attrs.get(file_attr) or ""):
            images.append(RemoteImage(el.attrs[file_attr], path, line, col))
        stack[-1][1].pieces.append(el)
        if not self_closing and len(stack) > MAX_DEPTH:
            report.error(path, line, col, f"<{name}> is nested {len(stack)} elements deep; at most {MAX_DEPTH} are allowed",
                         "close the elements above it, or split the slide")
            return root
        if not self_closing:
            el.body = Block(line=line)
            stack.append((el, el.body))
    _add_text(stack[-1][1], text[cursor:], path, where, cursor, report, images)
    for el, _ in stack[1:]:
        report.error(path, el.line, el.col, f"<{el.name}> is never closed", f"add </{el.name}> where it ends")
    _check_contents(root, report)
    return root


def _add_text(block: Block, piece: str, path: str, where, offset: int, report: Report, images: list[RemoteImage]) -> None:
    """Append Markdown text, escaping raw tags the browser would swallow."""
    if not piece:
        return
    masked = _masked(piece)
    unknown = [m for m in _RAW_TAG.finditer(masked) if m.group(2).lower() not in HTML_TAGS
               and not m.group(2).lower().startswith("slide-")]
    for m in reversed(unknown):
        tag = f"<{m.group(1)}{m.group(2)}>"
        report.warning(path, *where(offset + m.start()),
                       f"'{tag}' is not an HTML tag: a browser would swallow it; it is shown as text",
                       f"write &lt;{m.group(1)}{m.group(2)}&gt; or `{tag}` to show it as text on purpose")
        piece = piece[:m.start()] + "&lt;" + piece[m.start() + 1:]
    images.extend(RemoteImage(url, path, *where(offset + at)) for url, at in _remote_images(masked))
    for m in _MD_IMAGE.finditer(masked):
        block.images.setdefault(m.group(1), where(offset + m.start()))
    block.pieces.append(_offline_sources(piece, path, where, offset, report))


_REMOTE_SRC = re.compile(r"""(<(?:source|video|audio|iframe|embed|script)\b[^>]*?\s)src(\s*=\s*["']?(?:https?:)?//)""",
                         re.IGNORECASE)
_REMOTE_MD_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?((?:https?:)?//[^)\s>]+)")
_MD_IMAGE = re.compile(r"!\[[^\]\n]*\]\(\s*<?([^)\s>]+)")
_REMOTE_IMG_SRC = re.compile(r"""<img\b[^>]*?\ssrc\s*=\s*["']?((?:https?:)?//[^"'\s>]+)""", re.IGNORECASE)


def _remote_images(text: str) -> list[tuple[str, int]]:
    """(URL, offset) of each remote image in Markdown or raw <img>: the build keeps a local copy."""
    found = [(m.group(1), m.start()) for m in _REMOTE_MD_IMAGE.finditer(text)]
    found += [(m.group(1), m.start()) for m in _REMOTE_IMG_SRC.finditer(text)]
    return sorted(found, key=lambda pair: pair[1])


def _offline_sources(piece: str, path: str, where, offset: int, report: Report) -> str:
    """Raw HTML media other than images (video, iframes …) keeps its URL but loses the fetch."""
    for m in _REMOTE_SRC.finditer(piece):
        url = re.match(r"""\s*=\s*["']?([^"'\s>]*)""", piece[m.end(1) + 3:]).group(1)
        report.warning(path, *where(offset + m.start()), f"remote file will not load offline: {url}",
                       "download it next to the deck and point src at the local file")
    return _REMOTE_SRC.sub(r"\1data-remote-src\2", piece)


def _check_contents(block: Block, report: Report) -> None:
    """Each element holds only what its declaration allows (stray content becomes a child, where declared)."""
    for node in block.walk():
        if not isinstance(node, Element):
            continue
        kind = elements.kind_of(node)
        allowed = kind.contains
        children = node.body.pieces if node.body else []
        if allowed == () and any(not isinstance(p, str) or p.strip() for p in children):
            report.error(node.path, node.line, node.col, f"<{node.name}> takes no content",
                         f"write <{node.name} …></{node.name}> with nothing between the tags")
        elif allowed and any(_stray(p, allowed) for p in children):
            only = " or ".join(f"<{name}>" for name in allowed)
            if kind.strays_become:
                node.body.pieces = _wrap_strays(node, children, allowed, kind.strays_become)
                report.warning(node.path, node.line, node.col,
                               f"content directly inside <{node.name}> is shown as a <{kind.strays_become}> of its own",
                               f"put it inside <{kind.strays_become}>…</{kind.strays_become}> to choose its ratio")
            else:
                report.error(node.path, node.line, node.col, f"<{node.name}> may only contain {only} elements",
                             f"put the content inside <{allowed[0]}>…</{allowed[0]}>")


def _stray(piece, allowed: tuple[str, ...]) -> bool:
    if isinstance(piece, str):
        return bool(re.sub(r"<!--.*?-->", "", piece, flags=re.DOTALL).strip())
    return not (isinstance(piece, Element) and piece.name in allowed)


def _wrap_strays(node: Element, children: list, allowed: tuple[str, ...], wrapper: str) -> list:
    """Each run of stray pieces between the allowed children becomes one `wrapper` element."""
    out, run = [], []

    def flush():
        if any(_stray(p, allowed) for p in run):
            out.append(Element(wrapper, {}, node.path, node.line, node.col, Block(list(run), node.line)))
        else:
            out.extend(run)
        run.clear()

    for piece in children:
        if isinstance(piece, Element) and piece.name in allowed:
            flush()
            out.append(piece)
        else:
            run.append(piece)
    flush()
    return out


def _masked(piece: str) -> str:
    """`piece` with its code and comments blanked out, so that nothing inside them counts as structure."""
    parts, pos = [], 0
    for a, b in code_regions(piece):
        parts += [piece[pos:a], "\0" * (b - a)]
        pos = b
    return "".join(parts) + piece[pos:]


def _split_notes(body: Block) -> tuple[Block, Block | None]:
    """Everything after a line starting with 'Note:' (outside code and comments) is speaker notes."""
    for i, piece in enumerate(body.pieces):
        if isinstance(piece, str):
            m = next((m for m in _NOTE.finditer(_masked(piece)) if m.start() > 0 or i == 0
                      or isinstance(body.pieces[i - 1], str)), None)  # not right after a formula on one line
            if m:
                before = Block(body.pieces[:i] + [piece[:m.start()]], body.line)
                notes = Block([piece[m.end():]] + body.pieces[i + 1:], body.line)
                return before, notes
    return body, None


def _title(body: Block) -> str:
    for piece in body.pieces:
        if isinstance(piece, str):
            m = _HEADING.search(piece)
            if m:
                return m.group(1).strip()
    return ""


def _derivation_links(body: Block, report: Report) -> list[DerivationLink]:
    found = [el for el in body.walk() if isinstance(el, Element) and elements.kind_of(el).derivation]
    if not found:
        return []
    links = []
    for el in found:
        maths = [p for p in (el.body.pieces if el.body else []) if isinstance(p, Math)]
        others = [p for p in (el.body.pieces if el.body else [])
                  if isinstance(p, Element) or isinstance(p, str) and p.strip()]
        if len(maths) != 1 or not maths[0].display or others:
            report.error(el.path, el.line, el.col, "<slide-derivation> must hold exactly one $$…$$ formula and nothing else",
                         "put the text around the derivation outside <slide-derivation>")
            continue
        math = maths[0]
        try:
            rows = split_rows(math.tex)
        except RowError as exc:
            report.error(el.path, *math.locate(exc.offset), f"derivation '{el.attrs.get('id')}': {exc.message}",
                         "each row of the align* needs one of =, \\Leftrightarrow, \\le, \\ge after the &")
            continue
        reveal = _reveal_rows(el.attrs.get("reveal"), len(rows))
        outside = sorted(i for i in reveal if not 1 <= i <= len(rows))
        if outside or (el.attrs.get("reveal") or "").endswith("-") and not reveal:
            report.error(el.path, el.line, el.col, f"<slide-derivation reveal=\"{el.attrs.get('reveal')}\">: "
                         f"the formula has rows 1 to {len(rows)}", "name rows that exist, e.g. reveal=\"2-\"")
        drows = [DerivationRow(r.index, r.relation, r.latex, r.fingerprint, *math.locate(r.offset), r.offset)
                 for r in rows]
        shown_in_turn = frozenset(i for i in reveal if 1 <= i <= len(rows))
        links.append(DerivationLink(el.attrs.get("id") or "", el, math, drows, shown_in_turn))
    return links


def _reveal_rows(spec: str | None, count: int) -> frozenset[int]:
    if not spec:
        return frozenset()
    if spec == "all":
        return frozenset(range(1, count + 1))
    if spec.endswith("-"):
        return frozenset(range(int(spec[:-1]), count + 1))
    return frozenset(int(x) for x in spec.split(","))
