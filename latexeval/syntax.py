r"""KaTeX's parse tree -> the meaning tree of expr.py.

Two steps. Reading dispatches on KaTeX node types and flattens presentation away:
\textcolor, \bm, \underbrace{…}_{label}, spacing, sizing and braces vanish, and
what is left is a flat list of items (operands, operators, delimiters, relations),
because KaTeX itself keeps a formula flat: p(x) is four siblings. The grammar then
gives that list its mathematical structure — relations, then + and -, then
juxtaposition, with the scopes the deck's notation uses: \sum takes the rest of
its term, \int runs to its \mathrm{d}z, \log takes the next factor, \mathbb{E}
the bracket after it.

Anything neither step knows raises NotEvaluable with the construct and where it is.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from .errors import NotEvaluable
from .expr import (Add, Binomial, Call, Chain, Deriv, Div, Dots, Draw, EvalAt, Expect, Extremum, Func, Hadamard,
                   Independent, Index, Inner, Integral, Label, Labelled, Matrix, Member, Mul, Neg, Node, Norm, Num, Optimum, Placeholder, Pos, Pow,
                   Quantified, Range, Stack, Sum, Sym, Vector, Words, key)

RELATIONS = {
    "=": "=", ":=": ":=", "\\le": "<=", "\\leq": "<=", "\\leqslant": "<=", "\\ge": ">=", "\\geq": ">=",
    "\\geqslant": ">=", "\\Leftrightarrow": "<=>", "\\Longleftrightarrow": "<=>", "\\iff": "<=>",
    "\\rightarrow": "->", "\\to": "->", "\\longrightarrow": "->", "<": "<", ">": ">", "\\lt": "<", "\\gt": ">",
}
OPENING = {"(": ")", "[": "]", "\\{": "\\}", "\\lbrace": "\\rbrace", "\\lbrack": "\\rbrack", "\\langle": "\\rangle",
           "\\lfloor": "\\rfloor", "\\lceil": "\\rceil"}
ROUNDING = {"\\lfloor": "floor", "\\lceil": "ceil"}  # ⌊x⌋ and ⌈x⌉: brackets that round what they hold
CLOSING = set(OPENING.values())
BARS = {"|": "|", "\\mid": "|", "\\vert": "|", "\\|": "\\|", "\\Vert": "\\|"}
SEPARATORS = {",": ",", ";": ";"}
FUNCTIONS = {"\\log": "log", "\\ln": "log", "\\exp": "exp",
             # elementary functions a formula may state facts of (sin² t + cos² t = 1; cosh² 30 - sinh² 30, whose
             # terms cancel beyond the floats' precision, is left out where it does: relations._cancelled)
             "\\sin": "sin", "\\cos": "cos", "\\tan": "tan", "\\tanh": "tanh", "\\arctan": "arctan",
             "\\arcsin": "arcsin", "\\arccos": "arccos", "\\sinh": "sinh", "\\cosh": "cosh"}
OPTIMA = {"\\max": "max", "\\min": "min", "argmax": "argmax", "argmin": "argmin", "max": "max", "min": "min"}
BIG = {"\\sum": "sum", "\\prod": "prod", "\\int": "int"}
BOLD = {"boldsymbol", "bm", "mathbf", "bold", "mathit", "mathnormal", "textbf", "pmb"}
SPLICED = {"color", "styling", "sizing", "mclass", "ordgroup", "lap", "pmb"}
MARKS = {"*", "\\ast", "\\star"}
DROPPED = {"spacing", "kern", "phantom", "hphantom", "vphantom", "internal", "rule"}
TRANSPOSE = {"T", "\\top", "\\intercal"}
# Read only with a linear-algebra notation, where a bar is a norm and a matrix a value:
LINEAR_RELATIONS = {**RELATIONS, ">": ">", "<": "<", "\\gt": ">", "\\lt": "<", "\\in": "in"}
LINEAR_FUNCTIONS = {**FUNCTIONS, "\\det": "det"}
# diag(σ²) of a diagonal Gaussian's covariance is read by the scalar evaluator too
SCALAR_OPERATOR_NAMES = {"diag": "diag"}
OPERATOR_NAMES = {"softmax": "softmax", "tr": "tr", "Tr": "tr", "trace": "tr", "diag": "diag", "det": "det",
                  "sigmoid": "sigmoid", "vec": "vec", "rank": "rank"}
DOTS = {"\\ldots": "h", "\\dots": "h", "\\cdots": "h", "\\@cdots": "h", "\\vdots": "v", "\\varvdots": "v",
        "\\ddots": "d"}
MULTIPLIES = ("\\cdot", "\\times", "/", "\\odot")  # operators between two factors
UNARY = frozenset({"log", "exp"} | set(LINEAR_FUNCTIONS.values()) | set(OPERATOR_NAMES.values()))


# --------------------------------------------------------------------------- #
# items: what reading leaves for the grammar


@dataclass
class Operand:
    node: Node
    digits: str | None = None  # the spelling of a number still being read digit by digit


@dataclass
class Token:
    """bin (+ - \\cdot), rel, punct (, ; .), bar (| \\|), diff (\\mathrm{d}), label (\\text{ELBO:})."""

    kind: str
    text: str
    pos: Pos = None


@dataclass
class Op:
    """A big operator waiting for its scope: sum, prod, int, log, exp, E, max, argmax…"""

    kind: str
    pos: Pos = None
    sub: object = None  # raw KaTeX script, read when the operator knows what it means
    sup: object = None


@dataclass
class Delim:
    side: str  # "open" or "close"
    text: str
    pos: Pos = None
    sup: object = None
    sub: object = None


@dataclass
class Group:
    """A matched pair of delimiters and what is between them."""

    open: str
    close: str
    items: list
    pos: Pos = None
    sup: object = None
    sub: object = None


def position(node) -> Pos:
    """Where a KaTeX node is in the formula: its own position, else its first descendant's."""
    if isinstance(node, dict):
        if "pos" in node:
            return tuple(node["pos"])
        values = node.values()
    elif isinstance(node, list):
        values = node
    else:
        return None
    for value in values:
        found = position(value)
        if found:
            return found
    return None


def _text_of(nodes) -> str:
    """The characters of a \\text{…} or \\operatorname{…} body."""
    out = []
    for n in nodes if isinstance(nodes, list) else [nodes]:
        if n.get("type") == "spacing":
            out.append(" ")
        elif "text" in n:
            out.append(n["text"])
        elif "body" in n:
            out.append(_text_of(n["body"]))
    return "".join(out)


class Grammar:
    """Reads KaTeX trees for one notation: `heads` are the symbols that take arguments (p, q, Q, \\text{KL}).

    `linear`: the notation is one of vectors and matrices (latexeval/linnotation.py), so bars are norms,
    \\langle…\\rangle an inner product, an array a matrix, and \\\\ separates rows of a formula.
    """

    def __init__(self, heads: frozenset[str] | None, linear: bool = False, absolute_bars: bool = False):
        self.heads = heads
        self.linear = linear
        self.absolute_bars = absolute_bars  # a notation of no model has no p(z | x): |x| is the absolute value
        self.relations = LINEAR_RELATIONS if linear else RELATIONS
        self.functions = LINEAR_FUNCTIONS if linear else FUNCTIONS
        self._readers = {
            "mathord": self._read_letter, "textord": self._read_letter, "atom": self._read_atom,
            "op": self._read_op, "supsub": self._read_supsub, "genfrac": self._read_frac,
            "leftright": self._read_leftright, "delimsizing": self._read_delimsizing, "middle": self._read_middle,
            "font": self._read_font, "text": self._read_text, "operatorname": self._read_operatorname,
            "accent": self._read_accent, "sqrt": self._read_sqrt, "horizBrace": self._read_brace,
            "array": self._read_array,
        }

    # ----------------------------------------------------------------------- #
    # reading: KaTeX node -> items

    def read(self, nodes) -> list:
        items = []
        for node in _digit_powers(nodes if isinstance(nodes, list) else [nodes]):
            items.extend(self._read_node(node))
        return _numbers(items)

    def _read_node(self, node: dict) -> list:
        kind = node["type"]
        if kind == "kern" and _is_quad(node.get("dimension") or {}):
            return [Token("quad", "\\quad", position(node))]  # between two statements, as a comma is
        if kind in DROPPED:
            return []
        if kind in SPLICED:
            return self.read(node.get("body") or [])
        reader = self._readers.get(kind)
        if kind == "xArrow":
            raise NotEvaluable(f"an arrow with a label ({node.get('label')}{{…}}): a statement in words", position(node))
        if reader is None:
            raise NotEvaluable(f"KaTeX node '{kind}'", position(node))
        return reader(node)

    def _read_letter(self, node: dict) -> list:
        text, pos = node["text"], position(node)
        if _is_number_text(text):
            return [Token("digit", text, pos)]
        if text == "/":
            return [Token("bin", "/", pos)]
        if text in BARS:
            return [self._bar(BARS[text], pos)]
        if text in OPENING or text in CLOSING:
            return [Delim("open" if text in OPENING else "close", text, pos)]
        if self.linear and text in DOTS:
            return [Operand(Dots(DOTS[text], pos=pos))]
        if text == "\\forall":
            return [Token("forall", text, pos)]
        if text in ("'", "\\prime") or text in MARKS:
            return [Operand(Sym(text, pos=pos))]
        if len(text) == 1 and not text.isalpha() or text.startswith("\\") and not text[1:].isalpha():
            raise NotEvaluable(f"'{text}'", pos)
        return [Operand(Sym(text, pos=pos))]

    def _read_atom(self, node: dict) -> list:
        family, text, pos = node["family"], node["text"], position(node)
        if family == "rel":
            return [self._bar(BARS[text], pos)] if text in BARS else [Token("rel", text, pos)]
        if family == "bin":
            return [Token("bin", text, pos)]
        if text == "!":  # n!: a factorial (KaTeX sets it as a closing symbol)
            return [Token("postfix", text, pos)]
        if family in ("open", "close"):
            return [Delim(family, text, pos)]
        if family == "punct":
            return [Token("punct", text, pos)]
        if self.linear and text in DOTS:
            return [Operand(Dots(DOTS[text], pos=pos))]
        raise NotEvaluable(f"'{text}'", pos)

    def _bar(self, text: str, pos: Pos):
        """A bar: a separator (p(z | x), KL(p \\| q)), or with vectors one side of a norm or |·|."""
        return Delim("bar", text, pos) if self.linear or self.absolute_bars and text == "|" else Token("bar", text, pos)

    def _read_op(self, node: dict) -> list:
        pos = position(node)
        name = node.get("name")
        if name is None:
            name = _op_body_name(node.get("body") or [])
        kind = self.functions.get(name) or BIG.get(name) or OPTIMA.get(name) or ("E" if name == "E" else None)
        if kind is None:
            kind = (OPERATOR_NAMES if self.linear else SCALAR_OPERATOR_NAMES).get(name)
        if kind is None:
            raise NotEvaluable(f"operator {name}", pos)
        return [Op(kind, pos)]

    def _read_supsub(self, node: dict) -> list:
        base = node.get("base")
        sub, sup = node.get("sub"), node.get("sup")
        if base and base["type"] == "horizBrace":  # \underbrace{x}_{label}: the label is commentary
            other = sup if base["label"] == "\\underbrace" else sub
            if other is not None:
                raise NotEvaluable(f"a script on the far side of {base['label']}", position(node))
            return self._read_brace(base)
        if not self.linear and base and base["type"] == "font" and base["font"] == "mathbb" \
                and _text_of(base["body"]) == "R":  # ℝ_+: a free variable's domain (ℝ^d is a linear notation's)
            return [Operand(Sym(_real_set(sub, sup, position(node)), pos=position(node)))]
        items = self.read(base) if base else []
        if not items:
            raise NotEvaluable("a script without a base", position(node))
        return items[:-1] + [self._attach(items[-1], sub, sup, position(node))]

    def _attach(self, item, sub, sup, pos: Pos):
        if isinstance(item, Operand) and isinstance(item.node, Sym):
            sym = item.node
            if self.linear and sup and not sub and isinstance(sym.sup, Sym) and sym.sup.name in MARKS:
                # {x_n^*}^{(L)}: x^* decorated once more (its layer L), one symbol
                return Operand(replace(sym, sup=Vector((sym.sup, self._layer_or_script(sup)), pos=pos)))
            if sub and sym.sub is not None or sup and sym.sup is not None:
                raise NotEvaluable("a second sub- or superscript on one symbol", pos)
            sym = replace(sym, sub=self._script(sub) if sub else sym.sub)
            return Operand(self._superscript(sym, sup, pos, decorates=True) if sup else sym)
        if isinstance(item, Operand) and sub is None:
            return Operand(self._superscript(item.node, sup, pos))
        if isinstance(item, (Op, Delim, Group)) and item.sub is None and item.sup is None:
            return replace(item, sub=sub, sup=sup)
        raise NotEvaluable("a sub- or superscript here", pos)

    def _superscript(self, base: Node, raw, pos: Pos, decorates: bool = False) -> Node:
        """x^T is the transpose; on a letter a script is a decoration (θ^t) or a power, decided when
        evaluated; on anything else it is a power."""
        script = self._layer_or_script(raw) if decorates else self._script(raw)
        if isinstance(script, Sym) and script.key() in TRANSPOSE:
            return Func("transpose", base, pos=pos)
        return replace(base, sup=script) if decorates else Pow(base, script, pos=pos)

    def _layer_or_script(self, raw) -> Node:
        """x^{(L)} on a letter names it (the layer, the iterate): a label, never a power."""
        body = raw.get("body") if isinstance(raw, dict) and raw.get("type") == "ordgroup" else None
        if self.linear and body and len(body) == 1 and body[0].get("type") == "leftright" and \
                (body[0].get("left"), body[0].get("right")) == ("(", ")") and body[0].get("body"):
            return Label(f"({key(self._script(body[0]['body']))})", pos=position(raw))  # ^{\left(L\right)}
        if self.linear and body and len(body) >= 3 and _is_paren(body[0], "open", "(") and \
                _is_paren(body[-1], "close", ")") and not any(_is_paren(n, "open", "(") for n in body[1:-1]):
            return Label(f"({key(self._script(body[1:-1]))})", pos=position(raw))
        return self._script(raw)

    def _script(self, raw) -> Node:
        items = self.group(self.read(raw))
        if len(items) == 1 and isinstance(items[0], Token) and items[0].text in MARKS:
            return Sym(items[0].text, pos=items[0].pos)  # q^*, x': a mark, not an operation
        if len(items) == 1 and isinstance(items[0], Token) and items[0].text in "+-":
            return Sym(items[0].text, pos=items[0].pos)  # \\mathbb{N}_+: a mark
        seps, parts = _split(items, {","})
        if self.linear and len(parts) > 1 and all(parts):  # R_{i, \\theta}: several indices
            return Vector(tuple(self.expr(p) for p in parts), pos=_first_pos(items))
        return self.expr(items)

    def _read_frac(self, node: dict) -> list:
        if not node.get("hasBarLine", True) and (node.get("leftDelim"), node.get("rightDelim")) == ("(", ")"):
            # \binom{n}{k}, \dbinom, {n \choose k}
            return [Operand(Binomial(self._script(node["numer"]), self._script(node["denom"]), pos=position(node)))]
        if not node.get("hasBarLine", True) or node.get("leftDelim") or node.get("rightDelim"):
            raise NotEvaluable("a fraction without a bar, or in delimiters", position(node))
        variables = self._derivative_in(node)
        if variables is not None:
            return [Op("deriv", position(node), sub=variables)]
        return [Operand(Div(self._script(node["numer"]), self._script(node["denom"]), pos=position(node)))]

    def _read_leftright(self, node: dict) -> list:
        inner = self.group(self.read(node["body"]))
        return [Group(node["left"], node["right"], inner, position(node))]

    def _read_delimsizing(self, node: dict) -> list:
        delim, pos = node["delim"], position(node)
        if delim in BARS:
            return [self._bar(BARS[delim], pos)]
        if delim in OPENING or delim in CLOSING:
            return [Delim("open" if delim in OPENING else "close", delim, pos)]
        raise NotEvaluable(f"delimiter {delim}", pos)

    def _read_middle(self, node: dict) -> list:
        if node["delim"] in BARS:
            return [Token("bar", BARS[node["delim"]], position(node))]
        raise NotEvaluable(f"\\middle{node['delim']}", position(node))

    def _read_font(self, node: dict) -> list:
        font, body, pos = node["font"], node["body"], position(node)
        if font in BOLD:
            return self.read(body)
        letters = _text_of(body)
        if font == "mathrm" and letters == "d":
            return [Token("diff", "d", pos)]
        if font == "mathbb" and letters == "E":
            return [Op("E", pos)]
        if font == "mathrm" and len(letters) > 1:
            return [Operand(Sym(f"\\text{{{letters}}}", pos=pos))]
        if font == "mathrm":
            return self.read(body)
        return [Operand(Sym(f"\\{font}{{{letters}}}", pos=pos))]

    def _read_text(self, node: dict) -> list:
        text, pos = _text_of(node["body"]).strip(), position(node)
        if not text:
            return []
        if text == "d":
            return [Token("diff", "d", pos)]
        if text in OPTIMA:
            return [Op(OPTIMA[text], pos)]
        if text.endswith(":") and text[:-1].isascii() and text[:-1].isalnum():
            return [Token("label", text[:-1], pos)]
        if text.isascii() and text.isalpha():
            return [Operand(Sym(f"\\text{{{text}}}", pos=pos))]
        raise NotEvaluable(f"text '{text}' in a formula", pos)

    def _read_operatorname(self, node: dict) -> list:
        text, pos = _text_of(node["body"]), position(node)
        if text in OPTIMA:
            return [Op(OPTIMA[text], pos)]
        if text in (OPERATOR_NAMES if self.linear else SCALAR_OPERATOR_NAMES):
            return [Op(OPERATOR_NAMES[text], pos)]
        if text == "d":
            return [Token("diff", "d", pos)]
        return [Operand(Sym(f"\\text{{{text}}}", pos=pos))]

    def _read_accent(self, node: dict) -> list:
        if self.linear and node["label"] == "\\textcircled":  # ①: the name of an item, not a quantity
            return [Operand(Label(_circled(_text_of(node["base"]).strip()), pos=position(node)))]
        base = self.read(node["base"])
        if len(base) != 1 or not isinstance(base[0], Operand) or not isinstance(base[0].node, Sym):
            raise NotEvaluable(f"{node['label']} over more than a letter", position(node))
        return [Operand(replace(base[0].node, accent=node["label"]))]

    def _read_sqrt(self, node: dict) -> list:
        if node.get("index"):
            raise NotEvaluable("a root with an index", position(node))
        return [Operand(Func("sqrt", self._script(node["body"]), pos=position(node)))]

    def _read_brace(self, node: dict) -> list:
        return self.read(node["base"])

    def _read_array(self, node: dict) -> list:
        """A one-column matrix (pmatrix, bmatrix) is a vector; other environments are not read."""
        if self.linear and node.get("colSeparationType") not in ("align", "alignat"):
            return [Operand(self._matrix(node))]
        cells = [cell for row in node["body"] for cell in row]
        if node.get("colSeparationType") or len(node.get("cols") or []) != 1 or len(cells) != len(node["body"]):
            raise NotEvaluable("an environment (matrix, cases…) inside a formula", position(node))
        parts = [self.group(self.read(cell)) for cell in cells]
        return [Operand(Vector(tuple(self.expr(p) for p in parts if p), pos=position(node)))]

    def _matrix(self, node: dict) -> Matrix:
        rows = []
        for row in node["body"]:
            cells = [self.group(self.read(cell)) for cell in row]
            rows.append(tuple(self.expr(c) if c else Num(0.0, pos=position(node)) for c in cells))
        while rows and all(isinstance(c, Num) and c.value == 0 for c in rows[-1]) and len(rows[-1]) == 1:
            rows.pop()  # the empty row after a trailing \\\\
        if not rows or len({len(r) for r in rows}) != 1:
            raise NotEvaluable("a matrix whose rows have different lengths", position(node))
        return Matrix(tuple(rows), pos=position(node))

    # ----------------------------------------------------------------------- #
    # delimiters: flat items -> nested groups

    def group(self, items: list) -> list:
        out: list = []
        stack: list[tuple[Delim, list]] = []
        for item in items:
            closes_bar = isinstance(item, Delim) and item.side == "bar" and stack and stack[-1][0].text == item.text
            if isinstance(item, Delim) and item.side in ("open", "bar") and not closes_bar:
                stack.append((item, out))
                out = []
            elif isinstance(item, Delim):
                if not stack or OPENING.get(stack[-1][0].text, stack[-1][0].text) != item.text:
                    raise NotEvaluable(f"unmatched {item.text}", item.pos)
                opener, outer = stack.pop()
                inner = [i for i in out if not _is_token(i, "quad")]  # a space inside brackets separates nothing
                outer.append(Group(opener.text, item.text, inner, opener.pos, item.sup, item.sub))
                out = outer
            else:
                out.append(item)
        if stack:
            raise NotEvaluable(f"unmatched {stack[-1][0].text}", stack[-1][0].pos)
        return out

    # ----------------------------------------------------------------------- #
    # grammar: grouped items -> expr.Node

    def rows(self, tree: list) -> list[list]:
        """A formula's rows (one unless it is an align*-like environment), each as grouped items."""
        nodes = tree
        while len(nodes) == 1 and nodes[0]["type"] in ("styling", "sizing"):
            nodes = nodes[0]["body"]
        aligned = len(nodes) == 1 and nodes[0]["type"] == "array"
        if aligned and nodes[0].get("colSeparationType") in ("align", "alignat"):
            # a derivation's rows are chains: a \quad in one is space for the eye, never a second statement
            return [self.group([it for cell in row for it in self.read(cell) if not _is_token(it, "quad")])
                    for row in nodes[0]["body"]]
        if self.linear:  # a display formula broken by \\\\ into lines: one row per non-empty line
            lines = [[]]
            for node in nodes:
                lines.append([]) if node["type"] == "cr" else lines[-1].append(node)
            return [g for g in (self._line(line) for line in lines) if g]
        return [self.group(self.read(tree))]

    def _line(self, nodes: list) -> list:
        """A line's items; a labelled arrow to words (θ_i = b^{-2i/d} →^{b↑} long-context ability ↑)
        ends what the line states as a relation: the rest is said in words (expr.Words)."""
        arrow = next((k for k, n in enumerate(nodes) if n["type"] == "xArrow"), None)
        if arrow is None or not any(n["type"] == "text" for n in nodes[arrow + 1:]):
            return self.group(self.read(nodes))
        head = self.group(self.read(nodes[:arrow])) if arrow else []
        label, target = (" ".join(_text_of(n).replace("\\uparrow", " ↑").replace("\\downarrow", " ↓").split())
                         for n in (nodes[arrow]["body"], nodes[arrow + 1:]))
        said = Words(f"an arrow labelled '{label}' to the words '{target}': a statement in words, not a relation "
                     "between quantities", pos=position(nodes[arrow]))
        return head + ([Token("punct", ",", position(nodes[arrow]))] if head else []) + [Operand(said)]

    def statements(self, items: list) -> list[Node]:
        """What a row states: relation chains, split at top-level commas; a trailing '.' is prose."""
        while items and isinstance(items[-1], Token) and items[-1].kind == "punct" and items[-1].text in ".,":
            items = items[:-1]
        items = _domain_in_parentheses(_quads_between_statements(items))
        parts, current = [], []
        for item in items:
            if isinstance(item, Token) and item.kind == "punct" and item.text == ",":
                parts.append(current)
                current = []
            elif _is_token(item, "forall") and current:  # x^2 \ge 0 \quad \forall x: a quantifier after a space
                parts.append(current)
                current = [item]
            else:
                current.append(item)
        parts.append(current)
        if self.linear:
            parts = self._ranges(parts)
        else:
            parts = [self._quantified(p) for p in self._letter_lists(parts)]
        return [p if isinstance(p, Node) else self.statement(p) for p in parts
                if isinstance(p, Node) or p and not _is_word(p)]

    def _letter_lists(self, parts: list[list]) -> list[list]:
        """'\\forall a, b > 0' and 'x, \\mu \\in \\mathbb{R}' (split at their commas): the bound of the last letter
        stated for each letter of the list, as '\\forall a > 0, \\forall b > 0'."""
        out: list[list] = []
        for part in parts:
            forall = bool(part) and _is_token(part[0], "forall")
            body = part[1:] if forall else part
            bounded = len(body) > 2 and _is_letter(body[0]) and _is_token(body[1], "rel") and body[1].text in _BOUNDS
            if bounded and not forall:
                first = len(out)
                while first > 0 and _is_letter_part(out[first - 1]):
                    first -= 1
                    if _is_token(out[first][0], "forall"):
                        break  # the list starts at its quantifier
                listed = out[first:]
                if listed:
                    quantifier = [listed[0][0]] if _is_token(listed[0][0], "forall") else []
                    out[first:] = [quantifier + [p[-1]] + body[1:] for p in listed]
                    part = quantifier + body
            out.append(part)
        return out

    def _quantified(self, part: list):
        """'\\forall t > 0' -> Quantified: the domain of a free variable, stated for the formula's other relations."""
        member = self._membership(part)
        if member is not None:
            return member
        independent = _independence(part)
        if independent is not None:
            return independent
        if not (part and _is_token(part[0], "forall")):
            return part
        chain = self.statement(part[1:]) if len(part) > 1 else None
        if not isinstance(chain, Chain) or chain.exprs[0] is None:
            raise NotEvaluable("\\forall without a range (\\forall t > 0)", part[0].pos)
        return Quantified(chain, pos=part[0].pos)

    def _membership(self, part: list):
        """'t \\in \\mathbb{R}' (ℝ_+, ℕ, ℤ …, _SETS), with or without \\forall: a Member, the domain of a free
        variable; None for anything else."""
        forall = bool(part) and _is_token(part[0], "forall")
        body = part[1:] if forall else part
        if not (len(body) == 3 and _is_letter(body[0]) and _is_token(body[1], "rel", "\\in")
                and isinstance(body[2], Operand) and isinstance(body[2].node, Sym)):
            return None
        bounds = _SETS.get(body[2].node.key())
        if bounds is None:
            raise NotEvaluable(f"the set {body[2].node.key()} (a free variable's domain is ℝ, ℝ_+, ℝ_{{\\ge 0}}, ℕ, "
                               "ℕ_+, ℤ or bounds: \\forall t > 0)", body[2].node.pos)
        pos = _first_pos(part)
        member = Member(body[0].node, *bounds, pos=pos)
        return Quantified(member, pos=pos) if forall else member

    def _ranges(self, parts: list[list]) -> list:
        """'i, j = 0, 1, \\ldots, L-1' and '\\forall m = 0, \\ldots, L-1' (split at their commas) -> one Range."""
        out, k = [], 0
        while k < len(parts):
            dots = next((j for j in range(k, len(parts) - 1) if _is_dots(parts[j])), None)
            start = None if dots is None else next(
                (j for j in range(dots - 1, k - 1, -1) if any(_is_token(it, "rel", "=") for it in parts[j])), None)
            if start is None:
                out.extend(parts[k:])
                break
            head = parts[start]
            eq = next(n for n, it in enumerate(head) if _is_token(it, "rel", "="))
            forall = bool(head) and _is_token(head[0], "forall")
            names = [head[1 if forall else 0:eq]]
            first_var = start
            while not forall and first_var > k and len(parts[first_var - 1]) == 1 \
                    and isinstance(parts[first_var - 1][0], Operand) and isinstance(parts[first_var - 1][0].node, Sym):
                first_var -= 1
                names.insert(0, parts[first_var])
            variables = tuple(self.expr(n) for n in names)
            if not all(isinstance(v, Sym) for v in variables):
                raise NotEvaluable("a range of something other than indices", _first_pos(head))
            first = (self.expr(head[eq + 1:]),) + tuple(self.expr(p) for p in parts[start + 1:dots])
            out.extend(parts[k:first_var])
            out.append(Range(variables, first, self.expr(parts[dots + 1]), forall, pos=_first_pos(head)))
            k = dots + 2
        return out

    def statement(self, items: list) -> Node:
        if isinstance(items[0], Token) and items[0].kind == "label":
            label = items[0]
            return Labelled(Sym(f"\\text{{{label.text}}}", pos=label.pos), self.expr(items[1:]), pos=label.pos)
        if self.linear and _is_ranking(items):  # ③ < ① ≈ ④ < ②
            ranking = " ".join(it.node.text if isinstance(it, Operand) else RANKED.get(it.text, it.text)
                               for it in items)
            return Words(f"a ranking of the labels {ranking}: names of items on the slide, not quantities",
                         pos=_first_pos(items))
        segments, rels = [[]], []
        for k, item in enumerate(items):
            if isinstance(item, Token) and item.kind == "rel":
                rel = _relation(items, k, self.relations)
                if rel is None:
                    continue
                rels.append(rel)
                segments.append([])
            else:
                segments[-1].append(item)
        if not rels:
            return self.expr(items)
        if any(not s for s in segments[1:]):
            raise NotEvaluable("a relation with nothing after it", _first_pos(items))
        if _joins_relations(rels):
            raise NotEvaluable("an equivalence of two relations (x > 1 \\iff x^2 > 1): logic between statements, "
                               "not a relation between quantities", _first_pos(items))
        exprs = tuple(self.expr(s) if s else None for s in segments)
        return Chain(exprs, tuple(rels), pos=_first_pos(items))

    def expr(self, items: list) -> Node:
        items = [i for i in items if not _is_token(i, "quad")]  # a wide space in a script or a term: only space
        if not items:
            raise NotEvaluable("an empty expression")
        if isinstance(items[0], Op) and items[0].kind in ("max", "min", "argmax", "argmin") \
                and self._of_a_list(items, 0) is None:
            return self._optimum(items[0], self.expr(items[1:]))
        terms, sign, current = [], 1, []
        k = 0
        while k < len(items):
            item = items[k]
            if isinstance(item, Op) and item.kind == "int":
                end = self._differential(items, k)
                current.extend(items[k:end])
                k = end
                continue
            if isinstance(item, Token) and item.kind == "bin" and item.text in "+-" and current \
                    and _is_token(current[-1], "bin") and current[-1].text in MULTIPLIES:
                current.append(Token("sign", item.text, item.pos))  # 2 \times -3: the sign of the next factor
            elif isinstance(item, Token) and item.kind == "bin" and item.text in "+-":
                if current:
                    terms.append((sign, current))
                    sign, current = 1, []
                sign *= -1 if item.text == "-" else 1
            else:
                current.append(item)
            k += 1
        if not current:
            raise NotEvaluable("an operator with nothing after it", _first_pos(items))
        terms.append((sign, current))
        nodes = [self.term(t) if s > 0 else Neg(self.term(t), pos=_first_pos(t)) for s, t in terms]
        return nodes[0] if len(nodes) == 1 else Add(tuple(nodes), pos=_first_pos(items))

    def term(self, items: list) -> Node:
        """Juxtaposed factors; \\cdot and \\times multiply too, a / b divides by the next factor."""
        factors, k = [], 0
        while k < len(items):
            item = items[k]
            slash = isinstance(item, Token) and item.text in ("/", "\\odot")
            if isinstance(item, Token) and item.kind == "bin" and item.text in MULTIPLIES:
                k += 1
                if not factors or k >= len(items):  # 2 \cdot = 2 is no product
                    raise NotEvaluable(f"'{item.text}' without both operands", item.pos)
                if not slash:
                    continue
            negated = _is_token(items[k], "sign") and items[k].text == "-"
            k += 1 if _is_token(items[k], "sign") else 0
            if k >= len(items):
                raise NotEvaluable("a sign with nothing after it", item.pos)
            node, k = _factorials(*self.factor(items, k), items)  # 2n! is 2 (n!), (n - k)! a factorial too
            node = Neg(node, pos=node.pos) if negated else node
            if slash:
                node = (Div if item.text == "/" else Hadamard)(factors.pop(), node, pos=item.pos)
            factors.append(node)
        if not factors:
            raise NotEvaluable("an empty expression", _first_pos(items) if items else None)
        return factors[0] if len(factors) == 1 else Mul(tuple(factors), pos=_first_pos(items))

    def factor(self, items: list, k: int) -> tuple[Node, int]:
        item = items[k]
        if isinstance(item, Op):
            return self._operator(items, k)
        if isinstance(item, Operand):
            nxt = items[k + 1] if k + 1 < len(items) else None
            if isinstance(item.node, Sym) and self._is_head(item.node) and \
                    isinstance(nxt, Group) and nxt.open == "(":
                return self._power(self._call(item.node, nxt), nxt), k + 2
            if isinstance(item.node, Sym) and self._is_powered_head(item.node) and \
                    isinstance(nxt, Group) and nxt.open == "(":
                head = item.node
                return self._power(Pow(self._call(replace(head, sup=None), nxt), head.sup, pos=head.pos), nxt), k + 2
            return item.node, k + 1
        if isinstance(item, Group):
            return self._group_value(item), k + 1
        if isinstance(item, Token) and item.kind == "diff":
            raise NotEvaluable("\\mathrm{d} outside an integral", item.pos)
        raise NotEvaluable(f"'{item.text}' here" if isinstance(item, Token) else "this construct", _first_pos([item]))

    def _is_head(self, sym: Sym) -> bool:
        """Takes arguments: p(…) is a call, a(x - b) a product. Without a notation (heads None) every letter does."""
        return self.heads is None or sym.base().key() in self.heads or sym.key() in self.heads

    def _is_powered_head(self, sym: Sym) -> bool:
        """σ²_φ(x): a function named with its subscript (σ_φ), its power written on the name."""
        return (self.heads is not None and sym.sub is not None and sym.sup is not None
                and replace(sym, sup=None).key() in self.heads)

    def _operator(self, items: list, k: int) -> tuple[Node, int]:
        op = items[k]
        if op.kind in UNARY:
            if k + 1 >= len(items):
                raise NotEvaluable(f"\\{op.kind} without an argument", op.pos)
            after = items[k + 1]
            if self.linear and isinstance(after, Group) and after.sub is not None:  # softmax(s)_i: an entry of it
                value = Func(op.kind, self._group_value(replace(after, sub=None, sup=None)), pos=op.pos)
                return self._function_scripts(op, self._power(Index(value, self._script(after.sub), pos=op.pos),
                                                              after)), k + 2
            if isinstance(after, Group) and after.open == "(" and after.sup is not None and after.sub is None:
                # \sin(x)^2 and \log(x)^2 are (\sin x)^2 and (\log x)^2, never of x^2
                value = Func(op.kind, self._group_value(replace(after, sup=None)), pos=op.pos)
                return self._function_scripts(op, self._power(value, after)), k + 2
            arg, nxt = self.factor(items, k + 1)
            arg, nxt = self._juxtaposed_argument(arg, items, nxt)
            return self._function_scripts(op, Func(op.kind, arg, pos=op.pos)), nxt
        if op.kind in ("sum", "prod"):
            return self._sum(op, self.term(items[k + 1:]) if k + 1 < len(items) else None), len(items)
        if op.kind == "deriv":  # of the rest of the term, as \sum takes it
            if k + 1 >= len(items):
                raise NotEvaluable("a derivative of nothing", op.pos)
            body = self.term(items[k + 1:])
            for var in reversed(op.sub):  # ∂²/∂x∂y: in y, then in x
                body = Deriv(var, body, pos=op.pos)
            return body, len(items)
        if op.kind == "int":
            end = self._differential(items, k)
            if end == k + 3:  # \int_z \mathrm{d}z f(z): the integrand is the rest of the term (\int_0^1 \mathrm{d}x: 1)
                body = self.term(items[end:]) if end < len(items) else Num(1.0, pos=op.pos)
                return self._integral(op, items[end - 1], body), len(items)
            return self._integral(op, items[end - 1], self.expr(items[k + 1:end - 2])), end
        if op.kind == "E":
            nxt = items[k + 1] if k + 1 < len(items) else None
            if isinstance(nxt, Group) and nxt.open in ("[", "(", "\\{") and nxt.sub is None:
                # \mathbb{E}[Y]^2 is (\mathbb{E}[Y])^2: the power is on the expectation, not inside it
                return self._power(Expect(self._under(op), self.expr(nxt.items), pos=op.pos), nxt), k + 2
            return Expect(self._under(op), self.term(items[k + 1:]), pos=op.pos), len(items)
        listed = self._of_a_list(items, k)
        if listed is not None:
            return self._power(Extremum(op.kind, listed, pos=op.pos), items[k + 1]), k + 2
        return self._optimum(op, self.term(items[k + 1:])), len(items)

    def _juxtaposed_argument(self, arg: Node, items: list, nxt: int) -> tuple[Node, int]:
        """\\sin 2x is \\sin(2x) and \\log 2\\pi\\sigma^2 the log of the product, as a textbook writes them: a
        function without parentheses takes the numbers and letters that follow it, up to anything else (an
        operator, a sign, a bracket, a letter called with arguments: \\sin x \\cos x is a product of two)."""
        factors = [arg]
        plain = _is_plain(arg)
        while True:
            factors[-1], nxt = _factorials(factors[-1], nxt, items)  # \log n! is \log(n!)
            if not (plain and nxt < len(items) and isinstance(items[nxt], Operand) and _is_plain(items[nxt].node)
                    and not (nxt + 1 < len(items) and isinstance(items[nxt + 1], Group))
                    and not (isinstance(items[nxt].node, Sym) and self.heads is not None
                             and self._is_head(items[nxt].node))):
                break
            factors.append(items[nxt].node)
            nxt += 1
        return (factors[0] if len(factors) == 1 else Mul(tuple(factors), pos=factors[0].pos)), nxt

    def _of_a_list(self, items: list, k: int) -> tuple[Node, ...] | None:
        """The entries of \\max(a, b, …) or \\min(…): the larger or smaller of numbers, not an optimum over a
        variable under it; None for anything else."""
        op = items[k]
        after = items[k + 1] if k + 1 < len(items) else None
        if op.kind not in ("max", "min") or op.sub is not None or not isinstance(after, Group) \
                or after.open != "(" or after.sub is not None:
            return None
        _, parts = _split(after.items, {","})
        if len(parts) < 2 or not all(parts):
            return None
        return tuple(self.expr(part) for part in parts)

    def _differential(self, items: list, k: int) -> int:
        """Index just after the \\mathrm{d}<var> closing the integral at items[k] (nested ones pair inside out)."""
        depth, var = 0, self._integral_var(items[k])
        for j in range(k + 1, len(items)):
            item = items[j]
            if isinstance(item, Op) and item.kind == "int":
                depth += 1
            elif _is_differential(items, j, var):
                if depth == 0:
                    return j + 2
                depth -= 1
        raise NotEvaluable("\\int without its \\mathrm{d}", items[k].pos)

    def _integral_var(self, op: Op) -> Sym | None:
        """The variable \\int_z names (None: a differential closes it, or it has bounds \\int_0^1)."""
        if op.sub is None or op.sup is not None:
            return None
        var = self._script(op.sub)
        if not isinstance(var, Sym):
            raise NotEvaluable("\\int over a region: only \\int_{variable}", op.pos)
        return var

    def _integral(self, op: Op, var_item, body: Node) -> Integral:
        var = var_item.node
        written = self._integral_var(op)
        if written is not None and written.key() != var.key():
            raise NotEvaluable(f"\\int_{{{written.key()}}} closed by d{var.key()}", op.pos)
        if op.sup is not None:
            if op.sub is None:
                raise NotEvaluable("\\int^{b} without its lower bound", op.pos)
            return Integral(var, body, self._script(op.sub), self._script(op.sup), pos=op.pos)
        return Integral(var, body, pos=op.pos)

    def _sum(self, op: Op, body: Node | None) -> Sum:
        if body is None:
            raise NotEvaluable("\\sum without a body", op.pos)
        if self.linear and op.sup is None and op.sub is not None:  # \\sum_j: j over the range the notation gives it
            try:
                var = self._script(op.sub)
            except NotEvaluable:
                var = None
            if isinstance(var, Sym):
                return Sum(var, None, None, body, op.kind == "prod", pos=op.pos)
        if op.sub is None or op.sup is None:
            raise NotEvaluable("\\sum without both bounds", op.pos)
        bound = self.statement(self.group(self.read(op.sub)))
        if not (isinstance(bound, Chain) and bound.rels == ("=",) and isinstance(bound.exprs[0], Sym)):
            raise NotEvaluable("\\sum whose lower bound is not 'index = value'", op.pos)
        return Sum(bound.exprs[0], bound.exprs[1], self._script(op.sup), body, op.kind == "prod", pos=op.pos)

    def _under(self, op: Op) -> Node | None:
        if op.sup is not None:
            raise NotEvaluable("\\mathbb{E} with a superscript", op.pos)
        return None if op.sub is None else self.under_items(self.group(self.read(op.sub)))

    def under_items(self, items: list) -> Node:
        """What stands under an expectation: 'z ~ p(…)' (a Draw) or a subscript to look up."""
        for k, item in enumerate(items):
            if isinstance(item, Token) and item.kind == "rel" and item.text == "\\sim":
                return Draw(self.expr(items[:k]), self.expr(items[k + 1:]), pos=item.pos)
        _, parts = _split(items, {","})
        if self.linear and len(parts) > 1 and all(parts):  # \\mathbb{E}_{\\bm{q}, \\bm{\\epsilon}}
            return Vector(tuple(self.expr(p) for p in parts), pos=_first_pos(items))
        return self.expr(items)

    def _optimum(self, op: Op, body: Node) -> Optimum:
        if op.sub is None or op.sup is not None:
            raise NotEvaluable(f"{op.kind} without the variable under it", op.pos)
        variables = [self.expr(part) for part in _split(self.group(self.read(op.sub)), {","})[1]]
        if not all(isinstance(v, Sym) for v in variables):
            raise NotEvaluable(f"{op.kind} over something other than variables", op.pos)
        names = [v.key() for v in variables]
        twice = next((n for n in names if names.count(n) > 1), None)
        if twice is not None:  # \max_{\theta, \theta}: a slip for another variable, never a claim to pass
            raise NotEvaluable(f"{op.kind} over {twice} twice", op.pos)
        return Optimum(op.kind, tuple(variables), body, pos=op.pos)

    def _call(self, head: Sym, group: Group) -> Call:
        seps, parts = _split(group.items, {",", ";", "|", "\\|"})
        args = []
        for sep, part in zip(seps, parts):
            if not part:
                raise NotEvaluable(f"an empty argument of {head.key()}", group.pos)
            if len(part) == 1 and isinstance(part[0], Token) and part[0].text == "\\cdot":
                args.append((sep, Placeholder(pos=part[0].pos)))
            else:  # an argument may be a statement: p(x | z = k)
                args.append((sep, self.statement(part)))
        merged: list[tuple[str, list]] = []
        for sep, arg in args:
            if merged and sep == ",":
                merged[-1][1].append(arg)
            else:
                merged.append((sep, [arg]))
        return Call(head, tuple((s, tuple(a)) for s, a in merged), pos=head.pos)

    def _group_value(self, group: Group) -> Node:
        if self.linear and group.open in ("\\|", "|", "\\langle"):
            return self._power(self._linear_group(group), group)
        if self.linear and group.open == "[" and group.close == "]" and group.sub is None and group.sup is None \
                and len(_split(group.items, {","})[1]) > 1:
            return Stack(tuple(self.expr(p) for p in _split(group.items, {","})[1]), pos=group.pos)
        if self.linear and group.open in ("[", "(") and len(_split(group.items, {","})[1]) > 1:
            raise NotEvaluable(f"a list {group.open}a, …, b{group.close}: write a matrix as \\begin{{bmatrix}}…"
                               "\\end{bmatrix} (rows or columns?)", group.pos)
        if self.linear and group.sub is not None and group.open in OPENING:
            return Index(self._power(self.expr(group.items), group), self._script(group.sub), pos=group.pos)
        if group.open == "." and group.close == "|":
            if group.sub is None or group.sup is not None:
                raise NotEvaluable("\\left. … \\right| without the substitution under it", group.pos)
            bindings = self.statements(self.group(self.read(group.sub)))
            if not all(isinstance(b, Chain) and b.rels == ("=",) and isinstance(b.exprs[0], Sym) for b in bindings):
                raise NotEvaluable("a substitution other than 'symbol = value'", group.pos)
            return EvalAt(self.expr(group.items), tuple((b.exprs[0], b.exprs[1]) for b in bindings), pos=group.pos)
        if self.absolute_bars and group.open == group.close == "|":
            if group.sub is not None:
                raise NotEvaluable("a subscript on |…|", group.pos)
            return self._power(Func("abs", self.expr(group.items), pos=group.pos), group)
        if group.open not in OPENING or OPENING[group.open] != group.close:
            raise NotEvaluable(f"the delimiters {group.open} … {group.close}", group.pos)
        if group.open in ROUNDING:
            if group.sub is not None:
                raise NotEvaluable(f"a subscript on {group.open} … {group.close}", group.pos)
            return self._power(Func(ROUNDING[group.open], self.expr(group.items), pos=group.pos), group)
        if group.sub is not None:
            raise NotEvaluable("a subscript on a bracket", group.pos)
        return self._power(self.expr(group.items), group)

    def _linear_group(self, group: Group) -> Node:
        """\\|a\\|_p (p = 1, 2, F; none: Euclidean), |a|, \\langle a, b \\rangle."""
        if group.open == "\\langle":
            _, parts = _split(group.items, {","})
            if len(parts) != 2 or not all(parts):
                raise NotEvaluable("\\langle … \\rangle without two arguments", group.pos)
            return Inner(self.expr(parts[0]), self.expr(parts[1]), pos=group.pos)
        if group.open == "|":
            if group.sub is not None:
                raise NotEvaluable("a subscript on |…|", group.pos)
            return Norm(self.expr(group.items), "abs", pos=group.pos)
        kind = None
        if group.sub is not None:
            sub = self._script(group.sub)
            kind = sub.key() if isinstance(sub, (Num, Sym)) else None
            if kind not in ("1", "2", "F", "\\infty"):
                raise NotEvaluable("a norm other than \\|·\\|, \\|·\\|_1, \\|·\\|_2, \\|·\\|_F, \\|·\\|_\\infty", group.pos)
        return Norm(self.expr(group.items), kind, pos=group.pos)

    def _derivative_in(self, node: dict) -> tuple[Sym, ...] | None:
        """The variables of \\frac{\\mathrm{d}}{\\mathrm{d} x}, \\frac{\\partial}{\\partial x}, \\frac{\\mathrm{d}^2}{\\mathrm{d} x^2} or
        \\frac{\\partial^2}{\\partial x \\partial y} (one per order), an operator on what follows it; else None."""
        numer = _nodes_of(node["numer"])
        if len(numer) != 1:
            return None
        base, order = _ordered(numer[0])
        marks = self.read(base)
        mark = _differential_mark(marks[0]) if len(marks) == 1 else None
        denom = [n for n in _nodes_of(node["denom"]) if n.get("type") not in DROPPED]  # ∂x \, ∂y
        if mark is None or not denom or [_differential_mark(i) for i in self.read(denom[0])] != [mark]:
            return None
        variables: list[Sym] = []
        for k in range(0, len(denom), 2):
            base, power = _ordered(denom[k + 1]) if k + 1 < len(denom) else (None, 0)
            letter = self.read(base) if base is not None else []
            if [_differential_mark(i) for i in self.read(denom[k])] != [mark] or len(letter) != 1 \
                    or not (isinstance(letter[0], Operand) and isinstance(letter[0].node, Sym)):
                raise NotEvaluable("a derivative in something other than letters", position(node))
            variables += [letter[0].node] * power
        if len(variables) != order:
            raise NotEvaluable(f"a derivative of order {order} in {len(variables)} variables: the powers below "
                               "the bar add up to the one above it", position(node))
        return tuple(variables)

    def _function_scripts(self, op: Op, value: Node) -> Node:
        """The scripts on a function's name: \\log_2 x is log x / log 2, \\sin^2 t is (sin t)^2; f^{-1} (the
        inverse, or the reciprocal?) and any other subscript are not read, never dropped."""
        if op.sub is not None:
            if op.kind != "log":
                raise NotEvaluable(f"a subscript on \\{op.kind}", op.pos)
            value = Div(value, Func("log", self._script(op.sub), pos=op.pos), pos=op.pos)
        if op.sup is None:
            return value
        power = self._script(op.sup)
        if not (isinstance(power, Num) and power.value > 0):
            raise NotEvaluable(f"\\{op.kind} with the power {key(power)} on its name (the inverse function, or a "
                               f"power?): write it out, as (\\{op.kind} x)^{{…}} or \\arc…", op.pos)
        return Pow(value, power, pos=op.pos)

    def _power(self, node: Node, group: Group) -> Node:
        return node if group.sup is None else self._superscript(node, group.sup, group.pos)


def _op_body_name(body: list) -> str | None:
    """The operator \\mathop{…} or \\underset{…}{…} wraps: \\text{argmax}, \\mathbb{E}."""
    if len(body) == 1 and body[0]["type"] == "font" and body[0]["font"] == "mathbb":
        return _text_of(body[0]["body"])
    if len(body) == 1 and body[0]["type"] in ("text", "operatorname"):
        return _text_of(body[0]["body"]).strip()
    if len(body) == 1 and body[0]["type"] == "op":
        return body[0].get("name")
    return None


_BOUNDS = {"<", ">", "\\lt", "\\gt", "\\le", "\\ge", "\\leq", "\\geq", "\\leqslant", "\\geqslant", "\\in"}
# A set as (lower bound, closed, integers only). ℕ holds 0, as ISO 80000-2 and GB 3102.11 write it; ℕ_+ does not.
_SETS = {"\\mathbb{R}": (None, False, False), "\\mathbb{R}_{>0}": (0.0, False, False),
         "\\mathbb{R}_{\\ge 0}": (0.0, True, False), "\\mathbb{N}": (0.0, True, True), "\\mathbb{N}_{+}": (1.0, True, True),
         "\\mathbb{N}^{+}": (1.0, True, True), "\\mathbb{N}^{*}": (1.0, True, True), "\\mathbb{Z}_{+}": (1.0, True, True),
         "\\mathbb{Z}": (None, False, True)}


def _real_set(sub, sup, pos: Pos) -> str:
    """The key of ℝ with a script, by what it says: ℝ_+, ℝ^+, ℝ_{>0}, ℝ_{++} are the positive reals, ℝ_{\\ge 0} the
    non-negative ones (_SETS); ℝ^d is a space of vectors."""
    if sub is not None and sup is not None:
        raise NotEvaluable("\\mathbb{R} with two scripts", pos)
    script = _text_of(sub if sub is not None else sup).replace(" ", "")
    if script in ("+", "++", ">0"):
        return "\\mathbb{R}_{>0}"
    if script in ("\\ge0", "\\geq0", "\\geqslant0", "\\geq0+"):
        return "\\mathbb{R}_{\\ge 0}"
    if sup is not None and script.isdigit() or sup is not None and script.isalpha():
        raise NotEvaluable(f"\\mathbb{{R}}^{{{script}}}: a space of vectors (a notation of vectors and matrices "
                           "reads it)", pos)
    raise NotEvaluable(f"\\mathbb{{R}} with the script {script}", pos)


def _is_quad(dimension: dict) -> bool:
    """A space of a \\quad or wider (KaTeX's kern of 1em; \\; is 5mu): wide enough to part two statements."""
    number = dimension.get("number")
    size = {"em": 1.0, "mu": 1 / 18}.get(dimension.get("unit"))
    return isinstance(number, (int, float)) and size is not None and number * size >= 1.0


def _quads_between_statements(items: list) -> list:
    """'x^2 \\ge 0 \\quad x^3 \\ge 0': in a formula of one row, a \\quad between two statements separates them as a
    comma does (read as a product, it hid the second claim): only where what comes before it relates something
    and what comes after does too, or quantifies (\\forall, a domain in parentheses). Anywhere else it is only
    space (\\text{ELBO:} \\quad …, a = b \\quad + c), as in a derivation's rows (Grammar.rows)."""
    def relates(segment: list) -> bool:
        return any(_is_token(i, "rel") or _is_token(i, "forall") for i in segment) or \
            len(segment) == 1 and isinstance(segment[0], Group) and any(_is_token(i, "rel") for i in segment[0].items)

    def segment(k: int, step: int) -> list:
        out = []
        k += step
        while 0 <= k < len(items) and not (_is_token(items[k], "quad") or _is_token(items[k], "punct", ",")):
            out.append(items[k])
            k += step
        return out

    out = []
    for k, item in enumerate(items):
        if not _is_token(item, "quad"):
            out.append(item)
        elif relates(segment(k, -1)) and relates(segment(k, 1)):
            out.append(Token("punct", ",", item.pos))
    return out


def _domain_in_parentheses(items: list) -> list:
    """'(a + b)^2 = a^2 + 2ab + b^2 \\quad (a, b \\in \\mathbb{R})': a claim's trailing domain in parentheses, read
    as if after a comma. Only a last group whose relation bounds a letter (∈, <, ≤ …), after a relation."""
    last = items[-1] if items else None
    if not (isinstance(last, Group) and (last.open, last.close) == ("(", ")") and last.sub is None
            and last.sup is None and any(_is_token(i, "rel") for i in items[:-1])):
        return items
    inner = [i for i in last.items if _is_token(i, "rel")]
    if not inner or not all(i.text in _BOUNDS for i in inner) or not any(_is_letter(i) for i in last.items):
        return items
    return items[:-1] + [Token("punct", ",", last.pos)] + last.items


def _nodes_of(raw) -> list:
    """A script's KaTeX nodes: an ordgroup's body, or the one node."""
    return raw["body"] if isinstance(raw, dict) and raw.get("type") == "ordgroup" else [raw]


def _ordered(raw) -> tuple[dict, int]:
    """(\\mathrm{d}, 2) of \\mathrm{d}^2, (x, 2) of x^2, (node, 1) of anything else: a derivative's orders."""
    if raw.get("type") == "supsub" and raw.get("sub") is None and raw.get("base") is not None:
        power = _text_of(_nodes_of(raw["sup"]))
        if power.isdigit() and int(power) > 0:
            return raw["base"], int(power)
    return raw, 1


def _joins_relations(rels: list[str]) -> bool:
    """Does a ⟺ stand between two relations (x > 1 ⟺ x² > 1)? Read as a chain, its first link (x > 1) would be
    a claim of its own, false at x = 0; between two quantities (the objectives of two problems) it is the
    relation "same maximiser"."""
    def states(some: list[str]) -> bool:
        return any(q not in ("<=>", "->") for q in some)

    return any(r == "<=>" and states(rels[:k]) and states(rels[k + 1:]) for k, r in enumerate(rels))


def _differential_mark(item) -> str | None:
    """'d' for \\mathrm{d}, '∂' for \\partial, else None."""
    if isinstance(item, Token) and item.kind == "diff":
        return "d"
    if isinstance(item, Operand) and isinstance(item.node, Sym) and item.node.key() == "\\partial":
        return "∂"
    return None


def _is_letter(item) -> bool:
    return isinstance(item, Operand) and isinstance(item.node, Sym) and item.node.sub is None and item.node.sup is None


def _independence(part: list) -> Independent | None:
    """'X \\perp Y', 'X \\perp Y \\perp Z', 'X \\perp\\!\\!\\!\\perp Y' (⫫: two ⊥ run together): an Independent of the
    letters; None for anything else."""
    letters, after_perp = [], False
    for item in part:
        if _is_letter(item) and (not letters or after_perp):
            letters.append(item.node)
            after_perp = False
        elif _is_token(item, "rel", "\\perp") and letters:
            after_perp = True
        else:
            return None
    if len(letters) < 2 or after_perp:
        return None
    return Independent(tuple(letters), pos=_first_pos(part))


def _is_letter_part(part: list) -> bool:
    """A lone letter between commas (after \\forall, or not): perhaps the start of a list 'a, b > 0'."""
    body = part[1:] if part and _is_token(part[0], "forall") else part
    return len(body) == 1 and _is_letter(body[0])


def _is_token(item, kind: str, text: str | None = None) -> bool:
    return isinstance(item, Token) and item.kind == kind and (text is None or item.text == text)


def _is_dots(part: list) -> bool:
    return len(part) == 1 and isinstance(part[0], Operand) and isinstance(part[0].node, Dots)


def _relation(items: list, k: int, relations: dict[str, str] = RELATIONS) -> str | None:
    """The relation at items[k]; ':' '=' is one ':=' (read at the '=')."""
    text = items[k].text
    nxt = items[k + 1] if k + 1 < len(items) else None
    if text == ":" and isinstance(nxt, Token) and nxt.text == "=":
        return None
    if text == "=" and k > 0 and isinstance(items[k - 1], Token) and items[k - 1].text == ":":
        return ":="
    if text not in relations:
        raise NotEvaluable(f"the relation {text}", items[k].pos)
    return relations[text]


CIRCLED = {str(n): chr(0x2460 + n - 1) for n in range(1, 21)}


RANKED = {"\\approx": "≈", "\\le": "≤", "\\leq": "≤", "\\ge": "≥", "\\geq": "≥", "\\sim": "∼"}


def _is_paren(node: dict, family: str, text: str) -> bool:
    return node.get("type") == "atom" and node.get("family") == family and node.get("text") == text


def _is_ranking(items: list) -> bool:
    """Labels (①, ②) with relations between them and nothing else."""
    return len(items) >= 3 and len(items) % 2 == 1 and \
        all(isinstance(it, Operand) and isinstance(it.node, Label) for it in items[0::2]) and \
        all(isinstance(it, Token) and it.kind == "rel" for it in items[1::2])


def _circled(text: str) -> str:
    return CIRCLED.get(text, f"({text})")


def _is_word(items: list) -> bool:
    """A lone relation or operator ($\\Leftrightarrow$, $-$, $\\log$ in prose) is a word, not a statement."""
    return all(isinstance(item, Token) and item.kind in ("rel", "bin") for item in items) or \
        len(items) == 1 and isinstance(items[0], Op)


def _split(items: list, separators: set[str]) -> tuple[list[str], list[list]]:
    """items split at top-level separators: the separator before each part ('' first) and the parts."""
    seps, parts = [""], [[]]
    for item in items:
        text = getattr(item, "text", None)
        if isinstance(item, Token) and item.kind in ("punct", "bar") and text in separators:
            seps.append(text)
            parts.append([])
        else:
            parts[-1].append(item)
    return seps, parts


def _is_differential(items: list, j: int, var: Sym | None) -> bool:
    """\\mathrm{d}z, or a plain d right before the integral's own variable."""
    if j + 1 >= len(items) or not isinstance(items[j + 1], Operand) or not isinstance(items[j + 1].node, Sym):
        return False
    item = items[j]
    if isinstance(item, Token) and item.kind == "diff":
        return True
    return isinstance(item, Operand) and item.node == Sym("d") and var is not None and \
        items[j + 1].node.key() == var.key()


def _factorials(node: Node, k: int, items: list) -> tuple[Node, int]:
    """`node` with the factorials written after it (items[k:] starting with '!'), and the index past them."""
    while k < len(items) and _is_token(items[k], "postfix"):
        node = Func("factorial", node, pos=items[k].pos)
        k += 1
    return node, k


def _is_plain(node: Node) -> bool:
    """A number or a letter (scripts and a numeric power included): what a function's bare argument is made of."""
    if isinstance(node, Pow):
        return isinstance(node.base, (Num, Sym)) and isinstance(node.exp, Num)
    return isinstance(node, (Num, Sym))


def _is_number_text(text: str) -> bool:
    return bool(text) and all(c.isdigit() or c == "." for c in text) and text.count(".") <= 1


def _digit_powers(nodes: list) -> list:
    """12^2 and 0.5^2: KaTeX puts the power on the last digit alone ('1', then '2' with the power); here it goes
    on the whole number, which 1 · 2² is not."""
    out: list = []
    for node in nodes:
        base = node.get("base") if isinstance(node, dict) and node.get("type") == "supsub" else None
        if _is_digit_node(base):
            run = []
            while out and _is_digit_node(out[-1]):
                run.insert(0, out.pop())
            if run:
                text = "".join(n["text"] for n in run) + base["text"]
                start = run[0].get("pos", base.get("pos"))
                pos = [start[0], base["pos"][1]] if start and base.get("pos") else base.get("pos")
                node = {**node, "base": {**base, "text": text, "pos": pos}}
        out.append(node)
    return out


def _is_digit_node(node) -> bool:
    return isinstance(node, dict) and node.get("type") in ("textord", "mathord") and \
        _is_number_text(node.get("text", ""))


def _numbers(items: list) -> list:
    """Digit tokens -> numbers (KaTeX gives one node per digit); a '.' not between digits is prose."""
    out: list = []
    for k, item in enumerate(items):
        if not (isinstance(item, Token) and item.kind == "digit"):
            out.append(item)
            continue
        prev = out[-1] if out else None
        nxt = items[k + 1] if k + 1 < len(items) else None
        if item.text == "." and not (isinstance(nxt, Token) and nxt.kind == "digit" and nxt.text != "."):
            out.append(Token("punct", ".", item.pos))
        elif isinstance(prev, Operand) and prev.digits is not None:
            prev.digits += item.text
            prev.node = Num(float(prev.digits.rstrip(".") or 0), pos=prev.node.pos)
        else:
            out.append(Operand(Num(float(item.text) if item.text != "." else 0.0, pos=item.pos), item.text))
    return out


def _first_pos(items: list) -> Pos:
    for item in items:
        pos = getattr(item, "pos", None)
        if pos is None and isinstance(item, Operand):
            pos = item.node.pos
        if pos:
            return pos
    return None
