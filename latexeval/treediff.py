"""The smallest piece that differs between two formulas, read on KaTeX's parse trees.

When a derivation row is wrong it usually differs from the row before in one place
(a θ became θ̂, a sign flipped, a term went missing), while the rest of the row is a
legitimate rewrite. The trees' symbols are compared in reading order (spacing,
sizing and spelling are gone from the tree); the smallest differing stretch is the
candidate edit, widened to the additive term around it so the lecturer sees
`\\log p(\\bm{x}_i; \\theta)` became `\\log p(\\bm{x}_i; \\hat{\\theta})`.
"""
from __future__ import annotations

import difflib
import re

from .katex import KatexError, shared_parser

# Where a term ends: binary operators and relations, read from the tree's atoms.
_TERM_ENDS = {"bin", "rel"}


def changed_part(before: str, after: str, macros: dict[str, str] | None = None) -> tuple[str, str] | None:
    """(snippet of `before`, snippet of `after`) around the smallest differing stretch; None if they agree."""
    trees = shared_parser().parse([before, after], macros)
    if any(isinstance(t, KatexError) for t in trees):
        return None
    a, b = _leaves(trees[0]), _leaves(trees[1])
    if [x[0] for x in a] == [y[0] for y in b]:
        return None
    pair = _closest_changed_terms(a, b)
    if pair is None:
        ops = [op for op in _matcher(a, b).get_opcodes() if op[0] != "equal"]
        _, i1, i2, j1, j2 = min(ops, key=lambda op: (op[2] - op[1]) + (op[4] - op[3]))
        pair = _term(a, i1, i2), _term(b, j1, j2)
    return _snippet(before, a, *pair[0]), _snippet(after, b, *pair[1])


def edits(before: str, after: str, macros: dict[str, str] | None = None) -> list[tuple[str, str, int, int]]:
    """Candidate edits from `before` to `after`, smallest first: (snippet of `before`, snippet of `after`,
    start and end of the latter in `after`).

    A candidate is a call of `after` (`\\log p(\\bm{x}_i; \\hat{\\theta})`: a bracketed argument list
    with its head) that `before` does not contain, paired with the most similar call of `before`.
    Calls rather than a global alignment of the two rows: a row that legitimately regroups the one
    before (an integral become a KL) would otherwise pull the alignment, and the edit, to the wrong
    place. Which candidate broke the value is for the caller to find out (deckbuild/explain.py
    evaluates the row with each one undone)."""
    trees = shared_parser().parse([before, after], macros)
    if any(isinstance(t, KatexError) for t in trees):
        return []
    a, b = _leaves(trees[0]), _leaves(trees[1])
    calls_a = [(lo, hi, tuple(x[0] for x in a[lo:hi])) for lo, hi in _calls(a)]
    seen = {text for _, _, text in calls_a}
    out = []
    for lo, hi in _calls(b):
        text = tuple(y[0] for y in b[lo:hi])
        if text in seen or not calls_a:
            continue
        ratio, alo, ahi = max((difflib.SequenceMatcher(None, t, text, autojunk=False).ratio(), i, j)
                              for i, j, t in calls_a)
        span, was = _source_span(after, b, lo, hi), _source_span(before, a, alo, ahi)
        if ratio < 0.6 or span is None or was is None:
            continue
        written = after[span[0]:span[1]]
        # the call's own head with the other's arguments first (\\log p(x; θ) for \\log p(x; θ̂) where the row
        # before wrote p(x; θ) inside a product), then the other call as it stands
        b_args, a_args = _source_span(after, b, _paren(b, lo), hi), _source_span(before, a, _paren(a, alo), ahi)
        if b_args is not None and a_args is not None:
            out.append((after[span[0]:b_args[0]] + before[a_args[0]:a_args[1]], written, *span))
        out.append((before[was[0]:was[1]], written, *span))
    unique = [e for e in dict.fromkeys(out) if e[0] != e[1]]
    return sorted(unique, key=lambda e: (e[3] - e[2], e[2]))  # stable: the head-kept reading first


_OPEN, _CLOSE = "(", ")"


def _calls(leaves: list) -> list[tuple[int, int]]:
    """Leaf ranges of every `head(…)` call: a matched pair of parentheses with its head, the name right
    before it (p, the letters of \\text{KL}) and the operators before that (\\log)."""
    out, stack = [], []
    for k, (text, _, _) in enumerate(leaves):
        if text == _OPEN:
            stack.append(k)
        elif text == _CLOSE and stack:
            out.append((_head(leaves, stack.pop()), k + 1))
    return out


def _paren(leaves: list, lo: int) -> int:
    """The opening parenthesis of the call that starts at `lo`."""
    return next(k for k in range(lo, len(leaves)) if leaves[k][0] == _OPEN)


def _head(leaves: list, start: int) -> int:
    k = start - 1
    if k < 0 or not leaves[k][0].lstrip("\\").isalpha() or leaves[k][2] not in ("mathord", "textord", "op"):
        return start
    if leaves[k][2] == "textord":  # a name written in text: all of its letters
        while k > 0 and leaves[k - 1][2] == "textord" and leaves[k - 1][0].isalpha():
            k -= 1
    while k > 0 and leaves[k - 1][2] == "op":
        k -= 1
    return k


def _source_span(src: str, leaves: list, lo: int, hi: int) -> tuple[int, int] | None:
    """Where leaves [lo, hi) are written, widened over a command around the first one (\\text{K…, \\bm{x…)."""
    spans = [p for _, p, _ in leaves[lo:hi] if p]
    if not spans:
        return None
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    leading = []  # operators KaTeX gives no position (\\log), written right before
    for name, pos, family in leaves[lo:hi]:
        if pos is not None:
            break
        if family == "op":
            leading.append(name)
    for name in reversed(leading):
        written = src[:start].rstrip()
        if written.endswith(name):
            start = len(written) - len(name)
    while start > 0 and src[start - 1] == "{":
        head = re.search(r"\\[A-Za-z]+\s*$", src[:start - 1])
        if head is None:
            break
        start = head.start()
    return start, end


def _matcher(a: list, b: list) -> difflib.SequenceMatcher:
    return difflib.SequenceMatcher(None, [x[0] for x in a], [y[0] for y in b], autojunk=False)


def _terms(leaves: list) -> list[tuple[int, int]]:
    """The additive terms of a formula, as leaf ranges between operators and relations."""
    out, start = [], 0
    for k, (_, _, family) in enumerate(leaves + [("", None, "rel")]):
        if family in _TERM_ENDS:
            if k > start:
                out.append((start, k))
            start = k + 1
    return out


def _closest_changed_terms(a: list, b: list):
    """The term of `b` that is most like a term of `a` without being equal to any: the edited one."""
    texts_a = [tuple(x[0] for x in a[i:j]) for i, j in _terms(a)]
    best, found = 0.6, None
    for tb in _terms(b):
        text_b = tuple(y[0] for y in b[tb[0]:tb[1]])
        if text_b in texts_a:
            continue
        for ta, text_a in zip(_terms(a), texts_a):
            ratio = difflib.SequenceMatcher(None, text_a, text_b, autojunk=False).ratio()
            if ratio > best:
                best, found = ratio, (ta, tb)
    return found


def _leaves(tree) -> list[tuple[str, tuple[int, int] | None, str]]:
    """(text, source span, family) of every symbol, accent and operator, in reading order."""
    out = []

    def visit(node):
        if isinstance(node, list):
            for n in node:
                visit(n)
            return
        if not isinstance(node, dict):
            return
        pos = tuple(node["pos"]) if isinstance(node.get("pos"), list) else None
        kind = node.get("type")
        if kind == "accent":
            out.append((node.get("label", ""), pos, "accent"))
        elif kind in ("op", "operatorname") and node.get("name"):
            out.append((node["name"], pos, "op"))
        elif isinstance(node.get("text"), str) and kind not in ("spacing",):
            out.append((node["text"], pos, node.get("family", kind)))
        elif kind in ("genfrac",):
            out.append(("\\frac", pos, "frac"))
        elif kind in ("supsub",):
            out.append(("^_", None, "script"))
        for key, value in node.items():
            if key != "pos" and isinstance(value, (list, dict)):
                visit(value)

    visit(tree)
    return out


def _term(leaves: list, lo: int, hi: int) -> tuple[int, int]:
    """Widen [lo, hi) to the additive term around it (up to the nearest operator or relation)."""
    while lo > 0 and leaves[lo - 1][2] not in _TERM_ENDS:
        lo -= 1
    while hi < len(leaves) and leaves[hi][2] not in _TERM_ENDS:
        hi += 1
    return lo, hi


def _snippet(src: str, leaves: list, lo: int, hi: int) -> str:
    spans = [p for _, p, _ in leaves[lo:hi] if p]
    if not spans:
        return ""
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    text = src[start:end]
    # close what the widening left open: a bracket or brace of the term's own call
    for opening, closing in (("(", ")"), ("{", "}"), ("[", "]")):
        missing = text.count(opening) - text.count(closing)
        if missing > 0 and src[end:end + missing].strip() == closing * missing:
            text += closing * missing
            end += missing
    return text.strip()
