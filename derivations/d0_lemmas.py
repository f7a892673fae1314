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
from .chain import Chain, Step
from .chapter import Chapter, Exercise, matrix
from .figures import Pipeline, Stage
from .proof import CONVOLUTION, CORRELATION, METHOD_LEMMA, Proof, exactly_equal, prove
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
                    rf"X * K = X \star \mathrm{{rot180}}(K) \quad"
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


# The chapter ------------------------------------------------------------------

FIGURES = {
    "network": Pipeline(
        "A valid layer as a matrix: vec(Z) = C vec(X)",
        stages=(
            Stage("X", (3, 3), "input"),
            Stage("vec X", (9,)),
            Stage("vec Z", (4,)),
            Stage("Z", (2, 2), "output"),
        ),
        operations=("flatten", "C · (4×9)", "reshape"),
    ),
}


def _sum(terms):
    return S.total(list(terms))


def _array(shape, entry) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    for index in np.ndindex(shape):
        out[index] = entry(*index)
    return out


def _rotation_chain() -> Chain:
    x, k = S.symbols("x", (3, 4)), S.symbols("k", (2, 3))
    kh, kw = k.shape
    out = (2, 2)
    R = S.rot180(k)
    return Chain(
        key="D0.steps.rotation",
        title="Convolution is correlation with the rotated kernel",
        start=r"(X * K)_{ij}",
        start_value=S.convolve2d(x, k, "valid"),
        intro=(
            "On a $3\\times 4$ input with a $2\\times 3$ kernel (rectangular, so that a "
            "swapped index reads another entry or none):"
        ),
        steps=(
            Step(
                "definition of true convolution",
                r"\sum_{a=0}^{1}\sum_{b=0}^{2} x_{i+a,\,j+b}\,k_{1-a,\,2-b}",
                value=_array(
                    out,
                    lambda i, j: _sum(
                        x[i + a, j + b] * k[kh - 1 - a, kw - 1 - b]
                        for a in range(kh)
                        for b in range(kw)
                    ),
                ),
            ),
            Step(
                "definition of rot180",
                r"\sum_{a,b} x_{i+a,\,j+b}\,\mathrm{rot180}(K)_{ab}",
                value=_array(
                    out,
                    lambda i, j: _sum(
                        x[i + a, j + b] * R[a, b] for a in range(kh) for b in range(kw)
                    ),
                ),
                conditions=(r"\mathrm{rot180}(K)_{ab} = k_{1-a,\,2-b}",),
            ),
            Step(
                "recognise a correlation",
                r"(X \star \mathrm{rot180}(K))_{ij}",
                value=S.correlate2d(x, R, "valid"),
            ),
        ),
    )


def _transpose_chain() -> Chain:
    K, delta = S.symbols("k", (2, 2)), S.symbols("delta", (2, 2))
    C = sharing_matrix(K, (3, 3), CORRELATION)
    d = list(delta.reshape(-1))

    def product(p, q):
        return _sum(C[n, p * 3 + q] * d[n] for n in range(4))

    def placed(p, q):
        return _sum(
            delta[i, j] * K[p - i, q - j]
            for i in range(2)
            for j in range(2)
            if 0 <= p - i < 2 and 0 <= q - j < 2
        )

    def window(p, q):
        return _sum(
            K[a, b] * delta[p - a, q - b]
            for a in range(2)
            for b in range(2)
            if 0 <= p - a < 2 and 0 <= q - b < 2
        )

    lhs = np.array(list(sp.Matrix(C.tolist()).T * sp.Matrix(d)), dtype=object).reshape(3, 3)
    return Chain(
        key="D0.steps.transpose",
        title="The transposed weight-sharing matrix is a full convolution",
        start=r"\bigl(C^\top \operatorname{vec}(\delta)\bigr)_{pq}",
        start_value=lhs,
        intro=(
            "The layer $Z = X \\star K$ ($3\\times 3$ input, $2\\times 2$ kernel) is "
            "$\\operatorname{vec}(Z) = C \\operatorname{vec}(X)$; its gradient with respect to "
            "$X$ is $C^\\top \\operatorname{vec}(\\delta)$. Read entry $(p, q)$:"
        ),
        steps=(
            Step(
                "a matrix-vector product",
                r"\sum_{i,j} C_{(i,j),(p,q)}\,\delta_{ij}",
                value=_array((3, 3), product),
            ),
            Step(
                "the placement rule of C",
                r"\sum_{i,j} \delta_{ij}\,k_{p-i,\,q-j}",
                value=_array((3, 3), placed),
                conditions=(r"C_{(i,j),(p,q)} = k_{p-i,\,q-j}", r"0 \le p-i,\ q-j \le 1"),
            ),
            Step(
                "substitute $a = p - i,\\ b = q - j$",
                r"\sum_{a,b} k_{ab}\,\delta_{p-a,\,q-b}",
                value=_array((3, 3), window),
                conditions=(r"\delta_{ij} = 0 \ \ (i \notin [0, 1] \lor j \notin [0, 1])",),
            ),
            Step(
                "recognise a full convolution",
                r"(\delta \mathbin{*_{\text{full}}} K)_{pq} = "
                r"\bigl(\operatorname{pad}_1(\delta) \star \mathrm{rot180}(K)\bigr)_{pq}",
                value=S.convolve2d(delta, K, "full"),
            ),
        ),
    )


def chapter() -> Chapter:
    """The rotation lemma and the weight-sharing matrix, step by step."""
    K = S.symbols("k", (2, 2))
    C = sharing_matrix(K, (3, 3), CORRELATION)
    return Chapter(
        intro=(
            "Two facts every later chapter uses. First, the true convolution of the articles "
            "is the cross-correlation of the frameworks with the kernel rotated by 180 "
            "degrees. Second, a convolution layer is a matrix product with a sparse "
            "*weight-sharing* matrix $C$, and the gradient with respect to its input is "
            "$C^\\top$ applied to $\\delta$, which is a full convolution: that is where "
            "the rotated kernel of the input gradient comes from. In the sums indices start "
            "at 0, as on the [notation page](../notation.md); the matrices name the entries "
            "from 1 ($x_{11}$ is the top-left input entry)."
        ),
        figure="network",
        forward=(
            r"(X \star K)_{ij} &= \sum_{a,b} x_{i+a,\,j+b}\,k_{ab}"
            r" && \text{cross-correlation}",
            r"(X * K)_{ij} &= \sum_{a,b} x_{i+a,\,j+b}\,k_{k_h-1-a,\;k_w-1-b}"
            r" && \text{true convolution}",
            r"\operatorname{vec}(X \star K) &= C \operatorname{vec}(X)"
            r" && C \text{ is } 4\times 9 \text{ for a } 3\times 3 \text{ input}",
        ),
        forward_text=(
            "For the $3\\times 3$ input and $2\\times 2$ kernel, row $(i, j)$ of $C$ holds "
            "the kernel at the positions of the window of $z_{ij}$:\n\n$$\nC = "
            + matrix(C)
            + "\n$$"
        ),
        chains=(_rotation_chain(), _transpose_chain()),
        exercises=_exercises(),
        remember=(
            (
                r"The articles' convolution $*$ is the frameworks' cross-correlation $\star$ with "
                r"the kernel rotated by 180 degrees: $X * K = X \star \mathrm{rot180}(K)$. "
                r"Which of the two a formula uses decides where a rotation shows up."
            ),
            (
                r"A convolution layer is a matrix product, $\operatorname{vec}(Y) = "
                r"C\,\operatorname{vec}(X)$, with a sparse weight-sharing matrix $C$ that holds "
                r"every kernel entry many times."
            ),
            (
                r"Its input gradient is $C^\top \operatorname{vec}(\delta)$. For a "
                r"cross-correlation layer, multiplying by $C^\top$ is a full convolution of "
                r"$\delta$ with the kernel, a correlation with the kernel rotated: the rotation "
                r"of the backward pass comes from the transpose. (A true-convolution layer holds "
                r"the rotation in its forward pass, and the two cancel.)"
            ),
        ),
    )


def _exercises() -> tuple[Exercise, ...]:
    import cnnref

    x, k = S.symbols("x", (3, 4)), S.symbols("k", (2, 3))
    row, taps = S.symbols("x", (1, 4)), S.symbols("k", (1, 2))
    k1, k2 = taps[0]
    expected = np.array([[k1, k2, 0, 0], [0, k1, k2, 0], [0, 0, k1, k2]], dtype=object)
    jacobian = np.array(
        _vec(S.correlate2d(row, taps, "valid")).jacobian(_vec(row)).tolist(), dtype=object
    )
    image = np.arange(1, 10, dtype=float).reshape(3, 3)
    kernel = np.array([[1.0, 2.0], [3.0, 4.0]])
    return (
        Exercise(
            "Correlate the image $1, \\dots, 9$ (row by row, $3\\times 3$) with the kernel "
            "$\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}$, and convolve it.",
            "Correlation: the top-left entry is $1\\cdot 1 + 2\\cdot 2 + 4\\cdot 3 + "
            "5\\cdot 4 = 37$, and so on: "
            "$\\begin{bmatrix}37&47\\\\67&77\\end{bmatrix}$. Convolution rotates the kernel "
            "first: $1\\cdot 4 + 2\\cdot 3 + 4\\cdot 2 + 5\\cdot 1 = 23$, giving "
            "$\\begin{bmatrix}23&33\\\\53&63\\end{bmatrix}$.",
            check=lambda: (
                np.array_equal(cnnref.correlate2d(image, kernel, "valid"), [[37, 47], [67, 77]])
                and np.array_equal(cnnref.convolve2d(image, kernel, "valid"), [[23, 33], [53, 63]])
            ),
        ),
        Exercise(
            "Show the lemma the other way round: $X \\star K = X * \\mathrm{rot180}(K)$.",
            "Apply the lemma to the kernel $\\mathrm{rot180}(K)$: "
            "$X * \\mathrm{rot180}(K) = X \\star \\mathrm{rot180}(\\mathrm{rot180}(K)) = "
            "X \\star K$, since rotating twice by 180 degrees is the identity.",
            check=lambda: exactly_equal(
                S.correlate2d(x, k, "valid"), S.convolve2d(x, S.rot180(k), "valid")
            ),
        ),
        Exercise(
            "Write the weight-sharing matrix of a valid correlation of a row of four inputs "
            "$x_{11}, \\dots, x_{14}$ with the kernel $(k_{11}, k_{12})$.",
            "Three outputs, each reading two neighbours: the kernel slides one column per "
            "row,\n\n$$\nC = " + matrix(expected) + "\n$$",
            check=lambda: exactly_equal(jacobian, expected),
        ),
    )
