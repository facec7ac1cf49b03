"""Vectors and matrices as the slides use them, with numpy, and random instances with declared properties.

Every value carries a leading batch axis, so one walk of a formula evaluates it on many
samples of its random vectors at once (Monte Carlo) and on one instance otherwise:

    a scalar           shape (B,)
    a vector           shape (B, n, 1)     (a column; its transpose is (B, 1, n))
    a matrix           shape (B, n, m)
    I                  Eye(c): c times the identity of whatever size the product or sum needs

A 1 x 1 product (q^T R k) is a scalar. A product or sum whose shapes do not fit raises
ShapeError: the formula as written has no value (a dropped transpose, an inner product
written as an outer one), which is a wrong formula, not one the evaluator cannot read.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class ShapeError(Exception):
    """The formula combines shapes that do not fit (d x 1 times d x d)."""


@dataclass(frozen=True)
class Eye:
    """c I, of the size its neighbour needs."""

    scale: object = 1.0


def is_scalar(v) -> bool:
    return not isinstance(v, Eye) and np.ndim(v) <= 1


def shape(v) -> str:
    if isinstance(v, Eye):
        return "I"
    if is_scalar(v):
        return "a scalar"
    n, m = v.shape[-2:]
    return f"{n}x{m}"


def _collapse(v):
    """A 1 x 1 matrix is the scalar it holds."""
    if not isinstance(v, Eye) and np.ndim(v) == 3 and v.shape[-2:] == (1, 1):
        return v[:, 0, 0]
    return v


def as_matrix(v, n: int):
    if isinstance(v, Eye):
        return _scale(v.scale, np.eye(n)[None])
    return v


def _scale(s, m):
    s = np.asarray(s, dtype=float)
    return s.reshape(s.shape + (1, 1)) * m if s.ndim else s * m


def add(a, b):
    if isinstance(a, Eye) and isinstance(b, Eye):
        return Eye(np.asarray(a.scale) + b.scale)
    if isinstance(a, Eye) or isinstance(b, Eye):
        other = b if isinstance(a, Eye) else a
        if is_scalar(other) or other.shape[-1] != other.shape[-2]:
            raise ShapeError(f"I added to {shape(other)}")
        a, b = as_matrix(a, other.shape[-1]), as_matrix(b, other.shape[-1])
    if is_scalar(a) != is_scalar(b) or not is_scalar(a) and a.shape[-2:] != b.shape[-2:]:
        raise ShapeError(f"a sum of {shape(a)} and {shape(b)}")
    return a + b


def neg(a):
    return Eye(-np.asarray(a.scale)) if isinstance(a, Eye) else -a


def mul(a, b):
    """Juxtaposition: a scalar scales, two matrices (or a row and a column) multiply."""
    if is_scalar(a) or is_scalar(b):
        s, m = (a, b) if is_scalar(a) else (b, a)
        if isinstance(m, Eye):
            return Eye(np.asarray(m.scale) * s)
        return s * m if is_scalar(m) else _scale(s, m)
    if isinstance(a, Eye) or isinstance(b, Eye):
        other = b if isinstance(a, Eye) else a
        if isinstance(other, Eye):
            return Eye(np.asarray(a.scale) * b.scale)
        return _scale(a.scale if isinstance(a, Eye) else b.scale, other)
    if a.shape[-1] != b.shape[-2]:
        raise ShapeError(f"a product of {shape(a)} and {shape(b)}")
    return _collapse(a @ b)


def div(a, b):
    if not is_scalar(b):
        raise ShapeError(f"a division by {shape(b)}")
    return mul(a, 1.0 / np.asarray(b, dtype=float))


def transpose(a):
    if is_scalar(a) or isinstance(a, Eye):
        return a
    return np.swapaxes(a, -1, -2)


def power(a, k):
    """a^k: a number's power, or a square matrix's (k an integer; -1 is the inverse)."""
    if is_scalar(a):
        if not is_scalar(k):
            raise ShapeError("a power with a matrix exponent")
        return np.power(np.asarray(a, dtype=float), k)
    if not is_scalar(k):
        raise ShapeError("a power with a matrix exponent")
    kk = np.unique(np.asarray(k))
    if kk.size != 1 or float(kk[0]) != int(kk[0]):
        raise ShapeError(f"a non-integer power of {shape(a)}")
    if isinstance(a, Eye):
        return Eye(np.asarray(a.scale, dtype=float) ** int(kk[0]))
    if a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"a power of {shape(a)} (not square)")
    return _collapse(np.linalg.matrix_power(a, int(kk[0])))


def inner(a, b):
    """<a, b>: a^T b of two columns; for matrices, tr(a^T b)."""
    if is_scalar(a) and is_scalar(b):
        return a * b
    if is_scalar(a) or is_scalar(b) or isinstance(a, Eye) or isinstance(b, Eye) or a.shape[-2:] != b.shape[-2:]:
        raise ShapeError(f"an inner product of {shape(a)} and {shape(b)}")
    return np.sum(a * b, axis=(-2, -1))


def hadamard(a, b):
    if is_scalar(a) or is_scalar(b) or isinstance(a, Eye) or isinstance(b, Eye) or a.shape[-2:] != b.shape[-2:]:
        raise ShapeError(f"an entrywise product of {shape(a)} and {shape(b)}")
    return a * b


def norm(a, kind: str | None):
    """|a|; \\|v\\| = \\|v\\|_2 (Euclidean), \\|v\\|_1, \\|v\\|_\\infty; for a matrix \\|A\\| = \\|A\\|_2 is the
    spectral norm, \\|A\\|_1 the largest column sum, \\|A\\|_F the Frobenius norm."""
    if kind == "abs":
        if not is_scalar(a):
            raise ShapeError(f"|…| of {shape(a)} (a norm is written \\|…\\|)")
        return np.abs(a)
    if isinstance(a, Eye):
        raise ShapeError("a norm of I of no size")
    if is_scalar(a):
        return np.abs(a)
    vector = a.shape[-1] == 1 or a.shape[-2] == 1
    flat = a.reshape(a.shape[0], -1)
    if kind == "F" or vector and kind in (None, "2"):
        return np.sqrt(np.sum(flat * flat, axis=-1))
    if vector and kind == "1":
        return np.sum(np.abs(flat), axis=-1)
    if vector:  # \infty
        return np.max(np.abs(flat), axis=-1)
    if kind in (None, "2"):
        return np.linalg.norm(a, ord=2, axis=(-2, -1))
    return np.linalg.norm(a, ord=1 if kind == "1" else np.inf, axis=(-2, -1))


def _square(a, what: str):
    if is_scalar(a) or isinstance(a, Eye) or a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"{what} of {shape(a)} (not a square matrix)")
    return a


def _softmax(a):
    """Over the entries of a vector; over each row of a matrix (as attention normalises)."""
    if is_scalar(a) or isinstance(a, Eye):
        raise ShapeError(f"softmax of {shape(a)}")
    axis = -2 if a.shape[-1] == 1 else -1
    e = np.exp(a - np.max(a, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _diag(a):
    if is_scalar(a) or isinstance(a, Eye):
        raise ShapeError(f"diag of {shape(a)}")
    if a.shape[-1] == 1:
        return a[..., 0][..., :, None] * np.eye(a.shape[-2])[None]
    return np.diagonal(_square(a, "diag"), axis1=-2, axis2=-1)[..., None]


def _elementwise(f):
    def apply(a):
        if isinstance(a, Eye):
            raise ShapeError("a function of I of no size")
        return f(a)
    return apply


FUNCTIONS = {
    "exp": _elementwise(np.exp), "log": _elementwise(np.log), "cos": _elementwise(np.cos),
    "sin": _elementwise(np.sin), "tan": _elementwise(np.tan), "tanh": _elementwise(np.tanh),
    "sqrt": _elementwise(np.sqrt), "sigmoid": _elementwise(lambda a: 1.0 / (1.0 + np.exp(-a))),
    "transpose": transpose, "softmax": _softmax, "diag": _diag,
    "tr": lambda a: np.trace(_square(a, "tr"), axis1=-2, axis2=-1),
    "det": lambda a: np.linalg.det(_square(a, "det")),
    "rank": lambda a: np.linalg.matrix_rank(a).astype(float),
    "vec": lambda a: np.swapaxes(a, -1, -2).reshape(a.shape[0], -1, 1),
}


def column(entries: list) -> np.ndarray:
    """Scalars (each (B,)) stacked as a column; matrices stacked as blocks."""
    return block([[e] for e in entries])


def block(rows: list[list]):
    """np.block over batched cells (scalars become 1 x 1 blocks)."""
    batch = max((np.shape(c)[0] for r in rows for c in r if np.ndim(c) >= 1), default=1)

    def cell(c):
        if isinstance(c, Eye):
            raise ShapeError("I of no size inside a matrix")
        c = np.asarray(c, dtype=float)
        c = np.broadcast_to(c, (batch,)) if c.ndim <= 1 else c
        return c.reshape(batch, 1, 1) if c.ndim == 1 else np.broadcast_to(c, (batch,) + c.shape[1:])

    try:
        return _collapse(np.concatenate([np.concatenate([cell(c) for c in r], axis=-1) for r in rows], axis=-2))
    except ValueError as exc:
        raise ShapeError(f"matrix blocks that do not fit ({exc})") from None


# --------------------------------------------------------------------------- #
# random instances with properties


def _rotation2(angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


def _orthogonal(n: int, rng) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _rotation(n: int, rng) -> np.ndarray:
    q = _orthogonal(n, rng)
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def _block_rotation(n: int, rng) -> np.ndarray:
    if n % 2:
        raise ShapeError(f"a block-diagonal rotation of odd size {n} (declare its size with even: true)")
    out = np.zeros((n, n))
    for t in range(n // 2):
        out[2 * t:2 * t + 2, 2 * t:2 * t + 2] = _rotation2(rng.uniform(-np.pi, np.pi))
    return out


def _adjacency(n: int, rng) -> np.ndarray:
    """D^{-1/2} (A + I) D^{-1/2} of a random undirected graph (edges with probability 1/2), as in GCN."""
    upper = np.triu(rng.random((n, n)) < 0.5, 1)
    a = (upper | upper.T).astype(float) + np.eye(n)
    d = 1.0 / np.sqrt(a.sum(axis=1))
    return d[:, None] * a * d[None, :]


def _reflection(n: int, rng) -> np.ndarray:
    u = rng.standard_normal((n, 1))
    return np.eye(n) - 2 * u @ u.T / (u.T @ u).item()


MATRIX_MAKERS = [  # the first whose properties include all declared ones is used
    ({"orthogonal", "symmetric"}, _reflection),
    ({"rotation", "orthogonal"}, _rotation),
    ({"block-rotation", "rotation", "orthogonal"}, _block_rotation),
    ({"orthogonal"}, _orthogonal),
    ({"normalised-adjacency", "symmetric", "nonnegative"}, _adjacency),
    ({"positive-definite", "symmetric"}, lambda n, rng: (lambda g: g @ g.T / n + 0.5 * np.eye(n))(
        rng.standard_normal((n, n)))),
    ({"diagonal", "symmetric"}, lambda n, rng: np.diag(rng.standard_normal(n))),
    ({"symmetric"}, lambda n, rng: (lambda g: (g + g.T) / 2)(rng.standard_normal((n, n)))),
]
CHECKS = {
    "symmetric": lambda m: np.allclose(m, m.T),
    "orthogonal": lambda m: np.allclose(m.T @ m, np.eye(len(m))),
    "rotation": lambda m: np.allclose(m.T @ m, np.eye(len(m))) and np.isclose(np.linalg.det(m), 1.0),
    "positive-definite": lambda m: np.allclose(m, m.T) and np.linalg.eigvalsh(m).min() > 0,
    "diagonal": lambda m: np.allclose(m, np.diag(np.diag(m))),
    "nonnegative": lambda m: np.all(m >= 0),
    "stochastic": lambda m: np.all(m >= 0) and np.allclose(m.sum(axis=-1), 1.0),
    "probability": lambda v: np.all(v >= 0) and np.isclose(v.sum(), 1.0),
    "unit-norm": lambda v: np.isclose(np.linalg.norm(v), 1.0),
    "block-rotation": lambda m: True, "normalised-adjacency": lambda m: True,
}


def random_matrix(n: int, m: int, properties: tuple[str, ...], rng) -> np.ndarray:
    """An n x m matrix with every declared property (ValueError if no maker gives them all)."""
    props = set(properties)
    if "stochastic" in props and props <= {"stochastic", "nonnegative"}:
        out = rng.dirichlet(np.ones(m), size=n)
    elif not props:
        out = rng.standard_normal((n, m))
    elif props == {"nonnegative"}:
        out = np.abs(rng.standard_normal((n, m)))
    else:
        maker = next((f for covers, f in MATRIX_MAKERS if props <= covers), None)
        if maker is None:
            raise ValueError(f"no random matrix is {' and '.join(sorted(props))} at once")
        out = maker(n, rng)
    _verify(out, props)
    return out


def random_vector(n: int, properties: tuple[str, ...], rng) -> np.ndarray:
    props = set(properties)
    if "probability" in props:
        out = rng.dirichlet(np.ones(n))
    elif "unit-norm" in props:
        g = rng.standard_normal(n)
        out = g / np.linalg.norm(g)
    else:
        out = rng.standard_normal(n)
    if "nonnegative" in props:
        out = np.abs(out)
    _verify(out, props)
    return out.reshape(n, 1)


def _verify(value: np.ndarray, props: set[str]) -> None:
    failed = [p for p in sorted(props) if not CHECKS[p](value)]
    if failed:
        raise ValueError(f"no random instance is {' and '.join(sorted(props))} at once")
