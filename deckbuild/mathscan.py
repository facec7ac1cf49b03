"""Find every formula in a slide's Markdown before Markdown itself runs.

Markdown would read `_`, `*`, `\\`, `|` and `<` inside a formula as its own
syntax, so formulas are cut out first, exactly as written, and their place is
held by an opaque token. This scanner is the single place that decides what is
math: `$…$` and `\\(…\\)` inline, `$$…$$` and `\\[…\\]` display (the lecturer's setup
accepts both); `\\$` is a literal dollar; code spans,
fenced code, <pre>/<code> and HTML comments are never math.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})", re.MULTILINE)
_SKIP_HTML = re.compile(r"<!--.*?-->|<pre\b.*?</pre\s*>|<code\b.*?</code\s*>", re.DOTALL | re.IGNORECASE)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_SPECIAL = "\\`$"  # the characters the scanner acts on; everything else is read past in runs
_PLAIN_RUN = re.compile(r"[^\\`$]+")
_MAY_MATTER = re.compile(r"[\\`$<~]")  # without one of these a text holds no math, code, comment or fence


@dataclass(frozen=True)
class MathSpan:
    start: int  # offset of the opening delimiter
    end: int  # offset just after the closing delimiter
    tex: str  # the formula between the delimiters, untouched
    display: bool  # $$…$$ or \[…\]
    block: bool  # a display formula standing on its own lines
    delimiter: int = 0  # length of the opening delimiter, when not $ or $$ (2 for \( and \[)

    @property
    def tex_start(self) -> int:
        return self.start + (self.delimiter or (2 if self.display else 1))


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


_HTML_REGIONS = ((re.compile(r"<!--"), re.compile(r"-->")),
                 (re.compile(r"<pre\b", re.IGNORECASE), re.compile(r"</pre\s*>", re.IGNORECASE)),
                 (re.compile(r"<code\b", re.IGNORECASE), re.compile(r"</code\s*>", re.IGNORECASE)))


def _html_regions(text: str) -> list[tuple[int, int]]:
    """Comments, <pre> and <code>, leftmost first as a non-greedy regex would find them, in linear time:
    once an opener has no closer after it, no later opener of that kind has one either."""
    regions: list[tuple[int, int]] = []
    pos = 0
    pending = {i: opener.search(text) for i, (opener, _) in enumerate(_HTML_REGIONS)}
    while pending:
        kind, m = min(((k, m) for k, m in pending.items() if m), key=lambda km: km[1].start(), default=(None, None))
        if m is None:
            break
        close = _HTML_REGIONS[kind][1].search(text, m.end())
        if close is None:
            del pending[kind]
            continue
        regions.append((m.start(), close.end()))
        pos = close.end()
        for k in list(pending):
            if pending[k] and pending[k].start() < pos:
                pending[k] = _HTML_REGIONS[k][0].search(text, pos)
    return regions


def skipped_regions(text: str) -> list[tuple[int, int]]:
    """Where no math, element or slide boundary can be: HTML comments, <pre>, <code> and fenced code."""
    regions = _html_regions(text)
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


class _Index:
    """Positions the scanner asks about again and again, found once, so a paragraph of 20,000
    dollar signs or backticks is scanned in linear time instead of quadratic."""

    def __init__(self, text: str):
        self.text = text
        self.blank_lines = [(m.start(), m.end()) for m in _BLANK_LINE.finditer(text)]
        self.blank_starts = [a for a, _ in self.blank_lines]
        dollars = [m.start() for m in re.finditer(r"\$", text) if not _escaped(text, m.start())]
        self.doubles = [j for j in dollars if text.startswith("$$", j)]
        self.closers = [j for j in dollars if j > 0 and not text[j - 1].isspace()
                        and not (j + 1 < len(text) and text[j + 1].isdigit())]
        self.runs = [(m.start(), m.end()) for m in re.finditer(r"`+", text)]  # maximal backtick runs
        self.brackets = {closer: _BracketCloser(text, closer) for closer in ("\\)", "\\]")}
        self.run_starts = [a for a, _ in self.runs]
        self.starts_by_length: dict[int, list[int]] = {}
        for a, b in self.runs:
            self.starts_by_length.setdefault(b - a, []).append(a)

    def bracket_close(self, closer: str, start: int) -> int:
        return self.brackets[closer](start)

    def next_blank_line(self, i: int) -> tuple[int, int]:
        k = bisect.bisect_left(self.blank_starts, i)
        return self.blank_lines[k] if k < len(self.blank_lines) else (len(self.text), len(self.text))

    @staticmethod
    def _first_after(positions: list[int], i: int) -> int:
        k = bisect.bisect_left(positions, i)
        return positions[k] if k < len(positions) else -1

    def code_span_end(self, i: int) -> int:
        """If a backtick code span starts at i, its end; otherwise the end of the backticks at i."""
        run_end = self.runs[bisect.bisect_right(self.run_starts, i) - 1][1]
        run = run_end - i
        close = self._first_after(self.starts_by_length.get(run, []), run_end)
        if close >= 0 and self.next_blank_line(i)[1] > close:
            return close + run
        return run_end

    def inline_close(self, i: int) -> int:
        """Closing $ of inline math opened at i, or -1 (pandoc's rules)."""
        text = self.text
        if i + 1 >= len(text) or text[i + 1].isspace():
            return -1
        limit = self.next_blank_line(i)[0]
        close = self._first_after(self.closers, i + 1)
        double = self._first_after(self.doubles, i + 1)
        if close < 0 or close >= limit or 0 <= double <= close:
            return -1
        return close


class _BracketCloser:
    """The first unescaped `\\)` or `\\]` at or after a position; each found once (linear time:
    the next opener asks from a later position, and the answer holds until it is passed)."""

    def __init__(self, text: str, closer: str):
        self.text, self.closer = text, closer
        self.asked, self.found = -1, -1

    def __call__(self, start: int) -> int:
        if not (self.asked >= 0 and self.asked <= start and (self.found < 0 or start <= self.found)):
            self.asked, self.found = start, _find_close(self.text, start, self.closer)
        return self.found


def _bracketed(index: "_Index", i: int, spans: list[MathSpan], problems: list[MathProblem]) -> int:
    """`\\(…\\)` or `\\[…\\]` opened at i: add the span and return where scanning goes on."""
    text = index.text
    display = text[i + 1] == "["
    closer = "\\]" if display else "\\)"
    close = index.bracket_close(closer, i + 2)
    if close < 0 or not display and index.next_blank_line(i)[0] < close:
        problems.append(MathProblem(i, "error", f"math opened with {text[i:i + 2]} is never closed",
                                    f"close the formula with {closer}"))
        return i + 2
    end = close + 2
    block = False
    if display:
        line_start = text.rfind("\n", 0, i) + 1
        line_end = text.find("\n", end)
        block = not text[line_start:i].strip() and not text[end:(len(text) if line_end < 0 else line_end)].strip()
    spans.append(MathSpan(i, end, text[i + 2:close], display, block, delimiter=2))
    return end


def _find_close(text: str, start: int, delim: str) -> int:
    i = start
    while True:
        j = text.find(delim, i)
        if j < 0 or not _escaped(text, j):
            return j
        i = j + 1


def scan_math(text: str) -> tuple[list[MathSpan], list[MathProblem]]:
    spans, problems, _ = _scan(text)
    return spans, problems


def scan(text: str) -> tuple[list[MathSpan], list[MathProblem], list[tuple[int, int]]]:
    """scan_math and code_regions of one text from one reading of it."""
    spans, problems, code = _scan(text)
    return spans, problems, _disjoint(code)


def code_regions(text: str) -> list[tuple[int, int]]:
    """Sorted, disjoint (start, end) of everything that is code or a comment as the scanner reads it:
    comments, <pre>, <code>, fenced code and backtick code spans, none of them begun inside a formula.
    No element tag, `Note:` or slide end counts inside them."""
    return _disjoint(_scan(text)[2])


def _scan(text: str) -> tuple[list[MathSpan], list[MathProblem], list[tuple[int, int]]]:
    spans: list[MathSpan] = []
    problems: list[MathProblem] = []
    code: list[tuple[int, int]] = []
    if not _MAY_MATTER.search(text):  # most pieces of a deck: plain words, nothing to find
        return spans, problems, code
    regions = skipped_regions(text)
    index = _Index(text)
    r = 0
    i = 0
    n = len(text)
    while i < n:
        while r < len(regions) and regions[r][1] <= i:
            r += 1
        if r < len(regions) and regions[r][0] <= i:
            if regions[r][0] == i:  # reached by reading: code (a fence begun inside a formula is not)
                code.append(regions[r])
                i = regions[r][1]
            r += 1
            continue
        ch = text[i]
        if ch not in _SPECIAL:  # read past plain text up to the next backslash, backtick, dollar or region in one step
            i = _PLAIN_RUN.match(text, i).end()
            if r < len(regions) and regions[r][0] < i:
                i = regions[r][0]
            continue
        if ch == "\\":
            if text.startswith(("\\(", "\\["), i):
                i = _bracketed(index, i, spans, problems)
                continue
            i += 2
            continue
        if ch == "`":
            end = index.code_span_end(i)
            if end > index.runs[bisect.bisect_right(index.run_starts, i) - 1][1]:
                code.append((i, end))
            i = end
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
        close = index.inline_close(i)
        if close < 0:
            problems.append(MathProblem(i, "warning", "unmatched $ is shown as a literal dollar sign",
                                        "close the formula with $, or write \\$ for a dollar sign"))
            i += 1
            continue
        spans.append(MathSpan(i, close + 1, text[i + 1:close], False, False))
        i = close + 1
    return spans, problems, code


def _disjoint(regions: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(regions):
        if out and a < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def inside(regions: list[tuple[int, int]], offset: int) -> bool:
    """Whether `offset` falls in one of the sorted, disjoint `regions`."""
    k = bisect.bisect_right(regions, (offset, float("inf"))) - 1
    return k >= 0 and regions[k][0] <= offset < regions[k][1]
