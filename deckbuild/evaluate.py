"""Slide formulas -> their truth on concrete models, evaluated from the slide's own LaTeX.

What the audience sees is what is checked: latexeval reads KaTeX's parse tree of
each derivation row and of every other formula, with the deck's notation, and
computes it on the notation's model instances at random draws. A derivation row
is verified by that evaluation (a Python check in derivations/ can only add a
proof, see verify.py); a formula outside a derivation that states a relation is
evaluated the same way, and a false one is an error in `check` and marked on the
slide.

`<slide-definition>` is honoured only where the formula introduces a name (`:=`,
`\\triangleq`, `\\equiv`, `\\sim`, or a left side the notation does not know);
`<slide-definition condition>` marks a condition the slide assumes ("when θ̂ = θ").
Any other "definition" is a claim and evaluated like every formula.

A formula is read with the notation of the derivations on its slide, then the
deck's, then each other notation the deck's derivations name; the first that gives
it a meaning decides: the KL slides' prose speaks of the p and q of
`notation="divergences"`; and KL(p‖q) of two bare letters, in any deck, is read last by
`divergences` (it speaks of any two distributions). One that no notation can
read is "not checked", with the construct as the reason, never passed.

Results are cached by a hash of the evaluator, the notation and the formula, so a
rebuild that changed no formula starts no Node process.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import elements
from katexbridge.bridge import WORKER

from .cache import Cache, key as cache_key
from .conditions import condition_cue, shared_cues
from .diagnostics import Report
from .language import ENGLISH, phrase
from .model import Deck, Element, Math, Slide

_LATEXEVAL = Path(__file__).resolve().parent.parent / "latexeval"

# How strongly a row or formula is checked, strongest first (the slide's mark and the details say which).
PROVED, EVALUATED, DEFINITION, NOT_CHECKED, FAILING = "proved", "evaluated", "definition", "not checked", "failing"
ASSUMED = "assumed"  # a hypothesis the slide states (a theorem's condition): neither a name nor a checked claim
STRENGTHS = (PROVED, EVALUATED, DEFINITION, ASSUMED, NOT_CHECKED, FAILING)
GENERAL = "general"  # the notation of a deck that names none (latexeval/notations/general.yaml)
# why such a deck's formula is not checked, when it states no domain for its letters (in each language: language.py)
NO_NOTATION = "not evaluable: " + phrase(ENGLISH, "because.no-notation")
# KL(p‖q) or JS(p‖q) of two bare letters speaks of any two distributions, whatever the deck's model: a formula
# saying so that the deck's notations cannot read is read by this one (p and q of one variable)
DIVERGENCES = "divergences"
_OF_ANY_TWO_DISTRIBUTIONS = re.compile(r"\\(?:text|mathrm|operatorname)\s*\{\s*(?:KL|JS)\s*\}\s*(?:\\left)?\(\s*[pq]\s*"
                                       r"\\\|\s*[pq]\s*(?:\\right)?\)")
# Relations in a formula's LaTeX, for cheap tests before reading it: those the evaluator reads, and any at all
_READ_COMMANDS = "leq?|geq?|leqslant|geqslant|lt|gt|Leftrightarrow|Longleftrightarrow|iff|in"
_READ = re.compile(rf"[=<>]|\\(?:{_READ_COMMANDS})(?![a-zA-Z])")
_RELATION = re.compile(rf"[=<>]|\\(?:{_READ_COMMANDS}|neq?|approx|equiv|triangleq|coloneqq|propto|sim|simeq|cong)"
                       r"(?![a-zA-Z])")
# a formula that says it defines what it names (:=, ≔, ≜, "def" over =)
_DEFINES = re.compile(r":=|\\(?:coloneqq|triangleq)(?![a-zA-Z])|"
                      r"\\(?:overset|stackrel)\{\s*\\(?:text|mathrm)\{def\}\s*\}\{=\}")
# and any relation at all a formula may state (a formula with none is prose math: $\textcircled{1}$, $p(z|x)$)
_ANY_RELATION = re.compile(_RELATION.pattern + r"|\\(?:ll|gg|lesssim|gtrsim|subset|subseteq|supset|supseteq|succ|"
                           r"succeq|prec|preceq|asymp|doteq|perp|parallel|notin|ni|implies|impliedby|Rightarrow|"
                           r"Longrightarrow|Leftarrow|Longleftarrow)(?![a-zA-Z])")


@dataclass
class RowTruth:
    index: int
    ok: bool | None  # None: not evaluable, or states no relation
    detail: str
    not_evaluable: str | None = None
    offset: int | None = None
    draws: int = 0  # N: random draws per model instance
    instances: list[str] = field(default_factory=list)  # the M model instances it was evaluated on
    failure: dict | None = None  # {"instance", "draw", "lhs", "rhs", "relation"} where it failed
    notation: str = ""  # the notation that read it
    # its relation's two sides at every draw, per instance ({instance: {"draws", "lhs", "rhs"}}), for a row
    # that relates two numbers: what a Python check of the same step must equal to prove it (verify.py)
    sides: dict | None = None
    defines: tuple[str, ...] = ()  # names a formula introduces and nothing else (a linear-algebra slide's)
    assumed: bool = False  # a hypothesis its notation lists under 'conditions'
    said: list[dict] = field(default_factory=list)  # why it holds, clause by clause (latexeval.said.Said's fields)


@dataclass(eq=False)
class FormulaCheck:
    """A formula outside a derivation: how strongly it is checked, and why."""

    math: Math
    strength: str  # one of STRENGTHS (never "proved": no Python check speaks of it)
    reason: str
    truth: RowTruth | None = None
    in_definition: bool = False


@dataclass
class DeckTruth:
    rows: dict[str, list[RowTruth]] = field(default_factory=dict)  # by derivation id
    formulas: list[FormulaCheck] = field(default_factory=list)

    def formula_strengths(self) -> dict[Math, str]:
        return {f.math: f.strength for f in self.formulas}


def _code_hash() -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in _LATEXEVAL.rglob("*") if p.suffix in (".py", ".yaml", ".cjs")):
        h.update(path.relative_to(_LATEXEVAL).as_posix().encode() + b"\0" + path.read_bytes())
    h.update(WORKER.read_bytes())  # the parse trees come from the KaTeX worker
    return h.hexdigest()


def _truths_shape(value) -> bool:
    fields = set(RowTruth.__dataclass_fields__)
    return isinstance(value, list) and all(isinstance(r, dict) and set(r) == fields for r in value)


def _definition_shape(value) -> bool:
    return isinstance(value, dict) and set(value) == {"named"} and isinstance(value["named"], (str, type(None)))


class EvaluationCache:
    """Evaluated rows in the build's cache, keyed by the evaluator's code as well as the formula."""

    def __init__(self, cache: Cache):
        self.code = _code_hash()
        self.table = cache.table("latexeval", _truths_shape)
        self.definitions = cache.table("latexeval-definitions", _definition_shape)

    def key(self, *parts) -> str:
        return cache_key("latexeval", self.code, *parts)

    def get_or(self, key: str, compute) -> list[RowTruth]:
        return [RowTruth(**r) for r in self.table.get_or(key, lambda: [asdict(r) for r in compute()])]

    def definition_or(self, key: str, compute) -> str | None:
        """What a `<slide-definition>` formula names (None: it names nothing), computed once per formula."""
        return self.definitions.get_or(key, lambda: {"named": compute()})["named"]


def known_notations() -> list[str]:
    return sorted(p.stem for p in (_LATEXEVAL / "notations").glob("*.yaml"))


def evaluate_deck(deck: Deck, cache: EvaluationCache, report: Report, *, failing_is_error: bool = False) -> DeckTruth:
    """Truth of every derivation row (by link id) and of every other formula; problems reported here."""
    out = DeckTruth()
    named = deck.meta.get("notation") or attached_notation(deck, report)
    notation = named or GENERAL
    known = known_notations()
    if notation not in known and not named:
        return out
    hint = f"notations are latexeval/notations/<name>.yaml; known: {', '.join(known)}"
    if notation not in known:
        report.error(deck.path, 1, 1, f"front matter names an unknown notation '{notation}'", hint)
        return out
    from latexeval import optima_shared
    from latexeval.errors import NotationError

    try:
        with optima_shared():  # the deck's rows and formulas certify each optimum they share once
            _evaluate(deck, notation, known, hint, cache, report, failing_is_error, out, one_warning=not named)
    except NotationError as exc:  # a mistake in the notation file itself
        report.error(exc.path, exc.line, 1, exc.message, exc.hint)
    if not named:
        _report_unnamed(deck, out, report)
    return out


_MARKUP = re.compile(r"\\mathrm\{d\}|\\(?:textcolor|color)\{[^{}]*\}")  # a differential, a colour's name: no letters
_COMMAND = re.compile(r"\\([a-zA-Z]+)")
# Commands that are no letter of the slide: functions and operators the evaluator reads, spacing, sizes, fonts.
_NOT_LETTERS = frozenset("""log ln exp sqrt frac dfrac tfrac sin cos tan tanh sinh cosh arctan arcsin arccos max min sum prod
    int binom dbinom tbinom choose lfloor rfloor lceil rceil left right big
    Big bigg Bigg bigl bigr Bigl Bigr cdot times le ge leq geq lt gt leqslant geqslant Leftrightarrow
    Longleftrightarrow iff in forall mathbb bm mathbf boldsymbol quad qquad infty partial displaystyle textstyle
    small tiny large normalsize mid vert lvert rvert approx propto sim pi""".split())
_LABEL = re.compile(r"\\textcircled\s*\{(?:[^{}]|\{[^{}]*\})*\}")  # ①: \textcircled{1}, \textcircled{\small 1}
_NOT_ITEMS = re.compile(r"\\(?:approx|sim|simeq|equiv|neq?|[lg]eq?|[lg]eqslant|[lg]t|ll|gg|prec|succ|quad|qquad)"
                        r"(?![a-zA-Z])|\\[;,:!]|[\s{}=<>~]")  # relations, spacing and grouping around the labels


def relates_labels_only(tex: str) -> bool:
    """Does the formula only relate labels (① ≈ ②, ③ < ① ≈ ④ < ②: items named on the slide, no quantities)?"""
    rest, labels = _LABEL.subn(" ", tex)
    return labels >= 2 and not _NOT_ITEMS.sub("", rest)


_BOUND_INDEX = re.compile(r"\\(?:sum|prod)\s*_\s*\{?\s*([a-zA-Z])\s*=")
_INTEGRATION_VARIABLE = re.compile(r"\\mathrm\{d\}\s*\{?\s*([a-zA-Z])")
_BOUND = r"(?:<|>|\\[lg]eq?(?![a-zA-Z])|\\[lg]t(?![a-zA-Z])|\\[lg]eqslant)"
_SPACE = r"(?:\s|\\[;,:!]|\\quad|\\qquad|~)*"
# a stated domain: \forall, \in, independence (X \perp Y), or after a comma or in parentheses "t > 0", "0 < t" (a
# letter bounded by a number)
_DOMAIN = re.compile(rf"\\forall|\\in(?![a-zA-Z])|\\perp(?![a-zA-Z])|"
                     rf"[,(]{_SPACE}(?:[a-zA-Z]\s*{_BOUND}|-?[0-9.]+\s*{_BOUND}\s*[a-zA-Z])")


def says_by_itself(tex: str) -> bool:
    """Might a formula mean something with no notation (general.yaml)? Only if it states a domain (\\forall,
    \\in, a trailing bound) or its letters are summation indices, integration variables, e and π, and it
    relates something. A cheap test on the LaTeX: when it says no, the evaluator would only find a letter no
    notation gives a meaning (a Greek letter counts: \\hat{\\theta} = \\theta is such a formula); it may say yes
    and the evaluator find that."""
    if not _READ.search(tex):
        return False  # its relations are ones the evaluator does not read (≈, ∝, ∼)
    if _DOMAIN.search(tex):
        return True
    plain = _MARKUP.sub(" ", tex)
    letters = set(re.findall(r"[a-zA-Z]", _COMMAND.sub(" ", plain))) | (set(_COMMAND.findall(plain)) - _NOT_LETTERS)
    if not letters and not re.search(r"[0-9]", plain):
        return False  # a relation between nothing: a lone \\Leftrightarrow of the prose
    return letters <= {"e"} | set(_BOUND_INDEX.findall(tex)) | set(_INTEGRATION_VARIABLE.findall(tex))


def _report_unnamed(deck: Deck, out: DeckTruth, report: Report) -> None:
    """A deck that names no notation: one warning for all it leaves unchecked, not one per formula
    (the reason is the same for each: no letter of the deck means anything yet)."""
    unchecked = [c for c in out.formulas if c.strength == NOT_CHECKED]
    if not unchecked:
        return
    first = unchecked[0].math
    report.warning(first.path, *first.locate(0),
                   f"{len(unchecked)} of the {len(out.formulas)} formulas with a relation are not checked (the first "
                   "is here): the deck names no notation, so only what a formula says by itself is evaluated (a free "
                   "variable with its domain, as in t - 1 - \\log t \\ge 0, \\; \\forall t > 0; numbers)",
                   "write a notation saying what the deck's letters are (docs/notations.md) and name it: "
                   "'notation: <name>' in the front matter, or a line in latexeval/decks.yaml")


def _evaluate(deck: Deck, notation: str, known: list[str], hint: str, cache: EvaluationCache, report: Report,
              failing_is_error: bool, out: DeckTruth, one_warning: bool = False) -> None:
    from latexeval.errors import NotEvaluable

    macros = deck.meta.get("macros") or {}
    contexts = slide_contexts(deck)
    readings = [notation]
    for link in deck.links:
        name = link.element.attrs.get("notation") or notation
        if name not in known:
            report.error(link.element.path, link.element.line, link.element.col,
                         f"<slide-derivation notation=\"{name}\">: no such notation", hint)
            continue
        if name not in readings:
            readings.append(name)
        wrt = link.element.attrs.get("wrt")
        rows = [(r.relation, r.latex) for r in link.rows]
        slide, context = _context_for(name, contexts.get(id(link.math)))
        try:
            out.rows[link.id] = cache.get_or(cache.key("rows", name, wrt, macros, rows, slide, context),
                                             lambda: _rows(rows, name, wrt, macros, slide, context))
        except (NotEvaluable, ValueError) as exc:  # the derivation's attributes, not a row, cannot be read
            report.error(link.element.path, link.element.line, link.element.col,
                         f"derivation '{link.id}' (wrt={wrt!r}): {exc}",
                         "wrt names a parameter of the notation, in LaTeX, e.g. wrt=\"\\phi\"")
    on_slide = {id(slide): [lk.element.attrs.get("notation") for lk in deck.links
                            if any(lk.element is el for el in slide.body.walk())] for slide in deck.slides}
    for slide in deck.slides:
        for math, definition, cue in formulas_outside_derivations(slide):
            if relates_labels_only(math.tex):
                continue  # ① ≈ ②: the slide's items by their labels, not quantities
            if cue is not None and definition is None and _ANY_RELATION.search(math.tex):
                out.formulas.append(FormulaCheck(math, ASSUMED, f"a condition, as the slide's text says "
                                                 f"(“{cue}”), not a claim"))
                continue
            if one_warning and not _RELATION.search(math.tex):
                continue  # prose math of a deck with no notation ($\\textcircled{1}$): no claim to count as unchecked
            of_two = DIVERGENCES in known and bool(_OF_ANY_TWO_DISTRIBUTIONS.search(math.tex))
            if one_warning and definition is None and not (of_two or says_by_itself(math.tex)):
                if _DEFINES.search(math.tex):  # q = Q(x) := argmin …: it gives its letters their meaning
                    out.formulas.append(FormulaCheck(math, DEFINITION, "defined with := (a definition, not a claim)"))
                else:
                    out.formulas.append(FormulaCheck(math, NOT_CHECKED, NO_NOTATION))
                continue  # the evaluator could say no more, and a catalogue of such decks need not load it
            order = [n for n in on_slide[id(slide)] if n in readings] + readings + ([DIVERGENCES] if of_two else [])
            check = _formula_check(math, definition, list(dict.fromkeys(order)), macros, cache,
                                   contexts.get(id(math)))
            if check is not None:
                out.formulas.append(check)
                if not (one_warning and check.strength == NOT_CHECKED):
                    _report_formula(check, report, failing_is_error)


def _formula_check(math: Math, definition: Element | None, readings: list[str], macros: dict,
                   cache: EvaluationCache, slide_context) -> FormulaCheck | None:
    if definition is not None and "condition" in definition.attrs:
        return FormulaCheck(math, ASSUMED, "a condition the slide assumes, not a claim", in_definition=True)
    if definition is not None:
        named = cache.definition_or(cache.key("definition", readings[0], macros, math.tex),
                                    lambda: _definition_of(math.tex, readings[0], macros))
        if named:
            return FormulaCheck(math, DEFINITION, named, in_definition=True)
    truth = None
    for name in readings:
        context = _context_for(name, slide_context)
        (truth,) = cache.get_or(cache.key("formula", name, macros, math.tex, *context),
                                lambda: [_formula(math.tex, name, macros, *context)])
        if not truth.not_evaluable:
            break
    if truth.ok is None and not truth.not_evaluable:
        if truth.defines or truth.assumed:  # "θ_i = b^{-2i/d}" read from the slide, or the theorem's hypothesis
            return FormulaCheck(math, DEFINITION if truth.defines else ASSUMED, truth.detail, truth,
                                definition is not None)
        if definition is None:
            return None  # prose math that states no relation: nothing to check
        return FormulaCheck(math, NOT_CHECKED, "marked as a definition, but introduces no name and states no relation",
                            truth, True)
    if truth.ok is None:
        if definition is None and not _ANY_RELATION.search(math.tex):
            return None  # prose math the evaluator cannot read, stating no relation ($\textcircled{1}$): no claim
        return FormulaCheck(math, NOT_CHECKED, f"not evaluable: {truth.not_evaluable}", truth, definition is not None)
    return FormulaCheck(math, EVALUATED if truth.ok else FAILING, truth.detail, truth, definition is not None)


def _definition_of(tex: str, notation: str, macros: dict) -> str | None:
    from latexeval import definition_of

    return definition_of(tex, notation, macros=macros)


def attached_notation(deck: Deck, report: Report | None = None) -> str | None:
    """The notation latexeval/decks.yaml attaches to a deck by its file name or title (the deck file itself
    names none and stays as the lecturer wrote it), or None."""
    import yaml

    from .source import YAML_LOADER

    path = _LATEXEVAL / "decks.yaml"
    if not path.exists():
        return None
    try:
        attached = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if report is not None:
            report.error("latexeval/decks.yaml", mark.line + 1 if mark else 1, 1, f"not valid YAML: {exc}",
                         '"Deck file name.md": notation-name, one deck a line')
        return None
    if not isinstance(attached, dict):
        return None
    return attached.get(Path(deck.path).name) or attached.get(deck.meta.get("title") or "")


def _rows(rows, notation, wrt, macros, slide=None, context=()) -> list[RowTruth]:
    from latexeval import evaluate_derivation

    return [RowTruth(r.index, r.ok, r.detail, r.not_evaluable, r.offset, r.draws, list(r.instances), r.failure,
                     notation, r.sides)
            for r in evaluate_derivation(rows, notation, wrt=wrt, macros=macros, slide=slide, context=context)]


def _formula(tex, notation, macros, slide=None, context=()) -> RowTruth:
    from latexeval import evaluate_formula

    f = evaluate_formula(tex, notation, macros=macros, slide=slide, context=context)
    row = next((r for r in f.rows if r.ok is False), None) or next((r for r in f.rows if r.ok), None)
    draws, instances, failure = (row.draws, list(row.instances), row.failure) if row else (0, [], None)
    said = [asdict(s) for r in f.rows if r.ok for s in r.said]
    return RowTruth(1, f.ok, f.detail, f.not_evaluable, f.offset, draws, instances, failure, notation,
                    defines=f.defines, assumed=f.assumed, said=said)


def formulas_outside_derivations(slide: Slide) -> list[tuple[Math, Element | None, str | None]]:
    """A slide's formulas outside derivations, each with the <slide-definition> around it (or None) and the
    words of the sentence around it that make it a condition ("当 … 时", "if"; conditions.py), or None."""
    out = []

    def visit(block, definition: Element | None):
        pieces = block.pieces
        mine, cues, between = [], [], []  # this block's formulas (places in `out`), their cues, the text after each

        def text(i: int) -> str:
            return pieces[i] if 0 <= i < len(pieces) and isinstance(pieces[i], str) else ""

        for i, piece in enumerate(pieces):
            if isinstance(piece, Math):
                mine.append(len(out))
                out.append((piece, definition, None))
                cues.append(condition_cue(text(i - 1), text(i + 1)))
                between.append(text(i + 1) if i + 2 < len(pieces) and isinstance(pieces[i + 2], Math) else "")
            elif isinstance(piece, Element) and piece.body is not None and not elements.kind_of(piece).derivation:
                claims = elements.kind_of(piece).claims
                visit(piece.body, definition if claims else piece)
        for place, cue in zip(mine, shared_cues(cues, between)):
            out[place] = (out[place][0], definition, cue)

    visit(slide.body, None)
    return out


def free_formulas(deck: Deck) -> list[Math]:
    """Formulas outside derivations and definitions, and not stated as conditions: the claims."""
    return [m for slide in deck.slides for m, definition, cue in formulas_outside_derivations(slide)
            if definition is None and cue is None]


def _on_no_model(truth: RowTruth) -> bool:
    """A failure of a claim about free variables alone (its values, on no model instance)."""
    return truth.failure is not None and "lhs" in truth.failure and "instance" not in truth.failure


def failure_text(truth: RowTruth) -> str:
    """'on gmm at draw 5: lhs = -3.21, rhs = -2.87' — the model, the draw and both values."""
    f = truth.failure or {}
    if _on_no_model(truth):
        return truth.detail  # the detail names the values of the free variables where it fails
    if "lhs" in f:
        return f"on {f.get('instance', '?')} at draw {f['draw']}: lhs = {f['lhs']:.6g}, rhs = {f['rhs']:.6g}"
    if "spread" in f:
        return f"on {f.get('instance', '?')} near draw {f['draw']}: lhs - rhs is not constant " \
               f"(changes by {f['spread']:.3g}, relative)"
    return truth.detail


def _report_formula(check: FormulaCheck, report: Report, failing_is_error: bool) -> None:
    math, truth = check.math, check.truth
    where = math.locate((truth.offset if truth else 0) or 0)
    if check.strength == FAILING:
        say = report.error if failing_is_error else report.warning
        what = "this \"definition\" states a claim, and it" if check.in_definition else "this formula"
        on = "for the values it states" if _on_no_model(truth) else f"on the deck's models ({truth.notation})"
        say(math.path, *where, f"{what} does not hold {on}: {failure_text(truth)}",
            "fix the formula; a definition introduces a name (:=, \\triangleq, or a symbol the notation does not know)",
            excerpt=math.tex.strip())
    elif check.strength == NOT_CHECKED:
        report.warning(math.path, *where, f"not checked: {check.reason}",
                       "write it so the notation can read it, or mark a definition <slide-definition> "
                       "(a condition: <slide-definition condition>)", excerpt=math.tex.strip())


def report_rows(link, truths: list[RowTruth], report: Report) -> None:
    """Where a derivation row cannot be evaluated, point at the construct."""
    for row, truth in zip(link.rows, truths):
        if truth.not_evaluable:
            line, col = link.math.locate(row.offset + (truth.offset or 0))
            report.warning(link.element.path, line, col,
                           f"derivation '{link.id}' step {row.index}: not checked: {truth.not_evaluable}",
                           "the row stays unchecked until the evaluator understands it (latexeval/)")


def slide_contexts(deck: Deck) -> dict[int, tuple[str, tuple[str, ...]]]:
    """For each formula (by id): its slide's title and the formulas of its own and earlier slides, whose
    definitions (θ_i = b^{-2i/d}, R_{i,θ} := […]) a linear-algebra notation takes from the slides, nearest
    first: the formula itself and those before it, back to the first slide, then the rest of its slide (a
    'where …' after it). The first definition of a name in that order is the one in effect, so a name the
    lecture defines again means the new definition from there on, and the old one before it."""
    out, seen = {}, []
    for slide in deck.slides:
        maths = [p for p in slide.body.walk() if isinstance(p, Math)]
        here = [m.tex for m in maths]
        for j, math in enumerate(maths):
            out[id(math)] = (slide.title, tuple(reversed(seen + here[:j + 1])) + tuple(here[j + 1:]))
        seen.extend(here)
    return out


def free_formulas_in_context(deck: Deck) -> list[tuple[Math, tuple[str, tuple[str, ...]]]]:
    """Each free formula with its slide context (slide_contexts)."""
    contexts = slide_contexts(deck)
    return [(m, contexts.get(id(m), (None, ()))) for m in free_formulas(deck)]


def _context_for(notation: str, context) -> tuple[str | None, tuple[str, ...]]:
    """The slide context, for a notation that reads it (a linear-algebra one); none otherwise, so that an
    edit on an earlier slide does not invalidate the cached evaluations of the other notations."""
    from latexeval.notation import is_linear

    if context is None or not is_linear(notation):
        return None, ()
    return context
