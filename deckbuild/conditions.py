"""Prose that makes a formula a condition: "当 $x > 0$ 时", "$\\hat\\theta = \\theta$ 时", "if $a = b$".

A lecturer writes the hypothesis of a statement in the sentence around it, not in
markup. Read as a claim, "$\\hat{\\theta} = \\theta$ 时完全等价最大似然" would be "not checked",
and "if $q(z) = p(z|x)$" (the case where a bound is tight) would fail on every
model where the two differ. The words just before or just after a formula say it is
assumed; such a formula is shown as assumed, never as checked.

Only the words next to the formula count, in Chinese or English whatever the deck's
language (lecturers mix them); "then", "所以" and the like make no condition. "Let",
"令" and "设" are not conditions either: what they introduce is a definition, read as
one by the evaluator ("Let $X = [x_0, …] \\in \\mathbb{R}^{n \\times d}$" defines X, and
its shape is checked).

Formulas joined by a conjunction alone ("若 $a > 0$ 且 $b = c$", "$x = y$ 和 $z = w$ 时",
"if $a = b$ and $c = d$") are one condition: the word next to one of them speaks for
all. A comma does not join: "若 $a > 0$, $b = c$" states b = c when a > 0.
"""
from __future__ import annotations

import re

# the sentence's words just before the formula, then optional punctuation ("若:", "assume that")
_BEFORE = re.compile(
    r"(?:(?<![相适应正恰妥])当|若|如果|假如|假设|假定|给定|对于|对任意|对所有"
    r"|(?<![A-Za-z])(?:if|when|whenever|assume|assuming|suppose|supposing|given|provided|"
    r"for all|for every|for any)(?:\s+that)?)"
    r"\s*[:：,，]?\s*$", re.IGNORECASE)
# and just after it: "… 时", "… 的时候", "… 的情况下", "… 条件下", "… 条件很容易满足" (not 条件概率, a quantity)
_AFTER = re.compile(r"^\s*(?:时|的时候|的情况下|(?:的)?条件(?!概率|分布|期望|密度|熵|独立))")
# Markdown emphasis and inline HTML at a text's edge do not separate a word from its formula
_EDGE_MARKUP = r"(?:\s|\*|_|</?[a-zA-Z][^<>]*>)*"
_TRAILING = re.compile(_EDGE_MARKUP + r"$")
_LEADING = re.compile(r"^" + _EDGE_MARKUP)


def condition_cue(before: str, after: str) -> str | None:
    """The words that make the formula between `before` and `after` a condition ("当", "时", "if"), or None."""
    head = _TRAILING.sub("", before)
    found = _BEFORE.search(head)
    if found:
        return found.group(0).strip(" :：,，")
    tail = _LEADING.sub("", after)
    found = _AFTER.match(tail)
    return found.group(0).strip() if found else None


# all the words between two formulas that make them one condition with the cue next to either
_JOINED = re.compile(r"^\s*(?:且|并且|而且|和|与|及|以及|或|或者|、|(?<![A-Za-z])(?:and|or)(?![A-Za-z]))\s*$",
                     re.IGNORECASE)


def joined(between: str) -> bool:
    """Do only the words `between` two formulas stand between them ("且", "and"), so that they are one condition?"""
    return bool(_JOINED.match(_LEADING.sub("", _TRAILING.sub("", between))))


def shared_cues(cues: list[str | None], between: list[str]) -> list[str | None]:
    """Each formula's cue, given the formulas of one sentence in order (`between[i]` is the text between
    formula i and i + 1): formulas joined by a conjunction alone share the cue any of them has."""
    out, start = list(cues), 0
    for i in range(len(cues)):
        if i == len(cues) - 1 or not joined(between[i]):
            cue = next((c for c in cues[start:i + 1] if c), None)
            out[start:i + 1] = [c or cue for c in cues[start:i + 1]]
            start = i + 1
    return out
