"""Read one deck file: YAML front matter, then one slide per <slide-section>.

The lecturer's format keeps slides as `<slide-section>…</slide-section>` blocks
separated by HTML comments; a plain `<section>` (their "Thanks!" slide) is kept
as raw HTML. Every slide remembers the line it starts on, because every later
message points back into this file.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field

import yaml

from .diagnostics import Report, line_col
from .mathscan import code_regions, inside

YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, ten times faster, where PyYAML has it

FRONT_MATTER_FIELDS = {
    "title": str,
    "author": str,
    "date": str,
    "draft": bool,
    "tags": list,
    "macros": dict,
    "notation": str,  # latexeval/notations/<name>.yaml: what the deck's symbols mean, to evaluate its formulas
    "images": dict,  # remote image URL prefix -> a local folder (or a mirror URL) used before any download
    "lang": str,  # the deck's language (zh-CN, en): the page's lang and the words the site says; else read off the text
}
PROJECT_FILE = "deckbuild.yaml"  # beside the decks: settings for all of them
PROJECT_FIELDS = {"images": dict}
_IMAGES_HINT = ('write images: {"https://host/images/": "../image-repo/images/"} '
                "(a URL prefix, then a folder relative to this file or a mirror URL)")

_SLIDE_OPEN = re.compile(r"<(slide-section|section)(\s[^>]*)?>", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_ATTR = re.compile(r"""([A-Za-z_:][-A-Za-z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
SECTION_ATTRS = re.compile(r"^(id|class|data-[a-z0-9-]+)$")


@dataclass
class RawSlide:
    kind: str  # "slide-section" (Markdown) or "section" (raw HTML)
    text: str  # the slide's inner text, exactly as written
    line: int  # line of the first character of `text`
    col: int
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class DeckSource:
    path: str  # as shown in messages, e.g. slides/DAR-5-5.md
    slug: str
    meta: dict
    slides: list[RawSlide]


def parse_attrs(text: str) -> list[tuple[str, str | None, int]]:
    """Attributes of a start tag as (name, value or None, offset in `text`)."""
    found = []
    for m in _ATTR.finditer(text or ""):
        value = next((g for g in m.groups()[1:] if g is not None), None)
        found.append((m.group(1).lower(), value, m.start()))
    return found


def _front_matter(path: str, text: str, report: Report) -> tuple[dict, int]:
    """Return (metadata, offset where the body starts)."""
    if not text.startswith("---"):
        return {}, 0
    end = re.search(r"^---[ \t]*$", text[3:], re.MULTILINE)
    if not end or text[:3] != "---" or text[3:4] not in ("\n", "\r"):
        report.error(path, 1, 1, "front matter opened with '---' is never closed",
                     "end the front matter with a line holding only '---'")
        return {}, len(text)
    raw = text[4:3 + end.start()]
    body_start = 3 + end.end()
    try:
        meta = yaml.load(raw, Loader=YAML_LOADER) or {}
    except ValueError as exc:  # YAML reads 2025-13-45 as a date and the calendar refuses it
        m = re.search(r"^([A-Za-z_]+)\s*:\s*(\d{4}-\d{1,2}-\d{1,2})", raw, re.MULTILINE)
        line = raw.count("\n", 0, m.start()) + 2 if m else 2
        what = f"'{m.group(1)}: {m.group(2)}' is not a calendar date" if m else "a value is not a calendar date"
        report.error(path, line, 1, f"front matter: {what} ({exc})",
                     "write a real date as YYYY-MM-DD, e.g. date: \"2025-12-11\"")
        return {}, body_start
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark else 2
        col = (mark.column + 1) if mark else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        report.error(path, line, col, f"front matter is not valid YAML: {problem}",
                     "front matter is 'key: value' lines; quote values that contain ':' or '#'")
        return {}, body_start
    if not isinstance(meta, dict):
        report.error(path, 2, 1, "front matter must be 'key: value' lines")
        return {}, body_start
    return _check_meta(path, raw, meta, report), body_start


def _check_meta(path: str, raw: str, meta: dict, report: Report) -> dict:
    def key_line(key: str) -> int:
        m = re.search(rf"^{re.escape(str(key))}\s*:", raw, re.MULTILINE)
        return (raw.count("\n", 0, m.start()) + 2) if m else 2

    clean: dict = {}
    for key, value in meta.items():
        expected = FRONT_MATTER_FIELDS.get(key)
        if expected is None:
            report.warning(path, key_line(key), 1, f"unknown front matter field '{key}' is ignored",
                           f"known fields: {', '.join(FRONT_MATTER_FIELDS)}")
            continue
        if key == "date" and isinstance(value, (_dt.date, _dt.datetime)):
            value = value.isoformat()[:10]
        if key == "date" and isinstance(value, str) and not _is_date(value):
            report.error(path, key_line(key), 1, f"front matter field 'date' is not a date: {value!r}",
                         "write it as YYYY-MM-DD, e.g. date: \"2025-12-11\"")
            continue
        if key in ("title", "author") and isinstance(value, (int, float)):
            value = str(value)
        if not isinstance(value, expected):
            report.error(path, key_line(key), 1,
                         f"front matter field '{key}' must be {expected.__name__}, not {type(value).__name__}",
                         {"draft": "write 'draft: true' or 'draft: false'",
                          "tags": "write tags as a list: 'tags: [a, b]'",
                          "macros": "write macros as a mapping: 'macros: {\"\\\\KL\": \"\\\\operatorname{KL}\"}'"}
                         .get(key, "quote the value"))
            continue
        if key == "macros":
            bad = [k for k in value if not (isinstance(k, str) and k.startswith("\\"))]
            if bad:
                report.error(path, key_line(key), 1, f"macro names must start with a backslash: {bad[0]!r}",
                             "write macros: {\"\\\\KL\": \"\\\\operatorname{KL}\"} (quoted, backslash doubled)")
                continue
            value = {k: str(v) for k, v in value.items()}
        if key == "images":
            value = image_map(path, key_line(key), value, report)
            if value is None:
                continue
        clean[key] = value
    return clean


def image_map(path: str, line: int, value: dict, report: Report) -> dict[str, str] | None:
    """`images:` maps remote URL prefixes to folders or mirrors; anything else is an error here."""
    for prefix, target in value.items():
        if not (isinstance(prefix, str) and re.match(r"^(https?:)?//", prefix, re.IGNORECASE)):
            report.error(path, line, 1, f"images: {prefix!r} is not a URL prefix (http://… or https://…)", _IMAGES_HINT)
            return None
        if not isinstance(target, str) or not target.strip():
            report.error(path, line, 1, f"images: {prefix!r} must map to a folder or a URL, not {target!r}", _IMAGES_HINT)
            return None
    return dict(value)


def read_project_file(path: str, text: str, report: Report) -> dict:
    """The project's settings file (deckbuild.yaml beside the decks), checked like front matter."""
    try:
        data = yaml.load(text, Loader=YAML_LOADER) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        report.error(path, mark.line + 1 if mark else 1, mark.column + 1 if mark else 1, f"not valid YAML: {problem}",
                     "the file is 'key: value' lines")
        return {}
    if not isinstance(data, dict):
        report.error(path, 1, 1, "the project file must be 'key: value' lines")
        return {}
    clean = {}
    for key, value in data.items():
        line = next((n for n, text_line in enumerate(text.splitlines(), 1) if text_line.startswith(f"{key}:")), 1)
        if key not in PROJECT_FIELDS:
            report.warning(path, line, 1, f"unknown setting '{key}' is ignored", f"known settings: {', '.join(PROJECT_FIELDS)}")
        elif not isinstance(value, PROJECT_FIELDS[key]):
            report.error(path, line, 1, f"'{key}' must be a mapping", _IMAGES_HINT)
        elif (checked := image_map(path, line, value, report)) is not None:
            clean[key] = checked
    return clean


def decode_deck(path: str, data: bytes, report: Report) -> str | None:
    """A deck's (or the project file's) text, or None with an error naming the first byte that is not UTF-8
    and the likely encoding."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        chinese = _decodes(data, "gb18030") and re.search(r"[\u4e00-\u9fff]", data.decode("gb18030"))
        guess, label = ("GBK", "GBK") if chinese else ("Latin-1 or Windows-1252", "ISO-8859-1")
        report.error(path, line, col, f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x}); it looks like {guess}",
                     f"save it as UTF-8 in the editor, or convert it: iconv -f {label} -t UTF-8 old.md > new.md")
        return None


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
        return True
    except UnicodeDecodeError:
        return False


def _is_date(value: str) -> bool:
    try:
        _dt.date.fromisoformat(value.strip()[:10])
        return True
    except ValueError:
        return False


def read_deck(path: str, slug: str, text: str, report: Report) -> DeckSource:
    # A byte-order mark is how some editors save UTF-8; a lone CR ends a line in files from old Mac editors.
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    code = code_regions(text)
    meta, pos = _front_matter(path, text, report)
    slides: list[RawSlide] = []
    while pos < len(text):
        gap_end = _next_slide(text, pos)
        _check_gap(path, text, pos, gap_end, report)
        if gap_end >= len(text):
            break
        m = _SLIDE_OPEN.match(text, gap_end)
        kind = m.group(1).lower()
        close = next((c for c in re.compile(rf"</{kind}\s*>", re.IGNORECASE).finditer(text, m.end())
                      if not inside(code, c.start())), None)
        line, col = line_col(text, m.start())
        if not close:
            unclosed = next((a for a, b in code if b == len(text) and a > m.start()), None)
            hint = f"end the slide with </{kind}>"
            if unclosed is not None:
                hint += (f"; the code or comment opened at line {line_col(text, unclosed)[0]} is never closed, "
                         "so everything after it is inside it")
            report.error(path, line, col, f"<{kind}> is never closed", hint)
            break
        attrs = {}
        for name, value, _ in parse_attrs(m.group(2) or ""):
            if SECTION_ATTRS.match(name):
                attrs[name] = value or ""
            else:
                report.error(path, line, col, f"unknown attribute '{name}' on <{kind}>",
                             "a slide takes id, class and data-* attributes")
        inner_line, inner_col = line_col(text, m.end())
        slides.append(RawSlide(kind, text[m.end():close.start()], inner_line, inner_col, attrs))
        pos = close.end()
    if not slides and not report.errors:
        report.error(path, 1, 1, "the deck has no slides",
                     "put each slide between <slide-section> and </slide-section>")
    return DeckSource(path, slug, meta, slides)


def _next_slide(text: str, pos: int) -> int:
    """Offset of the next slide opening tag at or after `pos`, skipping comments."""
    while True:
        m = _SLIDE_OPEN.search(text, pos)
        c = _COMMENT.search(text, pos)
        if not m:
            return len(text)
        if c and c.start() < m.start():
            pos = c.end()
            continue
        return m.start()


def _check_gap(path: str, text: str, start: int, end: int, report: Report) -> None:
    gap = _COMMENT.sub(lambda m: " " * len(m.group(0)), text[start:end])
    stray = re.search(r"\S", gap)
    if stray:
        line, col = line_col(text, start + stray.start())
        snippet = gap[stray.start():].strip().splitlines()[0][:60]
        hint = "wrap it in <slide-section>…</slide-section>"
        if snippet.lower().startswith(("</slide-section", "</section")):
            hint = "this closing tag has no matching opening tag"
        report.error(path, line, col, f"text outside any slide: {snippet!r}", hint)
