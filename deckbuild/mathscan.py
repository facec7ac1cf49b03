"""Find every formula in a slide's Markdown before Markdown itself runs.

Markdown would read `_`, `*`, `\\`, `|` and `<` inside a formula as its own
syntax, so formulas are cut out first, exactly as written, and their place is
held by an opaque token. This scanner is the single place that decides what is
math: `$…$` inline, `$$…$$` display; `\\$` is a literal dollar; code spans,
fenced code, <pre>/<code> and HTML comments are never math.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})", re.MULTILINE)
_SKIP_HTML = re.compile(r"<!--.*?-->|<pre\b.*?</pre\s*>|<code\b.*?</code\s*>", re.DOTALL | re.IGNORECASE)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class MathSpan:
    start: int  # offset of the opening delimiter
    end: int  # offset just after the closing delimiter
    tex: str  # the formula between the delimiters, untouched
    display: bool  # $$…$$
    block: bool  # a display formula standing on its own lines

    @property
    def tex_start(self) -> int:
        return self.start + (2 if self.display else 1)


@dataclass(frozen=True)
class MathProblem:
    offset: int
    severity: str
    message: str
    hint: str


def _escaped(text: str, i: int) -> bool:
    """True when text[i] is preceded by an odd number of backslashes."""
    n = 0
    while i - n - 1 >= 0 and text[i - n - 1] == "\\":
        n += 1
    return n % 2 == 1


def skipped_regions(text: str) -> list[tuple[int, int]]:
    regions = [(m.start(), m.end()) for m in _SKIP_HTML.finditer(text)]
    pos = 0
    while True:
        m = _FENCE.search(text, pos)
        if not m:
            break
        fence = m.group(1)
        close = re.compile(rf"^[ \t]{{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.MULTILINE)
        line_end = text.find("\n", m.end())
        c = close.search(text, line_end + 1) if line_end >= 0 else None
        end = c.end() if c else len(text)
        regions.append((m.start(), end))
        pos = end
    return sorted(regions)


def _code_span_end(text: str, i: int) -> int:
    """If a backtick code span starts at i, return its end; otherwise i + run length."""
    run = len(re.match(r"`+", text[i:]).group(0))
    close = re.compile(rf"(?<!`)`{{{run}}}(?!`)").search(text, i + run)
    if close and not _BLANK_LINE.search(text, i, close.start()):
        return close.end()
    return i + run


def _find_close(text: str, start: int, delim: str) -> int:
    i = start
    while True:
        j = text.find(delim, i)
        if j < 0 or not _escaped(text, j):
            return j
        i = j + 1


def scan_math(text: str) -> tuple[list[MathSpan], list[MathProblem]]:
    spans: list[MathSpan] = []
    problems: list[MathProblem] = []
    regions = skipped_regions(text)
    r = 0
    i = 0
    n = len(text)
    while i < n:
        while r < len(regions) and regions[r][1] <= i:
            r += 1
        if r < len(regions) and regions[r][0] <= i:
            i = regions[r][1]
            continue
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "`":
            i = _code_span_end(text, i)
            continue
        if ch != "$":
            i += 1
            continue
        if text.startswith("$$", i):
            close = _find_close(text, i + 2, "$$")
            if close < 0:
                problems.append(MathProblem(i, "error", "display math opened with $$ is never closed",
                                            "close the formula with $$ (write \\$ for a literal dollar sign)"))
                i += 2
                continue
            end = close + 2
            line_start = text.rfind("\n", 0, i) + 1
            line_end = text.find("\n", end)
            line_end = n if line_end < 0 else line_end
            block = not text[line_start:i].strip() and not text[end:line_end].strip()
            spans.append(MathSpan(i, end, text[i + 2:close], True, block))
            i = end
            continue
        close = _inline_close(text, i)
        if close < 0:
            problems.append(MathProblem(i, "warning", "unmatched $ is shown as a literal dollar sign",
                                        "close the formula with $, or write \\$ for a dollar sign"))
            i += 1
            continue
        spans.append(MathSpan(i, close + 1, text[i + 1:close], False, False))
        i = close + 1
    return spans, problems


def _inline_close(text: str, i: int) -> int:
    """Closing $ of inline math opened at i, or -1 (pandoc's rules)."""
    if i + 1 >= len(text) or text[i + 1].isspace():
        return -1
    limit = _BLANK_LINE.search(text, i)
    limit_pos = limit.start() if limit else len(text)
    j = i + 1
    while True:
        j = _find_close(text, j, "$")
        if j < 0 or j >= limit_pos:
            return -1
        if text.startswith("$$", j):
            return -1
        if not text[j - 1].isspace() and not (j + 1 < len(text) and text[j + 1].isdigit()):
            return j
        j += 1
