"""D0 — lemmas: convolution is correlation with a rotated kernel; the weight-sharing matrix.

* Lemma 1 (both modes): ``convolve2d(x, k) == correlate2d(x, rot180(k))``, for
  a 3x4 input and a 2x3 kernel (no two sizes coincide).
* Lemma 2 (the weight-sharing article's picture): a 'valid' layer on a 3x3 input with a 2x2
  kernel is a matrix product ``vec(Z) = C vec(X)`` with ``C`` the 4x9
  weight-sharing matrix; ``C`` is obtained by differentiating (the Jacobian)
  and compared with the placement rule, in both conventions.
* Lemma 3: ``C^T vec(δ)`` is the full **convolution** of δ with the kernel
  when the layer is a cross-correlation, and the full **correlation** when the
  layer is a true convolution: the transposed convolution.
* The weight-sharing article's numbers: the image 1..9 and the kernel [[1, 2], [3, 4]] give
  [[23, 33], [53, 63]] under true convolution (the article's convention),
  [[37, 47], [67, 77]] under cross-correlation.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from . import symbolic as S
from .proof import CONVOLUTION, CORRELATION, METHOD_LEMMA, Proof, prove
from .sources import QRS_CONV

CASE = "D0"
TITLE = "Lemmas: rotation, weight sharing, transposed convolution"
SOURCES = (
    f"{QRS_CONV} (the weight-sharing matrix and its numbers); every later case builds on these"
)
CHECKED_BY = (
    "tests `tests/test_d0_lemmas.py`, `tests/test_signal.py` (the weight-sharing example "
    "against `cnnref.convolve2d`); replay [the delta recursion and the weight-sharing "
    "matrix](../notebooks/delta_recursion.py)"
)
COST = 0.8


def _vec(a: np.ndarray) -> sp.Matrix:
    return sp.Matrix(list(np.array(a, dtype=object).reshape(-1)))


def sharing_matrix(k: np.ndarray, in_hw: tuple[int, int], convention: str) -> np.ndarray:
    """The placement rule: row (i, j) of C holds the kernel entry that multiplies x[p, q].

    Cross-correlation: ``C[(i,j), (p,q)] = k[p-i, q-j]``; true convolution:
    ``k[kh-1-(p-i), kw-1-(q-j)]``; zero where the kernel does not cover x[p, q].
    """
    kh, kw = k.shape
    h, w = in_hw
    oh, ow = h - kh + 1, w - kw + 1
    c = np.zeros((oh * ow, h * w), dtype=object)
    c[...] = 0
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    tap = k[a, b] if convention == CORRELATION else k[kh - 1 - a, kw - 1 - b]
                    c[i * ow + j, (i + a) * w + (j + b)] = tap
    return c


def run() -> list[Proof]:
    proofs: list[Proof] = []
    x = S.symbols("x", (3, 4))
    k = S.symbols("k", (2, 3))
    for mode in ("valid", "full"):
        proofs.append(
            prove(
                case=CASE,
                key=f"D0.rotation.{mode}",
                title=f"Convolution is correlation with the rotated kernel ({mode})",
                statement=(
                    rf"X * K = X \star \operatorname{{rot180}}(K) \quad"
                    rf" \text{{({mode}, X: 3\times 4, K: 2\times 3)}}"
                ),
                convention=f"{CONVOLUTION} vs {CORRELATION}",
                method=METHOD_LEMMA,
                lhs=S.convolve2d(x, k, mode),
                rhs=S.correlate2d(x, S.rot180(k), mode),
                label=r"(X * K)",
            )
        )
    proofs.append(
        prove(
            case=CASE,
            key="D0.rotation.control-unrotated",
            title="Control: convolution is correlation with the kernel as it is",
            statement=r"X * K = X \star K \quad \text{(valid)}",
            convention=f"{CONVOLUTION} vs {CORRELATION}",
            method=METHOD_LEMMA,
            lhs=S.convolve2d(x, k, "valid"),
            rhs=S.correlate2d(x, k, "valid"),
            control=True,
            label=r"(X * K)",
        )
    )

    # The weight-sharing article's 3x3 input with a 2x2 kernel.
    X = S.symbols("x", (3, 3))
    K = S.symbols("k", (2, 2))
    delta = S.symbols("delta", (2, 2))
    layers = {
        CORRELATION: (S.correlate2d(X, K, "valid"), r"X \star K", S.convolve2d, r"\delta * K"),
        CONVOLUTION: (S.convolve2d(X, K, "valid"), r"X * K", S.correlate2d, r"\delta \star K"),
    }
    for convention, (Z, z_tex, back, back_tex) in layers.items():
        tag = "corr" if convention == CORRELATION else "conv"
        jacobian = np.array(_vec(Z).jacobian(_vec(X)).tolist(), dtype=object)
        C = sharing_matrix(K, (3, 3), convention)
        proofs.append(
            prove(
                case=CASE,
                key=f"D0.sharing.{tag}",
                title="The weight-sharing matrix is the Jacobian of the layer",
                statement=(
                    rf"\frac{{\partial \operatorname{{vec}}({z_tex})}}"
                    r"{\partial \operatorname{vec}(X)} = C \quad (4 \times 9)"
                ),
                convention=convention,
                method="sympy Matrix.jacobian; expand(lhs - rhs) == 0 entry by entry",
                lhs=jacobian,
                rhs=C,
                label="C",
            )
        )
        lhs = np.array(list(sp.Matrix(C.tolist()).T * _vec(delta)), dtype=object)
        proofs.append(
            prove(
                case=CASE,
                key=f"D0.transpose.{tag}",
                title="The transposed weight-sharing matrix is the full transposed convolution",
                statement=(
                    rf"C^\top \operatorname{{vec}}(\delta) = \operatorname{{vec}}({back_tex})"
                    r"\quad \text{(full)}"
                ),
                convention=convention,
                method=METHOD_LEMMA,
                lhs=lhs,
                rhs=back(delta, K, "full").reshape(-1),
                label=r"(C^\top \delta)",
            )
        )
        wrong = S.correlate2d if back is S.convolve2d else S.convolve2d
        proofs.append(
            prove(
                case=CASE,
                key=f"D0.transpose.{tag}.control-rotation",
                title="Control: the transposed matrix with the other kernel orientation",
                statement=r"C^\top \operatorname{vec}(\delta) = \text{the full "
                + ("correlation" if wrong is S.correlate2d else "convolution")
                + r" of } \delta \text{ with } K",
                convention=convention,
                method=METHOD_LEMMA,
                lhs=lhs,
                rhs=wrong(delta, K, "full").reshape(-1),
                control=True,
                label=r"(C^\top \delta)",
            )
        )

    image = np.arange(1, 10, dtype=object).reshape(3, 3)
    image[...] = [[sp.Integer(v) for v in row] for row in image.tolist()]
    kernel = np.array([[sp.Integer(1), sp.Integer(2)], [sp.Integer(3), sp.Integer(4)]])
    expected = np.array([[23, 33], [53, 63]], dtype=object)
    proofs.append(
        prove(
            case=CASE,
            key="D0.example.numbers",
            title="The worked example: 1..9 with [[1, 2], [3, 4]]",
            statement=(
                r"\begin{bmatrix}1&2&3\\4&5&6\\7&8&9\end{bmatrix} * "
                r"\begin{bmatrix}1&2\\3&4\end{bmatrix} = "
                r"\begin{bmatrix}23&33\\53&63\end{bmatrix}"
            ),
            convention=CONVOLUTION,
            method=METHOD_LEMMA,
            lhs=S.convolve2d(image, kernel, "valid"),
            rhs=expected,
            label="Z",
        )
    )
    proofs.append(
        prove(
            case=CASE,
            key="D0.example.numbers.correlation",
            title="The same numbers under cross-correlation",
            statement=(
                r"\begin{bmatrix}1&2&3\\4&5&6\\7&8&9\end{bmatrix} \star "
                r"\begin{bmatrix}1&2\\3&4\end{bmatrix} = "
                r"\begin{bmatrix}37&47\\67&77\end{bmatrix}"
            ),
            convention=CORRELATION,
            method=METHOD_LEMMA,
            lhs=S.correlate2d(image, kernel, "valid"),
            rhs=np.array([[37, 47], [67, 77]], dtype=object),
            label="Z",
        )
    )
    proofs.append(
        prove(
            case=CASE,
            key="D0.example.numbers.control-unrotated",
            title="Control: the article's numbers from a correlation (kernel not rotated)",
            statement=(
                r"\begin{bmatrix}1&2&3\\4&5&6\\7&8&9\end{bmatrix} \star "
                r"\begin{bmatrix}1&2\\3&4\end{bmatrix} = "
                r"\begin{bmatrix}23&33\\53&63\end{bmatrix}"
            ),
            convention=CORRELATION,
            method=METHOD_LEMMA,
            lhs=S.correlate2d(image, kernel, "valid"),
            rhs=expected,
            control=True,
            label="Z",
        )
    )
    return proofs
