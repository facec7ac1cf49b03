"""Parsed deck + typeset formulas + verification status -> the HTML of each slide.

Formulas and elements were held out of the Markdown as pieces; here each
Block becomes Markdown with opaque tokens, markdown-it renders it, and the
tokens are replaced by KaTeX's HTML or the element's HTML.
"""
from __future__ import annotations

import html
import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from . import elements, markdown
from .diagnostics import Report
from .katex import STRICT_HINTS, Job, KatexRenderer, Result
from .markup import tag
from .model import Block, Deck, DerivationLink, Element, Math
from .remote_images import is_remote, site_name
from .verify import LinkStatus, details_json


@dataclass
class RenderedSlide:
    number: int
    line: int
    title: str
    classes: str
    attrs: dict[str, str]  # every attribute of the <section>, in order: id, data-source-line, class, the author's
    body: str
    notes: str


@dataclass
class Media:
    """Files a deck's pages refer to: site path -> source file, and inline SVGs."""

    deck_dir: Path
    figures: dict[str, Path]
    remote: dict[str, Path] = field(default_factory=dict)  # remote image URL -> its kept local copy
    files: dict[str, Path] = field(default_factory=dict)
    chars: set[str] = field(default_factory=set)


def typeset(deck: Deck, statuses: dict[str, LinkStatus], katex: KatexRenderer, report: Report) -> dict[Math, Result]:
    """Render every formula of the deck in one batch; report KaTeX's errors and warnings."""
    macros = tuple(sorted(deck.meta.get("macros", {}).items()))
    marks = {link.math: _row_marks(link, statuses.get(link.id)) for link in deck.links}
    formulas = deck.formulas()
    # The speaker view copies notes into a window without KaTeX's CSS: there, native MathML reads cleanly.
    in_notes = {p for s in deck.slides if s.notes for p in s.notes.walk() if isinstance(p, Math)}
    jobs = [Job(m.tex, m.display, macros, marks.get(m, ""), "mathml" if m in in_notes else "htmlAndMathml")
            for m in formulas]
    results = dict(zip(formulas, katex.render(jobs)))
    for math, res in results.items():
        excerpt = ("$$" if math.display else "$") + math.tex.strip() + ("$$" if math.display else "$")
        if res.error:
            pos = res.error.get("pos")
            report.error(math.path, *math.locate(pos if pos is not None else 0), f"KaTeX: {res.error['message']}",
                         "fix the formula; KaTeX's supported functions: see KaTeX's documentation",
                         excerpt=excerpt if len(excerpt) < 400 else excerpt[:400] + " …")
        for w in _merge_runs(res.warnings):
            pos = w.get("pos")
            if pos is None:
                pos = _guess_position(math.tex, w["message"])
            report.warning(math.path, *math.locate(pos), f"KaTeX strict mode: {w['message']} [{w['code']}]",
                           STRICT_HINTS.get(w["code"], ""))
    for link in deck.links:
        res = results.get(link.math)
        if res and not res.error and res.rows is not None and res.rows != len(link.rows):
            report.warning(link.element.path, link.element.line, link.element.col,
                           f"derivation '{link.id}': KaTeX laid out {res.rows} rows but {len(link.rows)} were linked; "
                           "row marks may be misplaced")
    return results


def _merge_runs(warnings: list[dict]) -> list[dict]:
    """One message per run of adjacent CJK characters in math, not one per character."""
    merged: list[dict] = []
    for w in warnings:
        prev = merged[-1] if merged else None
        char = re.search(r'"(.)"', w["message"])
        if (prev and char and w["code"] == prev["code"] == "unicodeTextInMathMode" and w.get("pos") is not None
                and prev.get("pos") is not None and w["pos"] == prev["pos"] + prev["length"]):
            prev["text"] += char.group(1)
            prev["length"] += 1
            prev["message"] = f'Unicode text "{prev["text"]}" used in math mode'
            continue
        merged.append(dict(w, text=char.group(1) if char else "", length=1))
    return merged


def _guess_position(tex: str, message: str) -> int:
    """KaTeX gives no position for some findings; point at the command it names."""
    m = re.search(r"\\[A-Za-z]+", message)
    found = tex.find(m.group(0)) if m else -1
    return max(found, 0)


def _row_marks(link: DerivationLink, status: LinkStatus | None) -> str:
    """Classes and attributes KaTeX's worker puts on the rows of a derivation."""
    last = {}
    for row in link.rows:
        state = "unverified"
        if status:
            state = next((s.status for s in status.steps if s.index == row.index), "unverified")
        last[str(row.index)] = {"classes": ["dv-row"], "attrs": {"data-step": row.index, "data-status": state}}
    first = int(link.element.attrs.get("fragment") or 1)
    every = {str(i): {"classes": ["fragment"], "attrs": {"data-fragment-index": first + n}}
             for n, i in enumerate(sorted(link.fragment_rows))}
    return json.dumps({"last": last, "all": every}, sort_keys=True)


class SlideRenderer:
    def __init__(self, deck: Deck, maths: dict[Math, Result], statuses: dict[str, LinkStatus],
                 media: Media, report: Report):
        self.deck = deck
        self.maths = maths
        self.statuses = statuses
        self.links = {link.element: link for link in deck.links}
        self.media = media
        self.report = report

    def slides(self) -> list[RenderedSlide]:
        out = []
        ids = self.slide_ids()
        for slide in self.deck.slides:
            body = self.block(slide.body)
            notes = self.block(slide.notes) if slide.notes else ""
            classes = slide.attrs.get("class", "")
            if slide.kind == "slide-section" and _only_heading(slide.body):
                classes = (classes + " title-slide").strip()
            attrs = {"id": ids[slide.number], "data-source-line": str(slide.line), "class": classes or None}
            attrs.update(sorted((k, v) for k, v in slide.attrs.items() if k not in ("class", "id")))
            out.append(RenderedSlide(slide.number, slide.line, slide.title, classes, attrs, body, notes))
        return out

    def slide_ids(self) -> dict[int, str]:
        """Each slide's id: the author's where given (links and Reveal's URL hash use it), else slide-<n>;
        an id used twice would make a link land on the wrong slide, so it is an error."""
        ids = {s.number: s.attrs.get("id") or f"slide-{s.number}" for s in self.deck.slides}
        first: dict[str, int] = {}
        for slide in self.deck.slides:
            sid = ids[slide.number]
            if sid in first:
                other = self.deck.slides[first[sid] - 1]
                self.report.error(self.deck.path, slide.line, 1,
                                  f"slide id '{sid}' is also the id of the slide at line {other.line}",
                                  "give every slide its own id (slides without one are slide-<number>)")
            first.setdefault(sid, slide.number)
        return ids

    def block(self, block: Block, lines: bool = False) -> str:
        held: list[Math | Element] = []
        md: list[str] = []
        for piece in block.pieces:
            if isinstance(piece, str):
                md.append(re.sub(r"\n[ \t]*", "\n\n", piece) if lines else piece)
                continue
            held.append(piece)
            tok = markdown.token(len(held) - 1)
            if isinstance(piece, Element) and piece.block and not lines:
                so_far = "".join(md)
                indent = so_far[so_far.rfind("\n") + 1:]
                md.append(f"\n{indent}{tok}\n\n" if indent.strip() == "" else tok)
            else:
                md.append(tok)
        source = textwrap.dedent("".join(md)).strip("\n")
        self.media.chars.update(source)
        rendered = markdown.to_html(source, self.remote_image)
        return markdown.substitute(rendered, lambda i: self.piece(held[i], alone=True),
                                   lambda i: self.piece(held[i], alone=False))

    def piece(self, node: Math | Element, alone: bool) -> str:
        if isinstance(node, Math):
            res = self.maths.get(node)
            if res is None or res.error:
                shown = html.escape(node.tex)
                return f'{tag("span", {"class": "math-error", "title": "KaTeX could not render this formula"})}{shown}</span>'
            if alone:
                return f'<div class="math-display">{res.html}</div>' if node.display else f"<p>{res.html}</p>"
            return res.html
        return self.element(node)

    def element(self, el: Element) -> str:
        kind = elements.kind_of(el)
        inner = self.block(el.body, lines=kind.lines) if el.body and kind.contains != () else ""
        return kind.render(el, inner, self)

    def derivation(self, el: Element) -> elements.DerivationView | None:
        link = self.links.get(el)
        if link is None:
            return None
        status = self.statuses.get(link.id)
        return elements.DerivationView(link.id, status.status if status else "unverified",
                                       details_json(status) if status else "{}", bool(link.fragment_rows))

    def image(self, el: Element) -> str:
        src = el.attrs.get("src") or ""
        if is_remote(src):
            site_path = self.remote_image(src)
            return tag("img", {"src": site_path, "alt": el.attrs.get("alt") or ""}) if site_path \
                else elements.remote_placeholder(src)
        if src.startswith("figures/") and src[len("figures/"):] in self.media.figures:
            path = self.media.figures[src[len("figures/"):]]
        else:
            path = (self.media.deck_dir / src).resolve()
            if not path.is_file():
                self.report.error(el.path, el.line, el.col, f"image not found: {src}",
                                  f"the path is relative to {self.media.deck_dir.name}/; generated figures are "
                                  f"figures/<name> with <name> one of: {', '.join(sorted(self.media.figures)) or 'none'}")
                return f'<div class="img-missing">{html.escape(src)}</div>'
        if path.suffix.lower() == ".svg":
            svg = path.read_text(encoding="utf-8")
            self.media.chars.update(re.sub(r"<[^>]*>", "", svg))
            return re.sub(r"^\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?", "", svg)
        site_path = f"media/{path.name}"
        self.media.files[site_path] = path
        return tag("img", {"src": site_path, "alt": el.attrs.get("alt") or ""})

    def remote_image(self, url: str) -> str | None:
        """The site path of a remote image's kept copy (pipeline warned about those without one)."""
        path = self.media.remote.get(url)
        if path is None:
            return None
        site_path = f"media/{site_name(path)}"
        self.media.files[site_path] = path
        return site_path


def _only_heading(block: Block) -> bool:
    text = "".join(p for p in block.pieces if isinstance(p, str))
    text = re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL).strip()
    return all(isinstance(p, str) for p in block.pieces) and bool(re.fullmatch(r"#{1,6}[ \t]+[^\n]+", text))

