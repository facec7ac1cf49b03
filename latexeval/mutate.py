r"""Wrong variants and meaning-preserving rewrites of a formula, made on its LaTeX tokens.

A verifier is only as good as the wrong formulas it rejects and the right ones it
accepts. This module writes both kinds for any formula, the way a lecturer's slip
or a lecturer's rewrite would look, so the verifier can be measured on every
relation of a deck rather than on a hand-picked list:

wrong (should fail)                         rewrites (should still hold)
    sign flips (+ ↔ −)                          log(a/b) → log a − log b
    ≤ ↔ ≥, < ↔ >, = for ≤ / ≥                   another summation index (i → j)
    θ ↔ θ̂ ↔ θ^{t−1}, φ ↔ θ                      ½ ↔ 0.5
    p(a|b) ↔ p(b|a), p ↔ q, KL(p‖q) ↔ KL(q‖p)   \left( … \right) for ( … ), thin spaces
    a dropped term, log, square, power          𝔼_q[f] written as ∫ q f dz
      or transpose
    ⟨a, b⟩ written as the outer product a bᵀ
    index swaps (x_i ↔ x_j, R_{j−i} → R_{i−j},
      R_m → R_{−m}), a sum over another index
    index and bound shifts, coefficient changes
    sin ↔ cos, max(a, b) ↔ min(a, b)

One vocabulary for every deck: the probabilistic decks' slips and those of vectors and
matrices (tests/test_linalg_mutants.py) come from the same `variants`.

Edits work on a token stream with brace and bracket matching (never on raw
characters), so an edit replaces whole symbols and whole groups; a variant that
KaTeX would reject is still produced (the caller skips what KaTeX rejects).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"\\[A-Za-z]+\*?|\\.|\s+|[0-9]|.", re.S)
_OPEN = {"{": "}", "(": ")", "[": "]"}
_TEXTUAL = {"\\text", "\\mathrm", "\\operatorname", "\\textbf", "\\textit", "\\mathbb", "\\mathcal", "\\textcolor",
            "\\color", "\\begin", "\\end", "\\hspace", "\\mathop"}
# A relation and its wrong replacements: the reversed bound, and "=" where only a bound holds
# (weakening "=" to a bound is still true, so it is no wrong variant).
_RELATIONS = {"=": (), "\\le": ("\\ge", "="), "\\leq": ("\\geq", "="), "\\ge": ("\\le", "="),
              "\\geq": ("\\leq", "="), "<": (">", "="), ">": ("<", "=")}
_LETTERS = "ijkmn"


@dataclass(frozen=True)
class Variant:
    kind: str  # "wrong" or "rewrite"
    operator: str  # e.g. "sign flip", "θ → θ̂"
    latex: str
    offset: int  # where in the formula the edit is (for file:line:col)


def tokens(latex: str) -> list[str]:
    return _TOKEN.findall(latex)


def _offsets(toks: list[str]) -> list[int]:
    out, pos = [], 0
    for t in toks:
        out.append(pos)
        pos += len(t)
    return out


def _match(toks: list[str], k: int) -> int | None:
    """Index of the token closing the group opened at k ({, (, [ or \\left)."""
    opening = toks[k]
    if opening == "\\left":
        depth = 0
        for j in range(k, len(toks)):
            if toks[j] == "\\left":
                depth += 1
            elif toks[j] == "\\right":
                depth -= 1
                if depth == 0:
                    return j
        return None
    closing = _OPEN.get(opening)
    if closing is None:
        return None
    depth = 0
    for j in range(k, len(toks)):
        if toks[j] == opening and (j == 0 or toks[j - 1] != "\\left" and toks[j - 1] != "\\right"):
            depth += 1
        elif toks[j] == closing and (toks[j - 1] != "\\right"):
            depth -= 1
            if depth == 0:
                return j
    return None


def _next(toks: list[str], k: int) -> int:
    """The next non-space token at or after k."""
    while k < len(toks) and toks[k].isspace():
        k += 1
    return k


def _textual(toks: list[str]) -> set[int]:
    """Indices inside the argument of \\text{…}, \\mathrm{…} and the like: words, not symbols."""
    inside: set[int] = set()
    for k, t in enumerate(toks):
        if t in _TEXTUAL:
            j = _next(toks, k + 1)
            if j < len(toks) and toks[j] == "{":
                end = _match(toks, j)
                if end is not None:
                    inside.update(range(j, end + 1))
    return inside


def _evaluated_at(toks: list[str]) -> list[tuple[int, int, set[str]]]:
    r"""(start, end, names) of each \left. body \right|_{a = b}: in the body, a and b name one value."""
    out = []
    for k, t in enumerate(toks):
        if t == "\\left" and _next(toks, k + 1) < len(toks) and toks[_next(toks, k + 1)] == ".":
            close = _match(toks, k)
            if close is None or close + 1 >= len(toks) or toks[close + 1] not in ("|", "\\vert"):
                continue
            sub = _next(toks, close + 2)
            group = _next(toks, sub + 1) if sub < len(toks) and toks[sub] == "_" else len(toks)
            end = _match(toks, group) if group < len(toks) and toks[group] == "{" else None
            if end is None:
                continue
            binding = "".join(toks[group + 1:end]).replace(" ", "").split("=")
            if len(binding) == 2:
                out.append((k, close, set(binding)))
    return out


def _statement_numbers(toks: list[str]) -> list[int]:
    """For each token, which top-level statement it is in: the count of commas before it outside every group."""
    out, number = [], 0
    depths = _depths(toks)
    for k, t in enumerate(toks):
        out.append(number)
        if t == "," and depths[k] == 0:
            number += 1
    return out


def _depths(toks: list[str]) -> list[int]:
    """Brace and bracket depth before each token (0: the formula's top level)."""
    out, depth = [], 0
    for k, t in enumerate(toks):
        prev = toks[k - 1] if k else ""
        if t in ("}", ")", "]") and prev not in ("\\right", "\\left"):
            depth -= 1
        if t == "\\right":
            depth -= 1
        out.append(depth)
        if t in ("{", "(", "[") and prev not in ("\\right", "\\left"):
            depth += 1
        if t == "\\left":
            depth += 1
    return out


def _in_script(toks: list[str], k: int) -> bool:
    """Is token k in a sub- or superscript (_{…}, ^{…} or a single scripted token)?"""
    depth, j = 0, k - 1
    while j >= 0:
        t = toks[j]
        if t == "}":
            depth += 1
        elif t == "{":
            if depth == 0:
                return j > 0 and toks[j - 1] in ("_", "^")
            depth -= 1
        j -= 1
    return k > 0 and toks[k - 1] in ("_", "^")


class _Edits:
    def __init__(self, latex: str, base: int, fixed: frozenset[int] = frozenset()):
        self.latex, self.base, self.fixed = latex, base, fixed
        self.toks = tokens(latex)
        self.statement = _statement_numbers(self.toks)
        self.at = _offsets(self.toks)
        self.text = _textual(self.toks)
        self.evaluated_at = _evaluated_at(self.toks)
        self.out: list[Variant] = []

    def add(self, kind: str, operator: str, start: int, end: int, replacement: str) -> None:
        """Replace tokens [start, end) by `replacement` (a wrong edit inside a fixed statement is not made)."""
        if kind == "wrong" and self.fixed and self.statement[min(start, len(self.toks) - 1)] in self.fixed:
            return
        new = "".join(self.toks[:start]) + replacement + "".join(self.toks[end:])
        if new != self.latex:
            self.out.append(Variant(kind, operator, new, self.base + self.at[min(start, len(self.at) - 1)]))

    def group_end(self, k: int) -> int | None:
        return _match(self.toks, k)

    def made_equal(self, k: int, a: str, b: str) -> bool:
        r"""Is token k inside \left. … \right|_{a = b}, where writing a for b (or b for a) changes nothing?"""
        return any(lo <= k < hi and {a, b} <= names for lo, hi, names in self.evaluated_at)


def variants(latex: str, *, base: int = 0, fixed: set[int] | frozenset[int] = frozenset()) -> list[Variant]:
    """Every wrong variant and rewrite of `latex` (offsets shifted by `base`), in a fixed order.

    `fixed`: statements (by position among the formula's top-level commas) that state no claim — a
    definition, a free variable's domain (latexeval.fixed_statements) — get no wrong variant: an edit there
    writes another definition, or a narrower domain of a claim that still holds."""
    e = _Edits(latex, base, frozenset(fixed))
    toks = e.toks
    depths = _depths(toks)
    for k, t in enumerate(toks):
        if k in e.text:
            continue
        _symbol_edits(e, k, t, depths)
    _rewrites(e)
    seen, out = set(), []
    for v in e.out:
        if (v.kind, v.latex) not in seen:
            seen.add((v.kind, v.latex))
            out.append(v)
    return out


def _symbol_edits(e: _Edits, k: int, t: str, depths: list[int]) -> None:
    toks = e.toks
    nxt = _next(toks, k + 1)
    after = toks[nxt] if nxt < len(toks) else ""
    if t in ("+", "-"):
        if t == "-" and _subtracted_constant_on_larger_side(toks, k, depths):
            pass  # t - 1 - log t ≥ 0 → t + 1 - log t ≥ 0 or t - log t ≥ 0: the larger side grows, still true
        elif _symmetric_noise_term(e, k, depths):  # μ + σ ⊙ ε ↔ μ - σ ⊙ ε under ε ~ N(0, I): the same expectation
            e.add("rewrite", "ε → −ε (a zero-mean normal is symmetric)", k, k + 1, "-" if t == "+" else "+")
        else:
            e.add("wrong", "sign flip", k, k + 1, "-" if t == "+" else "+")
        if not _in_script(toks, k) and not (t == "-" and _subtracted_constant_on_larger_side(toks, k, depths)):
            end = _term_end(toks, k + 1, depths)
            if end > nxt:
                e.add("wrong", "dropped term", k, end, "")
    elif t in _RELATIONS and depths[k] == 0 and not _in_script(toks, k):
        for other in _RELATIONS[t]:
            e.add("wrong", f"{t} → {other}", k, k + 1, other + (" " if other[0] == "\\" else ""))
    elif t == "\\theta":
        prev = _prev_token(toks, k)
        if prev == "{" and k >= 2 and _prev_token(toks, _prev_index(toks, k)) in ("\\hat", "\\tilde", "\\bar"):
            hat = _prev_index(toks, _prev_index(toks, k))
            close = e.group_end(_prev_index(toks, k))
            if close is not None and not e.made_equal(k, toks[hat] + "{\\theta}", "\\theta"):
                e.add("wrong", "θ̂ → θ", hat, close + 1, "\\theta")  # θ̂ and θ^{t-1} are one draw: no swap
        elif after == "^":
            sup = _next(toks, nxt + 1)
            end = (e.group_end(sup) if sup < len(toks) and toks[sup] == "{" else sup)
            if end is not None and end < len(toks):
                e.add("wrong", "θ^{…} → θ", k, end + 1, "\\theta")
        else:
            if not e.made_equal(k, "\\hat{\\theta}", "\\theta"):
                e.add("wrong", "θ → θ̂", k, k + 1, "\\hat{\\theta}")
            e.add("wrong", "θ → θ^{t-1}", k, k + 1, "\\theta^{t-1}")
            e.add("wrong", "θ → φ", k, k + 1, "\\phi")
    elif t == "\\phi":
        e.add("wrong", "φ → θ", k, k + 1, "\\theta")
    elif t in ("p", "q") and after == "(":
        e.add("wrong", f"{t} → {'q' if t == 'p' else 'p'}", k, k + 1, "q" if t == "p" else "p")
        _swap_arguments(e, nxt, "|", f"{t}(a|b) → {t}(b|a)")
    elif t == "\\text" and after == "{" and "".join(toks[nxt + 1:nxt + 3]) == "KL":
        close = e.group_end(nxt)
        paren = _next(toks, close + 1) if close is not None else len(toks)
        if paren < len(toks) and toks[paren] == "(":
            _swap_arguments(e, paren, "\\|", "KL(p‖q) → KL(q‖p)")
    elif t == "\\log":
        if not _weakens(toks, k, _operand_end(toks, nxt), depths):
            e.add("wrong", "dropped log", k, nxt, "")
    elif t in ("\\sin", "\\cos") or t in ("\\max", "\\min") and after == "(":
        other = {"\\sin": "\\cos", "\\cos": "\\sin", "\\max": "\\min", "\\min": "\\max"}[t]
        e.add("wrong", f"{t[1:]} → {other[1:]}", k, k + 1, other)
    elif t == "^":
        _script_edits(e, k, nxt, after)
    elif t == "_" and after == "{":
        close = e.group_end(nxt)
        inner = toks[nxt + 1:close] if close else []
        if "=" in inner:
            j = nxt + 1 + inner.index("=")
            v = _next(toks, j + 1)
            if v < close and toks[v].isdigit():
                e.add("wrong", "lower bound shift", v, v + 1, str(int(toks[v]) + 1))
                if int(toks[v]) > 0:
                    e.add("wrong", "lower bound shift", v, v + 1, str(int(toks[v]) - 1))
        _index_swap(e, nxt, close)
    elif t == "_":
        _index_swap(e, nxt, nxt)
    elif t == "\\langle":
        _inner_to_outer(e, k)
    elif t.isdigit() and not _in_script(toks, k):
        number = _number_span(toks, k)
        if not _weakens(toks, _log_before(toks, number[0]), number[1], depths):
            e.add("wrong", "coefficient change", k, k + 1, str(int(t) + 1))
    elif t in _LETTERS and _in_script(toks, k) and _prev_token(toks, k) in ("_", "{"):
        pass  # indices: renamed as a whole by the rewrite, shifted by the bound shift


_NOISE = ("\\epsilon", "\\varepsilon")
_ZERO_MEAN = re.compile(r"\\(?:var)?epsilon\}?\s*\\sim\s*\\mathcal\{N\}\s*\(\s*(?:\\bm\{0\}|\\mathbf\{0\}|0)\s*,")


def _symmetric_noise_term(e: _Edits, k: int, depths: list[int]) -> bool:
    r"""Is the term after the sign at k a product with the noise ε, in a formula that takes ε ~ N(0, …)?
    Then flipping the sign changes no expectation over ε: a rewrite, not a wrong variant."""
    if not _ZERO_MEAN.search(e.latex):
        return False
    end = _term_end(e.toks, k + 1, depths)
    term = e.toks[k + 1:end]
    return any(t in _NOISE for t in term) and not any(t in ("^", "+", "-") for t in term)


# A bound's two sides: the larger is the one after <= / < (before >= / >).
_SIDES = {**{r: "lesser-left" for r in ("\\le", "\\leq", "<", "\\lt", "\\leqslant")},
          **{r: "greater-left" for r in ("\\ge", "\\geq", ">", "\\gt", "\\geqslant")},
          **{r: "other" for r in ("=", "\\Leftrightarrow", "\\iff", "\\Longleftrightarrow", "\\approx")}}


def _larger_side(toks: list[str], start: int, end: int, depths: list[int]) -> tuple[bool, int | None, int | None]:
    """Are tokens [start, end) at the top level of the larger side of every bound next to them? With the
    relations before and after them (a top-level comma ends a statement: ", t > 0" is another one)."""
    if start is None or depths[start] != 0 or _in_script(toks, start):
        return False, None, None
    stop = min((j for j in range(end, len(toks)) if toks[j] == "," and depths[j] == 0), default=len(toks))
    begin = max((j for j in range(0, start) if toks[j] == "," and depths[j] == 0), default=-1)
    rels = [j for j, t in enumerate(toks) if t in _SIDES and depths[j] == 0 and not _in_script(toks, j)
            and begin < j < stop]
    before = max((j for j in rels if j < start), default=None)
    after = min((j for j in rels if j >= end), default=None)
    larger = (before is not None or after is not None) \
        and (before is None or _SIDES[toks[before]] == "lesser-left") \
        and (after is None or _SIDES[toks[after]] == "greater-left")
    return larger, before, after


def _subtracted_constant_on_larger_side(toks: list[str], k: int, depths: list[int]) -> bool:
    """Is token k a top-level minus before a plain number on the larger side of a bound (t - 1 - log t ≥ 0)?
    Flipping or dropping it makes that side larger: a weaker formula, still true, no wrong variant."""
    end = _term_end(toks, k + 1, depths)
    term = [t for t in toks[k + 1:end] if not t.isspace()]
    if not term or not all(t.isdigit() or t == "." for t in term):
        return False
    return _larger_side(toks, k, end, depths)[0]


def _weakens(toks: list[str], start: int, end: int, depths: list[int]) -> bool:
    r"""Would making tokens [start, end) larger only weaken the formula, so the edit is no wrong variant?

    True when they are a whole term, added (not subtracted, not multiplied) at the top level of the larger
    side of every bound next to it: \le \log 2 → \le \log 3, and \le \sum_i \log p → \le \sum_i p
    (log t < t), still hold. Like "=" weakened to "≤", a true formula is not counted as a wrong one.
    """
    larger, before, after = _larger_side(toks, start, end, depths)
    if not larger:
        return False
    j = _prev_index(toks, start)
    while j is not None and j > (before if before is not None else -1):  # only \sum_{…}^{…} or & before it
        t = toks[j]
        if t == "}":
            j = _group_start(toks, j)
        elif t not in ("_", "^", "\\sum", "&") and not (toks[j - 1] in ("_", "^") if j else False):
            break
        j = _prev_index(toks, j) if j is not None and j > 0 else None
    lead = toks[j] if j is not None and j > (before if before is not None else -1) else None
    if lead not in (None, "+"):
        return False
    tail = _next(toks, end)
    return tail >= len(toks) or toks[tail] in ("+", "-", "\\\\", ",") or tail == after


def _group_start(toks: list[str], close: int) -> int | None:
    """Index of the { that the } at `close` closes."""
    depth = 0
    for j in range(close, -1, -1):
        depth += {"}": 1, "{": -1}.get(toks[j], 0)
        if depth == 0:
            return j
    return None


def _operand_end(toks: list[str], k: int) -> int:
    r"""End of the factor starting at k that \log takes: a letter with its scripts and call, a group, a fraction."""
    j = k
    if j < len(toks) and toks[j] in ("\\frac", "\\dfrac", "\\tfrac"):
        for _ in range(2):
            g = _next(toks, j + 1)
            if g >= len(toks) or toks[g] != "{":
                return g
            j = _match(toks, g) or g
        return j + 1
    j += 1
    if toks[k].startswith("\\") and _next(toks, j) < len(toks) and toks[_next(toks, j)] == "{":
        j = (_match(toks, _next(toks, j)) or j) + 1  # \mathbb{E}, \text{KL}: the command's own argument
    while True:
        g = _next(toks, j)
        if g < len(toks) and toks[g] in ("_", "^"):
            arg = _next(toks, g + 1)
            j = (_match(toks, arg) if arg < len(toks) and toks[arg] == "{" else arg) + 1
        elif g < len(toks) and toks[g] == "[" and "".join(toks[k:k + 4]) == "\\mathbb{E}":
            close = _match(toks, g)
            if close is None:
                return g
            j = close + 1
        elif g < len(toks) and toks[g] in ("(", "\\left"):
            close = _match(toks, g)
            if close is None:
                return g
            j = close + (2 if toks[g] == "\\left" else 1)
        else:
            return j


def _number_span(toks: list[str], k: int) -> tuple[int, int]:
    """The digits and decimal point around token k: the whole number."""
    lo, hi = k, k + 1
    while lo > 0 and (toks[lo - 1].isdigit() or toks[lo - 1] == "."):
        lo -= 1
    while hi < len(toks) and (toks[hi].isdigit() or toks[hi] == "."):
        hi += 1
    return lo, hi


def _log_before(toks: list[str], k: int) -> int:
    r"""k, or the \log whose argument the number at k is (log is increasing: log 2 → log 3 grows too)."""
    j = _prev_index(toks, k)
    return j if j is not None and toks[j] == "\\log" else k


def _script_edits(e: _Edits, k: int, nxt: int, after: str) -> None:
    toks = e.toks
    if after == "2":
        e.add("wrong", "dropped square", k, nxt + 1, "")
    elif after in ("T", "\\top", "\\intercal"):
        e.add("wrong", "dropped transpose", k, nxt + 1, "")
    elif after == "{":
        close = e.group_end(nxt)
        inner = "".join(toks[nxt + 1:close]).strip() if close else ""
        if inner == "2":
            e.add("wrong", "dropped square", k, close + 1, "")
        elif inner in ("T", "\\top", "\\intercal"):
            e.add("wrong", "dropped transpose", k, close + 1, "")
        elif close is not None and inner not in _MARKS and not _scripts_a_bound(toks, k):
            e.add("wrong", "dropped power", k, close + 1, "")
    elif after == "N":
        base = _prev_index(toks, k)
        if base is not None and toks[base] == "}" or _prev_token(toks, k) in ("\\sum", "\\prod"):
            e.add("wrong", "upper bound shift", nxt, nxt + 1, "{N-1}")
    elif after.isalnum() and not _scripts_a_bound(toks, k):
        e.add("wrong", "dropped power", k, nxt + 1, "")


_MARKS = {"*", "\\ast", "\\star", "\\prime", "'"}
_BOUNDED = {"\\sum", "\\prod", "\\int", "\\max", "\\min", "\\bigcup", "\\bigcap"}


def _scripts_a_bound(toks: list[str], k: int) -> bool:
    r"""Is the script at k the bound of \sum_{…}^{…} (edited by the bound shifts, not dropped)?"""
    j = _prev_index(toks, k)
    if j is not None and toks[j] == "}":
        j = _group_start(toks, j)
        j = _prev_index(toks, j) if j is not None else None  # the _ before the group
        j = _prev_index(toks, j) if j is not None and toks[j] == "_" else j
    elif j is not None and j >= 2 and toks[j - 1] == "_":
        j = _prev_index(toks, j - 1)
    return j is not None and toks[j] in _BOUNDED


def _index_swap(e: _Edits, start: int, end: int) -> None:
    r"""A wrong index in the subscript toks[start..end] (one token or a {…} group): i and j exchanged there
    (R_{j-i} → R_{i-j}, x_i → x_j), or a relative position m negated (R_{m, θ} → R_{-m, θ}).

    A swap that renames every i (or j) of the formula is a rename, which means the same: not made."""
    toks = e.toks
    if end is None or start >= len(toks):
        return
    inside = [j for j in range(start, end + 1) if toks[j] in ("i", "j") and j not in e.text]
    if inside:
        elsewhere = {toks[j] for j in range(len(toks)) if toks[j] in ("i", "j") and not start <= j <= end}
        if not elsewhere:
            return
        swapped = [("j" if toks[j] == "i" else "i") if j in inside else toks[j] for j in range(start, end + 1)]
        e.add("wrong", "index swap", start, end + 1, "".join(swapped))
        return
    for j in range(start, end + 1):
        if toks[j] == "m" and j not in e.text:
            e.add("wrong", "index negated", j, j + 1, "(-m)")
            return


def _inner_to_outer(e: _Edits, k: int) -> None:
    r"""\langle a, b \rangle → (a) (b)^T: the outer product where the inner product belongs."""
    toks = e.toks
    depth, comma = 0, None
    for j in range(k + 1, len(toks)):
        t = toks[j]
        if t == "\\rangle" and depth == 0:
            if comma is not None:
                left, right = "".join(toks[k + 1:comma]).strip(), "".join(toks[comma + 1:j]).strip()
                e.add("wrong", "inner → outer product", k, j + 1, f"({left}) ({right})^T")
            return
        if t in ("{", "(", "[", "\\langle") and (j == 0 or toks[j - 1] not in ("\\left", "\\right")):
            depth += 1
        elif t in ("}", ")", "]", "\\rangle") and toks[j - 1] not in ("\\left", "\\right"):
            depth -= 1
        elif t == "," and depth == 0 and comma is None:
            comma = j


def _prev_index(toks: list[str], k: int) -> int | None:
    j = k - 1
    while j >= 0 and toks[j].isspace():
        j -= 1
    return j if j >= 0 else None


def _prev_token(toks: list[str], k: int) -> str:
    j = _prev_index(toks, k)
    return toks[j] if j is not None else ""


def _term_end(toks: list[str], k: int, depths: list[int]) -> int:
    """End of the operand that starts at k: up to the next +, −, relation, & or closing at its depth."""
    depth = depths[k - 1] if k else 0
    j = k
    while j < len(toks):
        if depths[j] < depth or toks[j] in ("\\right", "\\\\", "&") and depths[j] <= depth:
            break
        if depths[j] == depth and (toks[j] in ("+", "-") or toks[j] in _RELATIONS or toks[j] in (",", ";")) \
                and j > k:
            break
        j += 1
    return j


def _swap_arguments(e: _Edits, paren: int, sep: str, operator: str) -> None:
    """f(a SEP b; c) → f(b SEP a; c), with SEP at the call's own depth."""
    toks = e.toks
    close = e.group_end(paren)
    if close is None:
        return
    depth, parts, start, tail = 0, [], paren + 1, close
    for j in range(paren + 1, close):
        t = toks[j]
        if t in ("{", "(", "[", "\\left"):
            depth += 1
        elif t in ("}", ")", "]", "\\right"):
            depth -= 1
        elif depth == 0 and t == sep and len(parts) == 0:
            parts.append((start, j))
            start = j + 1
        elif depth == 0 and t == ";" and len(parts) == 1:
            tail = j
            break
    if len(parts) != 1:
        return
    a = "".join(toks[parts[0][0]:parts[0][1]]).strip()
    b = "".join(toks[start:tail]).strip()
    if a and b and a != b:
        e.add("wrong", operator, paren + 1, tail, f"{b} {sep} {a}" if tail == close else f"{b} {sep} {a}")


# --------------------------------------------------------------------------- #
# rewrites


def _rewrites(e: _Edits) -> None:
    toks = e.toks
    for k, t in enumerate(toks):
        if k in e.text:
            continue
        if t == "\\log":
            frac = _next(toks, k + 1)
            if frac < len(toks) and toks[frac] in ("\\frac", "\\dfrac"):
                num = _next(toks, frac + 1)
                num_end = e.group_end(num) if num < len(toks) and toks[num] == "{" else None
                den = _next(toks, num_end + 1) if num_end is not None else len(toks)
                den_end = e.group_end(den) if den < len(toks) and toks[den] == "{" else None
                if den_end is not None:
                    a, b = "".join(toks[num + 1:num_end]), "".join(toks[den + 1:den_end])
                    e.add("rewrite", "log(a/b) → log a − log b", k, den_end + 1,
                          f"\\left(\\log {_log_argument(a)} - \\log {_log_argument(b)}\\right)")
        elif t == "\\frac" and "".join(toks[k + 1:k + 7]).replace(" ", "") == "{1}{2}":
            end = k + 1
            closes = 0
            while end < len(toks) and closes < 2:
                closes += toks[end] == "}"
                end += 1
            e.add("rewrite", "½ → 0.5", k, end, "0.5 ")
        elif t == "(" and _prev_token(toks, k) not in ("\\left", "\\right", "\\big", "\\Big", "\\bigg", "\\Bigg"):
            close = e.group_end(k)
            if close is not None and "\\\\" not in toks[k:close] and "&" not in toks[k:close]:
                inner = "".join(toks[k + 1:close])
                e.add("rewrite", "( … ) → \\left( … \\right)", k, close + 1, f"\\left({inner}\\right)")
        elif t in _RELATIONS and not _in_script(toks, k):
            e.add("rewrite", "thin space", k, k + 1, f"{t} \\, ")
        elif t == "\\mathbb" and "".join(toks[k + 1:k + 4]) == "{E}":
            _expectation_as_integral(e, k)
    _rename_index(e)


def _log_argument(latex: str) -> str:
    r"""A log's argument as the slide shows it: braces are invisible, so a product a b is written \left(a b\right)
    (\log a b reads as (\log a) b)."""
    return f"\\left({latex.strip()}\\right)"


def _rename_index(e: _Edits) -> None:
    """Every i that is an index (in x_i, \\sum_{i=1}) → j, when the formula has no j."""
    toks = e.toks
    for old, new in (("i", "j"), ("k", "l")):
        if new in toks or old not in toks:
            continue
        idx = [k for k, t in enumerate(toks) if t == old and k not in e.text]
        if not idx or not any(_in_script(toks, k) for k in idx):
            continue
        renamed = [new if k in idx else t for k, t in enumerate(toks)]
        new_latex = "".join(renamed)
        if new_latex != e.latex:
            e.out.append(Variant("rewrite", f"index {old} → {new}", new_latex, e.base + e.at[idx[0]]))


def _expectation_as_integral(e: _Edits, k: int) -> None:
    r"""\mathbb{E}_{q}[f] → \int_{\bm{z}} q(\bm{z}|\bm{x}_i; \phi) f \mathrm{d}\bm{z} (the deck's q)."""
    toks = e.toks
    j = _next(toks, k + 4)
    if j >= len(toks) or toks[j] != "_":
        return
    sub = _next(toks, j + 1)
    sub_end = e.group_end(sub) if sub < len(toks) and toks[sub] == "{" else sub
    if sub_end is None or "".join(toks[sub:sub_end + 1]).replace(" ", "") not in ("{q}", "q"):
        return
    b = _next(toks, sub_end + 1)
    sized = b < len(toks) and toks[b] == "\\left"
    opening = _next(toks, b + 1) if sized else b
    if opening >= len(toks) or toks[opening] != "[":
        return
    close = e.group_end(b) if sized else e.group_end(opening)
    if close is None:
        return
    end = close + 2 if sized else close + 1  # \right ]
    body = "".join(toks[opening + 1:close])
    e.add("rewrite", "𝔼_q[f] → ∫ q f dz", k, end,
          f"\\int_{{\\bm{{z}}}} q(\\bm{{z}}|\\bm{{x}}_i; \\phi) \\left({body}\\right) \\mathrm{{d}} \\bm{{z}}")
