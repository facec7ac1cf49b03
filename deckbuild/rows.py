r"""Split a slide's display formula into derivation steps, and fingerprint each step.

The build imports this module on every page, so it is stdlib-only and works on a
flat token stream instead of a real TeX parser: the slide grammar it has to
understand is small (an ``align*``-like environment, ``\\`` row separators, one
``&`` alignment point, brace groups and nested environments such as ``pmatrix``).

A fingerprint identifies what a row *says*, not how it is typeset: colour,
spacing, delimiter sizing and ``\underbrace`` labels are presentation, so
changing them must not mark a verified step as stale, while any change to the
mathematics (a sign, an argument order) must.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

__all__ = ["Row", "RowError", "split_rows", "fingerprint", "RELATIONS"]

#: The relation codes a step can carry.
RELATIONS = ("=", "<=>", "<=", ">=")

_SUPPORTED = {
    "=": "=",
    "\\Leftrightarrow": "<=>",
    "\\Longleftrightarrow": "<=>",
    "\\iff": "<=>",
    "\\le": "<=",
    "\\leq": "<=",
    "\\leqslant": "<=",
    "\\ge": ">=",
    "\\geq": ">=",
    "\\geqslant": ">=",
}
# Relations the slides may contain but no check can mean: a row whose first
# relation is one of these is an error, not a silent skip to a later "=".
_UNSUPPORTED = {
    "<", ">", ":=", "\\lt", "\\gt", "\\ne", "\\neq", "\\approx", "\\propto",
    "\\sim", "\\simeq", "\\equiv", "\\coloneqq", "\\eqqcolon", "\\triangleq",
    "\\doteq", "\\cong", "\\to", "\\rightarrow", "\\Rightarrow", "\\implies",
    "\\Leftarrow", "\\impliedby", "\\leftarrow", "\\leftrightarrow",
    "\\mapsto", "\\longrightarrow", "\\Longrightarrow", "\\in", "\\notin",
    "\\subset", "\\subseteq", "\\supset", "\\supseteq", "\\ll", "\\gg",
    "\\prec", "\\succ", "\\preceq", "\\succeq", "\\not", "\\lessapprox",
    "\\gtrapprox", "\\lesssim", "\\gtrsim",
}
# Environments whose rows are derivation steps.  Anything else (pmatrix, cases,
# multline...) is content of a row.
_ALIGN_ENVS = {
    "align", "align*", "aligned", "alignat", "alignat*", "alignedat",
    "split", "flalign", "flalign*", "eqnarray", "eqnarray*",
    "gather", "gather*", "gathered",
}
# Commands whose argument is a relation to be read through: \textcolor{red}{\Leftrightarrow}.
_REL_WRAPPERS = {"\\textcolor": 1, "\\colorbox": 1, "\\mathrel": 0, "\\boldsymbol": 0,
                 "\\bm": 0, "\\mathbf": 0, "\\overset": 1, "\\underset": 1, "\\stackrel": 1}
_OPEN = {"(", "[", "\\{", "\\langle", "\\lbrace", "\\lbrack", "\\lceil", "\\lfloor"}
_CLOSE = {")", "]", "\\}", "\\rangle", "\\rbrace", "\\rbrack", "\\rceil", "\\rfloor"}
_SIZED = {"\\left", "\\right", "\\middle"}
_SIZERS = {
    size + suffix
    for size in ("\\big", "\\Big", "\\bigg", "\\Bigg")
    for suffix in ("", "l", "r", "m")
} | {"\\displaystyle", "\\textstyle", "\\scriptstyle", "\\scriptscriptstyle",
     "\\tiny", "\\scriptsize", "\\footnotesize", "\\small", "\\normalsize",
     "\\large", "\\Large", "\\LARGE", "\\huge", "\\Huge"}
_SPACING = {"\\,", "\\:", "\\;", "\\!", "\\>", "\\ ", "\\quad", "\\qquad",
            "\\enspace", "\\thinspace", "\\medspace", "\\thickspace",
            "\\negthinspace", "\\negmedspace", "\\negthickspace", "\\nobreakspace"}
_SPACING_WITH_ARG = {"\\hspace", "\\hspace*", "\\phantom", "\\hphantom", "\\vphantom"}
_TEXT_CMDS = {"\\text", "\\textrm", "\\textbf", "\\textit", "\\textsf", "\\texttt",
              "\\textnormal", "\\mbox", "\\textup", "\\textmd"}
_SYNONYMS = {"\\leq": "\\le", "\\geq": "\\ge", "\\neq": "\\ne", "\\lbrace": "\\{",
             "\\rbrace": "\\}", "\\iff": "\\Longleftrightarrow"}


class RowError(ValueError):
    """A formula row that cannot be a derivation step; carries where it is."""

    def __init__(self, message: str, offset: int):
        super().__init__(message, offset)
        self.message = message
        self.offset = offset

    def __str__(self) -> str:
        return f"{self.message} (at offset {self.offset})"


@dataclass(frozen=True)
class Row:
    index: int
    relation: str
    latex: str
    offset: int
    fingerprint: str


@dataclass(frozen=True)
class _Tok:
    kind: str  # "cs" (control sequence), "char", "space"
    text: str
    start: int
    end: int


def _tokenize(src: str, base: int = 0) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c == "\\":
            j = i + 1
            if j < n and src[j].isascii() and src[j].isalpha():
                while j < n and src[j].isascii() and src[j].isalpha():
                    j += 1
                if j < n and src[j] == "*" and src[i:j] in ("\\hspace",):
                    j += 1
            else:
                j = min(i + 2, n)
            toks.append(_Tok("cs", src[i:j], base + i, base + j))
            i = j
        elif c == "%":
            while i < n and src[i] != "\n":
                i += 1
        elif c.isspace():
            j = i
            while j < n and src[j].isspace():
                j += 1
            toks.append(_Tok("space", " ", base + i, base + j))
            i = j
        else:
            toks.append(_Tok("char", c, base + i, base + i + 1))
            i += 1
    return toks


def _env_name(toks: list[_Tok], k: int) -> tuple[str, int] | None:
    """Name of the environment opened/closed at toks[k] (a \\begin or \\end) and the index after it."""
    j = k + 1
    while j < len(toks) and toks[j].kind == "space":
        j += 1
    if j >= len(toks) or toks[j].text != "{":
        return None
    name = []
    j += 1
    while j < len(toks) and toks[j].text != "}":
        name.append(toks[j].text)
        j += 1
    return "".join(name).strip(), j + 1


def _skip_group(toks: list[_Tok], k: int) -> int:
    """Index just after the brace group starting at toks[k] ('{')."""
    depth = 0
    for j in range(k, len(toks)):
        t = toks[j].text if toks[j].kind != "space" else ""
        if t == "{":
            depth += 1
        elif t == "}":
            depth -= 1
            if depth == 0:
                return j + 1
    return len(toks)


def _next_nonspace(toks: list[_Tok], k: int) -> int:
    while k < len(toks) and toks[k].kind == "space":
        k += 1
    return k


def _argument(toks: list[_Tok], k: int) -> tuple[int, int]:
    """(start, end) token span of the macro argument at toks[k]: a group or one token."""
    k = _next_nonspace(toks, k)
    if k < len(toks) and toks[k].text == "{":
        return k, _skip_group(toks, k)
    return k, min(k + 1, len(toks))


def _relation_at(toks: list[_Tok], k: int) -> str | None:
    """The relation spelled by toks[k] (':=' counts as one relation, reported at its ':')."""
    t = toks[k]
    nxt = toks[k + 1] if k + 1 < len(toks) else None
    prev = toks[k - 1] if k > 0 else None
    if t.text == ":" and nxt is not None and nxt.text == "=" and nxt.start == t.end:
        return ":="
    if t.text == "=" and prev is not None and prev.text == ":" and prev.end == t.start:
        return None
    if t.text in _SUPPORTED or t.text in _UNSUPPORTED:
        return t.text
    return None


def _wrapped_relation(toks: list[_Tok]) -> tuple[str, int] | None:
    """(relation, offset) if toks are exactly one relation, possibly wrapped: {\\textcolor{red}{\\le}}."""
    body = [t for t in toks if t.kind != "space"]
    while body and body[0].text == "{" and _skip_group(body, 0) == len(body):
        body = body[1:-1]
    if not body:
        return None
    if len(body) == 1 and _relation_at(body, 0):
        return body[0].text, body[0].start
    if body[0].text == "\\not":
        return "\\not", body[0].start
    if body[0].text in _REL_WRAPPERS:
        k = 1
        for _ in range(_REL_WRAPPERS[body[0].text]):
            k = _argument(body, k)[1]
        a, b = _argument(body, k)
        if b == len(body):
            return _wrapped_relation(body[a:b])
    return None


def _first_relation(toks: list[_Tok], track_delims: bool) -> tuple[str, int] | None:
    """First relation at the top level of toks: outside braces, nested environments and
    (when track_delims) bracket pairs, so "p(x = 1)" or "\\sum_{i=1}" never count."""
    k, env, delim = 0, 0, 0
    while k < len(toks):
        t = toks[k]
        if t.kind == "space":
            k += 1
        elif t.text in ("\\begin", "\\end"):
            env += 1 if t.text == "\\begin" else -1
            named = _env_name(toks, k)
            k = named[1] if named else k + 1
        elif env > 0:
            k += 1
        elif t.text in _REL_WRAPPERS or t.text == "{":
            # A wrapped relation counts where it stands; any other group is nested content.
            a = k + 1 if t.text != "{" else k
            for _ in range(_REL_WRAPPERS.get(t.text, 0)):
                a = _argument(toks, a)[1]
            a, b = _argument(toks, a) if t.text != "{" else (k, _skip_group(toks, k))
            rel = _wrapped_relation(toks[a:b])
            if rel is not None and (delim == 0 or not track_delims):
                return rel
            k = max(b, k + 1)
        elif t.text in _SIZED:
            delim += {"\\left": 1, "\\right": -1}.get(t.text, 0)
            k = _next_nonspace(toks, k + 1) + 1  # the delimiter belongs to \\left/\\right
        elif t.text in _OPEN:
            delim += 1
            k += 1
        elif t.text in _CLOSE:
            delim = max(0, delim - 1)
            k += 1
        else:
            rel = _relation_at(toks, k)
            if rel is not None and (delim == 0 or not track_delims):
                return rel, t.start
            k += 1
    return None


def _row_relation(toks: list[_Tok], row_start: int) -> str:
    amp = None
    depth = env = 0
    for k, t in enumerate(toks):
        if t.text == "{":
            depth += 1
        elif t.text == "}":
            depth -= 1
        elif t.text in ("\\begin", "\\end"):
            env += 1 if t.text == "\\begin" else -1
        elif t.text == "&" and depth == 0 and env == 0:
            amp = k
            break
    scope = toks[amp + 1:] if amp is not None else toks
    # Brackets left open across rows must not hide the relation: retry ignoring them.
    rel = _first_relation(scope, True) or _first_relation(scope, False)
    if rel is None and amp is not None:
        rel = _wrapped_relation(toks[:amp])  # "=& x": the relation stands before the '&'
    if rel is None:
        raise RowError("row has no relation (=, \\Leftrightarrow, \\le, \\ge)", row_start)
    text, offset = rel
    if text not in _SUPPORTED:
        raise RowError(f"unsupported relation {text!r}", offset)
    return _SUPPORTED[text]


def _strip_dollars(latex: str) -> tuple[int, int]:
    """Span of the math inside optional $$...$$ delimiters."""
    lo, hi = 0, len(latex)
    first = latex.find("$$")
    if first != -1:
        last = latex.rfind("$$")
        lo = first + 2
        hi = last if last > first else len(latex)
    return lo, hi


def _row_spans(latex: str) -> list[tuple[int, int]]:
    lo, hi = _strip_dollars(latex)
    toks = _tokenize(latex[lo:hi], lo)
    depth = 0
    outer = None
    for k, t in enumerate(toks):
        if t.text == "{":
            depth += 1
        elif t.text == "}":
            depth -= 1
        elif t.text == "\\begin" and depth == 0:
            named = _env_name(toks, k)
            if named and named[0] in _ALIGN_ENVS:
                outer = (named[0], named[1])
            break
    if outer is None:
        return [(lo, hi)]
    name, k = outer
    if name in ("alignat", "alignat*", "alignedat"):
        k = _argument(toks, k)[1]  # the column count
    body_start = toks[k].start if k < len(toks) else hi
    spans, row_start = [], body_start
    depth = env = 0
    while k < len(toks):
        t = toks[k]
        if t.text == "{":
            depth += 1
        elif t.text == "}":
            depth -= 1
        elif t.text == "\\begin":
            env += 1
        elif t.text == "\\end":
            if env == 0:
                spans.append((row_start, t.start))
                return spans
            env -= 1
        elif t.text in ("\\\\", "\\cr") and depth == 0 and env == 0:
            spans.append((row_start, t.start))
            k += 1
            j = _next_nonspace(toks, k)
            if j < len(toks) and toks[j].text == "*":
                k = j = j + 1
                j = _next_nonspace(toks, k)
            if j < len(toks) and toks[j].text == "[":
                while j < len(toks) and toks[j].text != "]":
                    j += 1
                k = j + 1
            row_start = toks[k].start if k < len(toks) else hi
            continue
        k += 1
    raise RowError(f"\\begin{{{name}}} is never closed", body_start)


def _is_blank(text: str) -> bool:
    return all(t.kind == "space" for t in _tokenize(text))


def split_rows(latex: str) -> list[Row]:
    """Rows of a display formula, each with the relation it asserts.

    Offsets index into ``latex`` as given, so the build can point at the row in
    the slide file when a check fails.
    """
    spans = _row_spans(latex)
    if len(spans) > 1 and _is_blank(latex[spans[-1][0]:spans[-1][1]]):
        spans = spans[:-1]  # trailing "\\" before \end{align*}
    rows = []
    for index, (a, b) in enumerate(spans, start=1):
        text = latex[a:b]
        stripped = text.strip()
        offset = a + (len(text) - len(text.lstrip()))
        # Comments may survive the strip; drop them from the raw text's edges only.
        if _is_blank(stripped):
            raise RowError("empty row", offset)
        toks = [t for t in _tokenize(stripped, offset)]
        relation = _row_relation(toks, offset)
        rows.append(Row(index, relation, stripped, offset, fingerprint(stripped)))
    return rows


# --------------------------------------------------------------------------- #
# fingerprint


def _normal_form(toks: list[_Tok], text_mode: bool = False) -> list[str]:
    """Presentation-free token texts of toks (recursive over brace groups)."""
    out: list[str] = []
    k, env = 0, 0
    n = len(toks)

    def emit_group(a: int, b: int, keep_braces: bool, text: bool = False) -> None:
        if toks[a].text == "{":  # a group left open by a broken formula runs to the end, and shrinks
            inner = toks[a + 1:b - 1] if b - a >= 2 and toks[b - 1].text == "}" else toks[a + 1:b]
        else:
            inner = toks[a:b]
        body = _normal_form(inner, text)
        if keep_braces or (toks[a].text != "{"):
            out.append("{")
            out.extend(body)
            out.append("}")
        else:
            out.extend(body)

    while k < n:
        t = toks[k]
        txt = _SYNONYMS.get(t.text, t.text)
        if t.kind == "space":
            if text_mode and out and out[-1] != " ":
                out.append(" ")
            k += 1
            continue
        if txt == "\\begin":
            env += 1
        elif txt == "\\end":
            env -= 1
        if txt in _SPACING or (txt == "~" and not text_mode):
            k += 1
            continue
        if txt in _SPACING_WITH_ARG:
            k = _argument(toks, k + 1)[1]
            continue
        if txt in _SIZED:
            k = _next_nonspace(toks, k + 1)
            if k < n and toks[k].text == ".":
                k += 1
            continue
        if txt in _SIZERS:
            k += 1
            continue
        if txt == "&" and env == 0:
            k += 1
            continue
        if txt == "\\color":
            k = _argument(toks, k + 1)[1]
            continue
        if txt in ("\\textcolor", "\\colorbox"):
            k = _argument(toks, k + 1)[1]
            a, b = _argument(toks, k)
            emit_group(a, b, keep_braces=bool(out) and out[-1] in ("^", "_"))
            k = b
            continue
        if txt in ("\\underbrace", "\\overbrace"):
            a, b = _argument(toks, k + 1)
            emit_group(a, b, keep_braces=bool(out) and out[-1] in ("^", "_"))
            k = b
            j = _next_nonspace(toks, k)
            if j < n and toks[j].text == ("_" if txt == "\\underbrace" else "^"):
                k = _argument(toks, j + 1)[1]
            continue
        if txt in _TEXT_CMDS:
            out.append(txt)
            a, b = _argument(toks, k + 1)
            if a < n and toks[a].text == "{":
                inner = _normal_form(toks[a + 1:b - 1], True)
                while inner and inner[0] == " ":
                    inner.pop(0)
                while inner and inner[-1] == " ":
                    inner.pop()
                out.extend(["{", *inner, "}"])
            else:
                out.extend(_normal_form(toks[a:b], True))
            k = b
            continue
        if txt == "{":
            b = _skip_group(toks, k)
            emit_group(k, b, keep_braces=True, text=text_mode)
            k = b
            continue
        out.append(txt)
        k += 1
    return out


def _serialise(parts: list[str]) -> str:
    s = []
    for p in parts:
        if s and s[-1].startswith("\\") and s[-1][1:].isalpha() and p[:1].isalpha():
            s.append(" ")
        s.append(p)
    return "".join(s)


def normalise(row_latex: str) -> str:
    """The presentation-free form of a row that fingerprint() hashes (exposed for diagnostics)."""
    try:
        return _serialise(_normal_form(_tokenize(row_latex)))
    except RecursionError:  # braces nested deeper than Python recurses: the text itself, spaces collapsed
        return " ".join(row_latex.split())


def fingerprint(row_latex: str) -> str:
    """Stable 12-hex id of what a row says (colour, spacing, sizing and brace labels ignored)."""
    return hashlib.sha256(normalise(row_latex).encode("utf-8")).hexdigest()[:12]
