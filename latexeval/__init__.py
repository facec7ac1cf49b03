r"""Evaluate the LaTeX on a slide, so a wrong derivation row fails even when its Python check is right.

A row is read by KaTeX (the parser that renders the slide), its meaning is taken
from a notation declaration (latexeval/notations/<name>.yaml: the deck's, or the
one a derivation names), and it is computed on the concrete instances that
notation names (for DAR-5-5 a Gaussian mixture and a linear-Gaussian model) at
random parameter draws; then its relation is checked (=, <=> as "same maximiser",
<=, >=). An optimum it needs (θ^t, max over φ) is taken from the model's closed-form
EM steps and used only once certified on the objective as written. A construct
the evaluator does not understand is reported, never passed.

    evaluate_derivation([("=", r"Q(\theta, \hat{\theta}) &= …"), ("<=>", r"&\Leftrightarrow …")], "dar-5-5")
        -> [RowEvaluation(index, ok, detail, not_evaluable, offset), …]
    evaluate_formula(r"\text{ELBO} \le \sum_{i=1}^N \log p(\bm{x}_i; \theta)", "dar-5-5")
        -> FormulaEvaluation(ok, detail, not_evaluable, offset, rows)

Layers: katex.py (parse trees from one Node process) -> syntax.py (KaTeX tree ->
expr.py, presentation removed) -> evaluate.py (tree walk, values.py arithmetic,
models.py instances) -> relations.py (what each relation means) -> api.py.
"""
from .api import (FormulaEvaluation, RowEvaluation, definition_of, evaluate_derivation, evaluate_formula,
                  fixed_statements)
from .errors import NotApplicable, NotEvaluable
from .notation import load as load_notation
from .relations import optima_shared

__all__ = ["evaluate_derivation", "evaluate_formula", "definition_of", "fixed_statements", "RowEvaluation",
           "FormulaEvaluation", "NotEvaluable", "NotApplicable", "load_notation", "optima_shared"]
