r"""Wrong variants of a formula in the vocabulary of vectors and matrices, for mutation tests and `check --mutants`.

Each kind is a small edit of the LaTeX a lecturer typically gets wrong; `mutants(latex)`
gives every variant of every kind (one edit each), with where the edit is, so a checker can
show that it rejects them. Not every variant is wrong: swapping i and j in a symmetric
formula changes nothing, so a caller counts a variant that still holds as "equivalent", not
as missed, unless it has been chosen to be wrong (tests/test_linalg_mutants.py).

    mutants(r"\|\bm{x}\|^2 = \bm{x}^T \bm{x}")
        -> [Mutant("drop-square", r"\|\bm{x}\| = \bm{x}^T \bm{x}", 9, …), Mutant("drop-transpose", …), …]
"""
from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = {
    "drop-transpose": "a dropped transpose (^T, ^\\top)",
    "inner-to-outer": "an inner product <a, b> written as the outer product a b^T",
    "swap-index": "a wrong index in a subscript (i and j exchanged, R_{j-i} for R_{i-j})",
    "drop-square": "a missing square on a norm",
    "sum-variable": "a sum over the wrong index (a softmax normalised over i instead of j)",
    "sum-start": "a sum starting at 1 instead of 0 (or at 0 instead of 1)",
    "drop-power": "a missing power (^2, ^{-1}, ^{K+1})",
}


@dataclass(frozen=True)
class Mutant:
    kind: str
    latex: str
    offset: int  # where the edit is, in the original LaTeX
    why: str


def _group_end(tex: str, start: int) -> int:
    """Index after the {…} group opening at tex[start], or after the single token there."""
    if start >= len(tex):
        return start
    if tex[start] == "{":
        depth = 0
        for k in range(start, len(tex)):
            depth += {"{": 1, "}": -1}.get(tex[k], 0)
            if depth == 0:
                return k + 1
        return len(tex)
    if tex[start] == "\\":
        m = re.match(r"\\[A-Za-z]+|\\.", tex[start:])
        return start + len(m.group(0))
    return start + 1


def _scripts(tex: str, mark: str):
    """(start, end, body) of each ^… or _… script."""
    for m in re.finditer(re.escape(mark) + r"\s*", tex):
        body_start = m.end()
        end = _group_end(tex, body_start)
        body = tex[body_start:end]
        yield m.start(), end, body[1:-1] if body.startswith("{") else body


TRANSPOSES = {"T", "\\top", "\\intercal"}


def _drop_transpose(tex):
    for start, end, body in _scripts(tex, "^"):
        if body.strip() in TRANSPOSES:
            yield start, tex[:start] + tex[end:]


def _drop_power(tex):
    for start, end, body in _scripts(tex, "^"):
        if body.strip() not in TRANSPOSES and body.strip() not in ("*", "\\ast", "\\prime", "'"):
            yield start, tex[:start] + tex[end:]


def _drop_square(tex):
    for m in re.finditer(r"(\\\||\\Vert|\\right\\\|)(_\s*(?:\{[^{}]*\}|\w))?\s*\^\s*(\{\s*2\s*\}|2)", tex):
        yield m.start(), tex[:m.start()] + m.group(1) + (m.group(2) or "") + tex[m.end():]


def _matching(tex: str, start: int, opener: str, closer: str) -> int | None:
    depth, k = 0, start
    while k < len(tex):
        if tex.startswith(opener, k):
            depth += 1
            k += len(opener)
            continue
        if tex.startswith(closer, k):
            depth -= 1
            if depth == 0:
                return k
            k += len(closer)
            continue
        k += 1
    return None


def _top_level_comma(body: str) -> int | None:
    depth = 0
    for k, ch in enumerate(body):
        depth += {"{": 1, "}": -1, "(": 1, ")": -1, "[": 1, "]": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            return k
    return None


def _inner_to_outer(tex):
    for m in re.finditer(r"\\langle", tex):
        close = _matching(tex, m.start(), "\\langle", "\\rangle")
        if close is None:
            continue
        body = tex[m.end():close]
        comma = _top_level_comma(body)
        if comma is None:
            continue
        left, right = body[:comma].strip(), body[comma + 1:].strip()
        yield m.start(), tex[:m.start()] + f"({left}) ({right})^T" + tex[close + len("\\rangle"):]


def _swap_index(tex):
    for start, end, body in _scripts(tex, "_"):
        if re.search(r"(?<![A-Za-z\\])[ij](?![A-Za-z])", body):
            swapped = re.sub(r"(?<![A-Za-z\\])([ij])(?![A-Za-z])", lambda m: "j" if m.group(1) == "i" else "i", body)
            script = tex[start:end]
            yield start, tex[:start] + script.replace(body, swapped, 1) + tex[end:]
        elif re.search(r"(?<![A-Za-z\\])m(?![A-Za-z])", body):  # a relative position: R_{m, θ} -> R_{-m, θ}
            yield start, tex[:start] + tex[start:end].replace(body, re.sub(r"(?<![A-Za-z\\])m(?![A-Za-z])",
                                                                               "(-m)", body, count=1), 1) + tex[end:]


def _sum_variable(tex):
    for m in re.finditer(r"\\sum_\s*(\{\s*([ij])\s*\}|([ij]))(?![A-Za-z=])", tex):
        letter = m.group(2) or m.group(3)
        other = "j" if letter == "i" else "i"
        yield m.start(), tex[:m.start()] + f"\\sum_{{{other}}}" + tex[m.end():]


def _sum_start(tex):
    for m in re.finditer(r"(\\sum_\s*\{\s*\w+\s*=\s*)([01])(\s*\})", tex):
        new = "1" if m.group(2) == "0" else "0"
        yield m.start(), tex[:m.start()] + m.group(1) + new + m.group(3) + tex[m.end():]


EDITS = {
    "drop-transpose": _drop_transpose, "inner-to-outer": _inner_to_outer, "swap-index": _swap_index,
    "drop-square": _drop_square, "sum-variable": _sum_variable, "sum-start": _sum_start, "drop-power": _drop_power,
}


def mutants(latex: str, kinds: list[str] | None = None) -> list[Mutant]:
    """Every one-edit variant of `latex` of the given kinds (all of KINDS by default), in source order per kind."""
    out = []
    for kind in kinds or list(KINDS):
        if kind not in EDITS:
            raise KeyError(f"no mutation kind '{kind}' (known: {', '.join(KINDS)})")
        seen = set()
        for offset, new in EDITS[kind](latex):
            if new != latex and new not in seen:
                seen.add(new)
                out.append(Mutant(kind, new, offset, KINDS[kind]))
    return out
