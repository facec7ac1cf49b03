"""Convert a deck from the lecturer's old Reveal format to the current one.

The old decks wrap each slide in `<section data-markdown><textarea data-template>`,
style images, references, highlights and columns with classed `<div>`s, and show a
build-up as a copy of the previous slide with one more block. The current format
has one `<slide-section>` per slide, a `<slide-*>` element for each of those
constructs, and fragments for build-ups.

The conversion is literal on purpose: text, formulas, notes and image URLs pass
through untouched; a construct is rewritten only where the new element means the
same thing, everything else stays as raw HTML, and each such place is reported
with its line in the OLD file so the lecturer reviews exactly those places.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .elements import takes_fragment
# The scanner's code/comment regions are the build's own idea of "not markup":
# sharing it keeps the converter from rewriting what the build would not read.
from .mathscan import MathSpan, skipped_regions, scan_math
from .source import SECTION_ATTRS, FRONT_MATTER_FIELDS, YAML_LOADER, parse_attrs

SEPARATOR = "<!-- --------------------------------------------------------- -->"

_SECTION_OPEN = re.compile(r"<section\b([^>]*)>", re.IGNORECASE)
_TEXTAREA = re.compile(r"\s*<textarea\b[^>]*>(.*?)</textarea\s*>", re.IGNORECASE | re.DOTALL)
_WRAPPER_OPEN = re.compile(r"<(div|p|span)\b([^>]*)>", re.IGNORECASE)
_IMG = re.compile(r"<img\b([^>]*)>", re.IGNORECASE)
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)")
_OLD_NOTE = re.compile(r"^[ \t]*notes?:", re.IGNORECASE | re.MULTILINE)
_OLD_SLIDE_BREAK = re.compile(r"^---$", re.MULTILINE)  # reveal's default data-separator
_REVEAL_ATTR_COMMENT = re.compile(r"<!--\s*\.(element|slide)\b")
_MARKDOWN_SECTION_ATTRS = {"data-markdown", "data-separator", "data-separator-vertical",
                           "data-separator-notes", "data-charset"}
_IMG_STYLE_OF_SLIDE_IMG = {("height", "auto"), ("margin", "0 auto"), ("display", "block")}
_REF_LINE_STYLE = {("margin", "2px 0")}
_LIST_ITEM = re.compile(r"([-*+]|\d+[.)])[ \t]+\S")


@dataclass
class Conversion:
    text: str  # the deck in the current format
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line of the OLD file, message)


@dataclass
class _BuildUp:
    """A run of build-up slides, held as the latest slide's blocks and the step each appeared at."""

    entries: list[tuple[str, int]]
    latest: list[str]
    steps: int


@dataclass
class _Slide:
    line: int  # of the old slide's opening tag
    body: str
    notes: str = ""
    attrs: str = ""  # attribute text for the new opening tag
    raw: bool = False  # a plain <section> of raw HTML, kept as written
    comments: list[str] = field(default_factory=list)  # comments that stood before it
    buildup: _BuildUp | None = None

    def render(self) -> str:
        if self.raw:
            return f"<section{self.attrs}>{self.body}</section>"
        body = _render_buildup(self.buildup.entries) if self.buildup else _trim(self.body)
        notes = f"\n\nNote:\n{self.notes}" if self.notes else ""
        if "\n" not in body and not notes:
            return f"<slide-section{self.attrs}>\n{body}\n</slide-section>"
        return f"<slide-section{self.attrs}>\n\n{body}{notes}\n\n</slide-section>"


def convert(text: str, path: str) -> Conversion:
    return _Converter(text.replace("\r\n", "\n"), path).run()


class _Converter:
    def __init__(self, text: str, path: str):
        self.text = text
        self.path = path
        self.problems: list[tuple[int, str]] = []

    def report(self, line: int, message: str) -> None:
        self.problems.append((line, message))

    def line_at(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1

    def line_of(self, snippet: str, from_line: int) -> int:
        """Where `snippet`, copied unchanged from the old file, stands at or after `from_line`."""
        start = len("\n".join(self.text.split("\n")[:from_line - 1]))
        found = self.text.find(snippet, start)
        return self.line_at(found) if found >= 0 else from_line

    def run(self) -> Conversion:
        if re.search(r"<slide-section\b", self.text) and not re.search(r"<section\b[^>]*data-markdown", self.text):
            self.report(1, "the deck is already in the current format; left unchanged")
            return Conversion(self.text, self.problems)
        front, body_start = self.front_matter()
        slides, trailing = self.top_level(body_start, len(self.text))
        slides = self.merge_buildups(slides)
        parts = [front, ""]
        for slide in slides:
            parts += [SEPARATOR, ""] + [c for comment in slide.comments for c in (comment, "")] + [slide.render(), ""]
        parts += [SEPARATOR] + [c for comment in trailing for c in ("", comment)]
        self.problems.sort(key=lambda p: p[0])
        return Conversion("\n".join(parts).rstrip("\n") + "\n", self.problems)

    # --- front matter -------------------------------------------------------------

    def front_matter(self) -> tuple[str, int]:
        """Hugo's YAML front matter is the new format's too; only fields it ignores are worth a word."""
        end = re.search(r"^---[ \t]*$", self.text[3:], re.MULTILINE) if self.text.startswith("---\n") else None
        if not end:
            title = Path(self.path).stem
            self.report(1, f"no YAML front matter; the title is taken from the file name: {title!r}")
            return f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\n---", 0
        raw = self.text[4:3 + end.start()]
        try:
            meta = yaml.load(raw, Loader=YAML_LOADER) or {}
        except yaml.YAMLError as exc:
            self.report(1, f"front matter is not valid YAML, kept as written: {str(exc).splitlines()[0]}")
            meta = {}
        for key in meta if isinstance(meta, dict) else []:
            if key not in FRONT_MATTER_FIELDS:
                self.report(1, f"front matter field '{key}' is kept but the current format ignores it")
        return self.text[:3 + end.end()], 3 + end.end()

    # --- slides, comments and stray text at the top level ------------------------------

    def top_level(self, start: int, end: int) -> tuple[list[_Slide], list[str]]:
        """Slides in order; comments that are not separators ride along with the next slide."""
        slides: list[_Slide] = []
        comments: list[str] = []
        # A commented-out slide is read from inside its comment: regions are those of the stretch alone.
        regions = [(a + start, b + start) for a, b in skipped_regions(self.text[start:end])]
        pos = start
        while True:
            pos = _skip_space(self.text, pos, end)
            if pos >= end:
                return slides, comments
            if self.text.startswith("<!--", pos):
                close = self.text.find("-->", pos, end)
                if close < 0:
                    self.report(self.line_at(pos), "comment is never closed; it runs to the end of the file")
                stop = end if close < 0 else close + 3
                comment = self.comment(pos, stop)
                if comment:
                    comments.append(comment)
                pos = stop
                continue
            opening = _SECTION_OPEN.match(self.text, pos, end)
            if opening:
                close = _match_close(self.text, "section", opening.end(), regions, end)
                if not close:
                    self.report(self.line_at(pos), "<section> is never closed; the rest of the file is taken as its content")
                inner_end = close.start() if close else end
                (new, inner_comments), pos = self.section(opening, inner_end, regions), close.end() if close else end
            else:
                stop = _next_of(self.text, pos, end, ("<!--", "<section"))
                self.report(self.line_at(pos), "text outside any slide is put on a slide of its own")
                (new, inner_comments), pos = ([self.markdown_slide(self.text[pos:stop], self.line_at(pos), "")], []), stop
            if new:
                new[0].comments, comments = comments + new[0].comments, []
            slides += new
            comments += inner_comments

    def comment(self, start: int, stop: int) -> str | None:
        """Separators are redrawn; a commented-out slide is converted but stays commented out."""
        text = self.text[start:stop]
        inner = text[4:-3] if text.endswith("-->") else text[4:]
        if not inner.strip(" -\n\t"):
            return None
        inner_start = start + 4
        if not _SECTION_OPEN.match(self.text, _skip_space(self.text, inner_start, stop)):
            return text
        slides, comments = self.top_level(inner_start, inner_start + len(inner))
        if comments or any(s.comments for s in slides):
            return text
        self.report(self.line_at(start), "commented-out slide converted; it stays commented out")
        return "<!--\n" + "\n\n".join(s.render() for s in slides) + "\n-->"

    def section(self, opening: re.Match, inner_end: int, regions: list) -> tuple[list[_Slide], list[str]]:
        """The slides of one old <section> (several when it is a vertical stack or cut by '---')."""
        line = self.line_at(opening.start())
        attrs = parse_attrs(opening.group(1))
        markdown = any(name == "data-markdown" for name, _, _ in attrs)
        kept = self.section_attrs(attrs, line, markdown)
        inner_start = opening.end()
        inner = self.text[inner_start:inner_end]
        nested = _SECTION_OPEN.search(inner)
        if nested and not _inside(inner_start + nested.start(), regions):
            self.report(line, "vertical slides (sections inside a section) become consecutive slides")
            return self.top_level(inner_start, inner_end)
        if not markdown:
            return [_Slide(line, inner, attrs=kept, raw=True)], []
        area = _TEXTAREA.match(inner)
        if not area and inner.lstrip().lower().startswith("<textarea"):
            self.report(line, "<textarea> is never closed; its tag is kept as written")
        if area:
            if inner[area.end():].strip():
                self.report(self.line_at(inner_start + area.end()),
                            "text after </textarea> was not shown by the old format; it is kept on the slide")
            inner_start += area.start(1)
            inner = area.group(1) + inner[area.end():]  # the closing tag's line stays, so lines still match
        parts = self.split_old_slides(textwrap.dedent(inner), self.line_at(inner_start))
        return [self.markdown_slide(part, part_line, kept) for part, part_line in parts], []

    def section_attrs(self, attrs: list, line: int, markdown: bool) -> str:
        kept = ""
        for name, value, _ in attrs:
            if name in _MARKDOWN_SECTION_ATTRS and markdown:
                if name.startswith("data-separator"):
                    self.report(line, f"{name}={value!r}: custom separators are not applied; the default '---' is")
                continue
            if SECTION_ATTRS.match(name):
                kept += f" {_attr(name, value)}" if value is not None else f" {name}"
            else:
                self.report(line, f"attribute {name}={value!r} on <section> dropped (a slide takes id, class, data-*)")
        return kept

    def split_old_slides(self, markdown: str, line0: int) -> list[tuple[str, int]]:
        """Reveal cut a section's Markdown at each '---' line; the new format has no such cut."""
        regions = _protected(markdown)
        cuts = [m for m in _OLD_SLIDE_BREAK.finditer(markdown) if not _inside(m.start(), regions)]
        if not cuts:
            return [(markdown, line0)]
        self.report(line0 + markdown.count("\n", 0, cuts[0].start()),
                    f"'---' split this section into {len(cuts) + 1} slides in the old format; they become separate slides")
        bounds = [0] + [m.end() for m in cuts]
        ends = [m.start() for m in cuts] + [len(markdown)]
        return [(markdown[a:b], line0 + _lines_before(markdown, a)) for a, b in zip(bounds, ends)]

    # --- one Markdown slide ---------------------------------------------------------

    def markdown_slide(self, markdown: str, line0: int, attrs: str) -> _Slide:
        body, notes = markdown, ""
        regions = _protected(markdown)
        note = next((m for m in _OLD_NOTE.finditer(markdown) if not _inside(m.start(), regions)), None)
        if note:
            body, notes = markdown[:note.start()], markdown[note.end():]
            if note.group(0) != "Note:":
                self.report(line0 + _lines_before(markdown, note.start()), f"{note.group(0).strip()!r} becomes 'Note:'")
        for m in _REVEAL_ATTR_COMMENT.finditer(markdown):
            self.report(line0 + _lines_before(markdown, m.start()),
                        f"reveal '.{m.group(1)}:' comment has no effect in the current format (kept as a comment)")
        return _Slide(line0, self.wrappers(body, line0), _trim(notes.lstrip(" \t")), attrs)

    def wrappers(self, text: str, line0: int) -> str:
        """Rewrite the classed and styled wrappers of `text` whose meaning has an element."""
        out, pos = [], 0
        for opening, close in _wrapper_tags(text):
            if opening.start() < pos:
                continue
            line = line0 + _lines_before(text, opening.start())
            if not close:
                self.report(line, f"{_shown(opening.group(0))} is never closed; kept as written")
                continue
            inner = text[opening.end():close.start()]
            inner_line = line + opening.group(0).count("\n")
            new = self.wrapper(opening, inner, inner_line, line, _starts_line(text, opening.start()))
            if new is not None:
                out += [text[pos:opening.start()], new]
                pos = close.end()
        return "".join(out) + text[pos:]

    def wrapper(self, opening: re.Match, inner: str, inner_line: int, line: int, alone: bool) -> str | None:
        tag = opening.group(1).lower()
        attrs = {name: value for name, value, _ in parse_attrs(opening.group(2))}
        kind = next((c for c in (attrs.get("class") or "").split() if c.startswith("slide-")), None)
        if kind is None:
            style = _css(attrs.get("style"))
            if tag == "p" and "font-size" in style and alone:
                return self.scale(attrs, style, inner, inner_line, line)
            if tag != "span" and (style or set((attrs.get("class") or "").split()) - {"fragment"}):
                self.report(line, f"{_shown(opening.group(0))} has no element in the current format; kept as raw HTML")
            return None
        handler = self.handler(kind, tag)
        if handler is None or not alone:
            what = "a wrapper inside a line" if handler else "an unknown wrapper"
            self.report(line, f"{_shown(opening.group(0))} is {what}; kept as raw HTML")
            return None
        return handler(kind, attrs, inner, inner_line, line)

    def handler(self, kind: str, tag: str):
        if tag == "span":
            return self.highlight if kind == "slide-highlight" else None
        if kind.startswith("slide-col-") or kind == "slide-col":
            return self.column
        return {"slide-img": self.image, "slide-ref": self.refs, "slide-highlight": self.highlight,
                "slide-cols": self.columns}.get(kind)

    def extra_attrs(self, kind: str, attrs: dict, line: int, ignore: tuple[str, ...] = ()) -> str:
        """The `fragment` attribute a classed wrapper carries over; anything else is reported as dropped."""
        classes = [c for c in (attrs.get("class") or "").split() if not c.startswith("slide-")]
        suffix = ""
        if "fragment" in classes:
            classes.remove("fragment")
            index = attrs.get("data-fragment-index")
            suffix = f' fragment="{index}"' if index else " fragment"
        dropped = [f'class "{c}"' for c in classes]
        dropped += [f"{k}={v!r}" for k, v in attrs.items() if k not in ("class", "data-fragment-index") + ignore]
        if dropped:
            self.report(line, f"<{kind}>: dropped {', '.join(dropped)}")
        return suffix

    def image(self, kind: str, attrs: dict, inner: str, inner_line: int, line: int) -> str | None:
        images = list(_IMG.finditer(inner))
        if len(images) != 1 or _IMG.sub("", inner).strip():
            self.report(line, "<div class=\"slide-img\"> does not hold exactly one <img>; kept as raw HTML")
            return None
        img = {name: value for name, value, _ in parse_attrs(images[0].group(1))}
        src = img.pop("src", None)
        if not src:
            self.report(line, "<img> without src; kept as raw HTML")
            return None
        extra = self.extra_attrs("slide-img", attrs, line)
        style = _css(img.pop("style", None))
        size = style.pop("max-width", None)
        new = [_attr("src", src)]
        if size and re.fullmatch(r"\d+(\.\d+)?%", size):
            new.append(_attr("size", size))
        else:
            self.report(line, f"image width {'max-width: ' + size if size else 'not given'} is not a percentage; "
                              "the default size 80% applies")
        alt = img.pop("alt", None)
        if alt and alt != "Image":  # "Image" is the old template's placeholder, not a description
            new.append(_attr("alt", alt))
        dropped = [f"{k}: {v}" for k, v in style.items() if (k, v) not in _IMG_STYLE_OF_SLIDE_IMG]
        dropped += [f"{k}={v!r}" for k, v in img.items()]
        if dropped:
            self.report(line, f"<slide-img>: dropped {'; '.join(dropped)}")
        return f"<slide-img {' '.join(new)}{extra}></slide-img>"

    def refs(self, kind: str, attrs: dict, inner: str, inner_line: int, line: int) -> str:
        """Each <p> is one reference; loose text lines are references too; the drawn rule goes."""
        lines: list[str] = []
        pos = 0
        for opening, close in _wrapper_tags(inner):
            if opening.start() < pos:
                continue
            if not close:
                break
            lines += _text_lines(inner[pos:opening.start()])
            content = inner[opening.end():close.start()]
            pos = close.end()
            if opening.group(1).lower() == "div" and not content.strip():
                continue  # the decorative rule above the references
            style = _css(dict((n, v) for n, v, _ in parse_attrs(opening.group(2))).get("style"))
            dropped = [f"{k}: {v}" for k, v in style.items() if (k, v) not in _REF_LINE_STYLE]
            if dropped:
                self.report(inner_line + _lines_before(inner, opening.start()), f"<slide-ref> line: dropped {'; '.join(dropped)}")
            content_line = inner_line + _lines_before(inner, opening.end())
            lines.append(" ".join(_text_lines(self.wrappers(content, content_line))))
        lines += _text_lines(inner[pos:])
        extra = self.extra_attrs("slide-ref", attrs, line)
        return f"<slide-ref{extra}>\n" + "".join(f"  {text}\n" for text in lines if text) + "</slide-ref>"

    def highlight(self, kind: str, attrs: dict, inner: str, inner_line: int, line: int) -> str:
        extra = self.extra_attrs("slide-highlight", attrs, line)
        body = _trim(self.wrappers(inner, inner_line)).strip()
        if "\n" in body:
            return f"<slide-highlight{extra}>\n{body}\n</slide-highlight>"
        return f"<slide-highlight{extra}>{body}</slide-highlight>"

    def columns(self, kind: str, attrs: dict, inner: str, inner_line: int, line: int) -> str | None:
        if not _only_columns(inner):
            self.report(line, "<div class=\"slide-cols\"> holds text outside its columns; kept as raw HTML")
            return None
        extra = self.extra_attrs("slide-cols", attrs, line)
        return f"<slide-cols{extra}>{self.wrappers(inner, inner_line)}</slide-cols>"

    def column(self, kind: str, attrs: dict, inner: str, inner_line: int, line: int) -> str:
        ratio = kind[len("slide-col-"):]
        if ratio == "half" or kind == "slide-col":
            ratio = "1"
        elif not ratio.isdigit():
            self.report(line, f"column class '{kind}' has no ratio; ratio=\"1\" is used")
            ratio = "1"
        extra = self.extra_attrs("slide-col", attrs, line)
        return f'<slide-col ratio="{ratio}"{extra}>{self.wrappers(inner, inner_line)}</slide-col>'

    def scale(self, attrs: dict, style: dict, inner: str, inner_line: int, line: int) -> str | None:
        size = style.pop("font-size")
        factor = _scale_factor(size)
        if factor is None:
            self.report(line, f"font-size: {size} is not a factor between 0.3 and 1 (em or %); kept as raw HTML")
            return None
        if style:
            self.report(line, f"<slide-scale>: dropped {'; '.join(f'{k}: {v}' for k, v in style.items())}")
        fragment = self.extra_attrs("slide-scale", attrs, line, ignore=("style",))
        scaled = f'<slide-scale factor="{factor}">{self.wrappers(inner, inner_line)}</slide-scale>'
        return f"<slide-fragment>\n{scaled}\n</slide-fragment>" if fragment else scaled

    # --- build-ups ------------------------------------------------------------------

    def merge_buildups(self, slides: list[_Slide]) -> list[_Slide]:
        merged: list[_Slide] = []
        for slide in slides:
            if not (merged and self.merge(merged[-1], slide)):
                merged.append(slide)
        return merged

    def merge(self, prev: _Slide, nxt: _Slide) -> bool:
        """Fold `nxt` into `prev` when it repeats prev's blocks in order and only adds to them."""
        if prev.raw or nxt.raw or prev.attrs != nxt.attrs or nxt.comments or _has_fragments(prev, nxt):
            return False
        latest = prev.buildup.latest if prev.buildup else _blocks(prev.body)
        blocks = _blocks(nxt.body)
        if not any(not _is_heading(b) for b in latest):
            return False  # a title slide before its first content slide is not a build-up
        matched = _subsequence(latest, blocks)
        if matched is None:
            return False
        added = [b for b, i in zip(blocks, matched) if i is None]
        grown = [j for j, i in enumerate(matched) if i is not None and _norm(blocks[j]) != _norm(latest[i])]
        if not (added or grown) or any(_is_heading(b) for b in added):
            return False
        entries = prev.buildup.entries if prev.buildup else [(b, 0) for b in latest]
        step = (prev.buildup.steps if prev.buildup else 0) + 1
        new_entries = []
        for j, (block, i) in enumerate(zip(blocks, matched)):
            if j in grown:
                block = self.extended(latest[i], block, nxt.line)
            new_entries.append((block, step if i is None else entries[i][1]))
        prev.buildup = _BuildUp(new_entries, blocks, step if added else step - 1)
        prev.notes = _join_notes(prev.notes, nxt.notes)
        self.report(nxt.line, f"build-up slide merged into the slide of line {prev.line}"
                              + (f": {len(added)} added block(s) become fragments" if added else ""))
        return True

    def extended(self, old: str, new: str, slide_line: int) -> str:
        shown = _rows_extended(old, new)
        formula = _display_formula(new)
        total = len(_rows(formula.tex))
        line = self.line_of(formula.tex, slide_line)
        if "<slide-derivation" in new:
            self.report(line, f"the derivation adds rows {shown + 1}-{total} to the previous slide's: reveal=\"{shown + 1}-\"")
            return _set_reveal(new, f"{shown + 1}-")
        self.report(line, f"this formula repeats the previous slide's {shown} rows and adds rows {shown + 1}-{total}: "
                          f"merged, all rows now show at once (a <slide-derivation reveal=\"{shown + 1}-\"> "
                          "linked to a check would reveal them one by one)")
        return new


# --- build-up helpers ---------------------------------------------------------------


def _blocks(body: str) -> list[str]:
    """Top-level blocks: cut at blank lines outside formulas, elements and indented continuations."""
    regions = _protected(body) + _element_ranges(body)
    blocks, start = [], 0
    for gap in re.finditer(r"\n[ \t]*\n(?:[ \t]*\n)*", body):
        if _inside(gap.start(), regions) or body[gap.end():gap.end() + 1] in (" ", "\t"):
            continue
        blocks.append(body[start:gap.start()])
        start = gap.end()
    blocks.append(body[start:])
    return [_trim(b) for b in blocks if b.strip()]


def _element_ranges(text: str) -> list[tuple[int, int]]:
    regions = _protected(text)
    ranges = []
    for m in re.finditer(r"^[ \t]*<([A-Za-z][\w-]*)", text, re.MULTILINE):
        close = _match_close(text, m.group(1), m.end(), regions)
        if close and not _inside(m.start(), regions):
            ranges.append((m.start(), close.end()))
    return ranges


def _subsequence(old: list[str], new: list[str]) -> list[int | None] | None:
    """For each new block, the old block it repeats (or extends), or None when it is added."""
    matched: list[int | None] = [None] * len(new)
    j = 0
    for i, block in enumerate(old):
        while j < len(new) and not _repeats(block, new[j]):
            j += 1
        if j == len(new):
            return None
        matched[j] = i
        j += 1
    return matched


def _repeats(old: str, new: str) -> bool:
    return _norm(old) == _norm(new) or _rows_extended(old, new) is not None


def _rows_extended(old: str, new: str) -> int | None:
    """How many rows `old`'s one display formula has, when `new`'s is the same with rows added after them."""
    a, b = _display_formula(old), _display_formula(new)
    if a is None or b is None or _norm(old[:a.start] + old[a.end:]) != _norm(new[:b.start] + new[b.end:]):
        return None
    rows_a, rows_b = _rows(a.tex), _rows(b.tex)
    if rows_a is None or rows_b is None or len(rows_a) >= len(rows_b) or rows_b[:len(rows_a)] != rows_a:
        return None
    return len(rows_a)


def _display_formula(block: str) -> MathSpan | None:
    spans = [s for s in scan_math(block)[0] if s.display]
    return spans[0] if len(spans) == 1 else None


def _rows(tex: str) -> list[str] | None:
    env = re.fullmatch(r"\s*\\begin\{([A-Za-z]+\*?)\}(.*)\\end\{\1\}\s*", tex, re.DOTALL)
    if not env:
        return None
    return [row for row in (_norm(r) for r in env.group(2).split(r"\\")) if row]


def _set_reveal(block: str, reveal: str) -> str:
    def fix(m: re.Match) -> str:
        tag = re.sub(r'\s+reveal="[^"]*"', "", m.group(0))
        return tag[:-1] + f' reveal="{reveal}">'
    return re.sub(r"<slide-derivation\b[^>]*>", fix, block, count=1)


def _render_buildup(entries: list[tuple[str, int]]) -> str:
    """Blocks added at step k appear at click k; a step with more than one unit needs explicit indices."""
    units: list[tuple[int, str, list[str]]] = []
    for block, step in entries:
        how = _fragment_kind(block) if step else "base"
        if how == "wrap" and units and units[-1][:2] == (step, "wrap"):
            units[-1][2].append(block)
        else:
            units.append((step, how, [block]))
    steps = [step for step, _, _ in units if step]
    numbered = len(steps) != len(set(steps))
    out = []
    for step, how, blocks in units:
        index = str(step) if numbered else ""
        if how == "base":
            out += blocks
        elif how == "attr":
            attr = f' fragment="{index}"' if index else " fragment"
            out.append(re.sub(r"^(\s*<slide-[a-z-]+)", lambda m: m.group(1) + attr, blocks[0], count=1))
        elif how == "mark":
            first, _, rest = blocks[0].partition("\n")
            out.append(f"{first} {{+{index}}}" + (f"\n{rest}" if rest else ""))
        else:
            attr = f' index="{index}"' if index else ""
            out.append(f"<slide-fragment{attr}>\n\n" + "\n\n".join(blocks) + "\n\n</slide-fragment>")
    return "\n\n".join(out)


def _fragment_kind(block: str) -> str:
    """'attr' for one element that takes `fragment`, 'mark' for a list item ({+}), else 'wrap'."""
    opening = re.match(r"\s*<(slide-[a-z-]+)\b", block)
    if opening and takes_fragment(opening.group(1)):
        close = _match_close(block, opening.group(1), opening.end(), _protected(block))
        if close and close.end() == len(block.rstrip()):
            return "attr"
    lines = block.split("\n")
    second = lines[1] if len(lines) > 1 else ""
    if _LIST_ITEM.match(block) and "$$" not in lines[0] and (not second.strip() or _LIST_ITEM.match(second.strip())):
        return "mark"
    return "wrap"


def _has_fragments(*slides: _Slide) -> bool:
    return any(re.search(r"<[^>]*\bfragment\b[^>]*>|\{\+\d*\}", s.body) for s in slides)


def _is_heading(block: str) -> bool:
    return bool(re.match(r"[ \t]{0,3}#{1,6}[ \t]", block))


def _join_notes(first: str, second: str) -> str:
    if not second or _norm(second) == _norm(first):
        return first
    return f"{first}\n\n{second}" if first else second


# --- small text helpers -----------------------------------------------------------------


def _protected(text: str) -> list[tuple[int, int]]:
    """Formulas, code and comments: a tag inside them is not markup."""
    regions = skipped_regions(text) + [(s.start, s.end) for s in scan_math(text)[0]]
    return regions + [m.span() for m in _CODE_SPAN.finditer(text)]


def _inside(pos: int, regions: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in regions)


def _match_close(text: str, name: str, start: int, regions: list[tuple[int, int]], end: int | None = None):
    """The closing tag that balances an opening <name> ending at `start` (None when there is none)."""
    depth = 1
    for tag in re.compile(rf"<(/?){re.escape(name)}\b[^>]*>", re.IGNORECASE).finditer(text, start, end or len(text)):
        if _inside(tag.start(), regions) or tag.group(0).endswith("/>"):
            continue
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return tag
    return None


def _wrapper_tags(text: str):
    """Each <div>, <p> or <span> outside formulas and code, with the tag that closes it (or None)."""
    regions = _protected(text)
    for opening in _WRAPPER_OPEN.finditer(text):
        if not _inside(opening.start(), regions):
            yield opening, _match_close(text, opening.group(1).lower(), opening.end(), regions)


def _only_columns(inner: str) -> bool:
    rest, pos = [], 0
    for opening, close in _wrapper_tags(inner):
        if opening.start() < pos:
            continue
        classes = dict((n, v) for n, v, _ in parse_attrs(opening.group(2))).get("class") or ""
        if not close or not any(c == "slide-col" or c.startswith("slide-col-") for c in classes.split()):
            return False
        rest.append(inner[pos:opening.start()])
        pos = close.end()
    rest.append(inner[pos:])
    return not re.sub(r"<!--.*?-->", "", "".join(rest), flags=re.DOTALL).strip()


def _css(style: str | None) -> dict[str, str]:
    decls = {}
    for decl in (style or "").split(";"):
        name, colon, value = decl.partition(":")
        if colon:
            decls[name.strip().lower()] = " ".join(value.split()).lower()
    return decls


def _scale_factor(size: str) -> str | None:
    m = re.fullmatch(r"(\d*\.?\d+)(em|%)", size)
    if not m:
        return None
    value = float(m.group(1)) / (100 if m.group(2) == "%" else 1)
    if not 0.3 <= value <= 1:
        return None
    return m.group(1) if m.group(2) == "em" else f"{value:g}"


def _attr(name: str, value: str) -> str:
    quote = "'" if '"' in value else '"'
    return f"{name}={quote}{value}{quote}"


def _text_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _trim(text: str) -> str:
    """Without the blank lines at either end, keeping the first line's indentation."""
    return re.sub(r"^(?:[ \t]*\n)+", "", text).rstrip()


def _norm(text: str) -> str:
    return " ".join(text.split())


def _lines_before(text: str, offset: int) -> int:
    return text.count("\n", 0, offset)


def _starts_line(text: str, offset: int) -> bool:
    return not text[text.rfind("\n", 0, offset) + 1:offset].strip()


def _skip_space(text: str, pos: int, end: int) -> int:
    while pos < end and text[pos].isspace():
        pos += 1
    return pos


def _next_of(text: str, pos: int, end: int, needles: tuple[str, ...]) -> int:
    found = [i for i in (text.find(n, pos + 1, end) for n in needles) if i >= 0]
    return min(found, default=end)


def _shown(tag: str) -> str:
    tag = " ".join(tag.split())
    return tag if len(tag) <= 60 else tag[:57] + "…>"


# --- command line ---------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python build.py import",
                                     description="Convert a deck from the old <section data-markdown> format.")
    parser.add_argument("old", type=Path, help="the deck in the old format")
    parser.add_argument("-o", "--output", type=Path, help="write the converted deck here (default: standard output)")
    parser.add_argument("--force", action="store_true", help="replace the --output file if it exists")
    args = parser.parse_args(argv)
    if args.output is not None and _same_file(args.old, args.output):
        print(f"{args.output}: error: the output is the deck being converted; nothing was written\n"
              "    hint: write the converted deck to a new file, e.g. -o slides/NEW.md", file=sys.stderr)
        return 1
    if args.output is not None and args.output.exists() and not args.force:
        print(f"{args.output}: error: the file exists; nothing was written\n"
              "    hint: choose a new file name, or add --force to replace it", file=sys.stderr)
        return 1
    try:
        text = args.old.read_bytes().decode("utf-8").removeprefix("\ufeff")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{args.old}: error: cannot read the deck: {exc}", file=sys.stderr)
        return 1
    result = convert(text, str(args.old))
    for line, message in result.problems:
        print(f"{args.old}:{line}: warning: {message}", file=sys.stderr)
    if args.output is None:
        sys.stdout.write(result.text)
        return 0
    try:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(result.text, encoding="utf-8")
    except OSError as exc:
        print(f"{args.output}: error: cannot write the deck: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and a.exists() and a.samefile(b))
    except OSError:
        return False
