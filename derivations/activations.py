"""Activations: undefined functions for the general proofs, concrete ones as specialisations.

A proof written with ``f = sympy.Function('f')`` holds for every
differentiable activation, since nothing about ``f`` is used but the chain
rule. The source articles' choices (tanh, arctan, the logistic sigmoid) are
then proven again as specialisations, with SymPy's own derivative of each
(see :func:`derivations.proof.derivative`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp


def logistic(s: sp.Expr) -> sp.Expr:
    """The logistic sigmoid ``1 / (1 + e^{-s})``."""
    return 1 / (1 + sp.exp(-s))


@dataclass(frozen=True)
class Activation:
    """A name for the records, the callable, and its LaTeX name."""

    name: str
    fn: object
    tex: str

    def __call__(self, arg):
        return self.fn(arg)


class Abstract(sp.Function):
    """Base of the abstract activations: a function of one argument known only by its name.

    Its derivative is another abstract function, ``f'``, so SymPy's chain rule
    writes ``f'(z) · ∂z/∂v`` directly. (A plain ``sympy.Function('f')`` gives
    the same chain rule but wraps every ``f'`` applied to an expression in a
    ``Subs`` object with a fresh dummy variable, which is slow to build and
    must be rewritten before the two sides can be compared.)
    """

    nargs = 1
    derivative_function: sp.FunctionClass

    def fdiff(self, argindex=1):
        return self.derivative_function(self.args[0])


def abstract_function(name: str) -> type:
    """A new abstract function ``name`` whose derivative is the undefined function ``name'``."""
    return type(name, (Abstract,), {"derivative_function": sp.Function(f"{name}'", real=True)})


def is_abstract(fn) -> bool:
    """True for the functions that stand for "any differentiable activation"."""
    return isinstance(fn, sp.core.function.UndefinedFunction) or (
        isinstance(fn, type) and issubclass(fn, Abstract)
    )


def undefined(name: str, tex: str | None = None) -> Activation:
    """An abstract activation: a proof with it holds for every differentiable function."""
    return Activation(name, abstract_function(name), tex or name)


TANH = Activation("tanh", sp.tanh, r"\tanh")
ARCTAN = Activation("arctan", sp.atan, r"\arctan")
LOGISTIC = Activation("logistic", logistic, r"\operatorname{logistic}")


def apply(act: Activation, a: np.ndarray) -> np.ndarray:
    """``act`` entry by entry on an object array."""
    a = np.array(a, dtype=object)
    out = np.empty(a.shape, dtype=object)
    for index in np.ndindex(a.shape):
        out[index] = act(a[index])
    return out


def apply_derivative(act: Activation, a: np.ndarray) -> np.ndarray:
    """``act'`` entry by entry (undefined ``f'`` or SymPy's derivative of the concrete one)."""
    from .proof import derivative

    a = np.array(a, dtype=object)
    out = np.empty(a.shape, dtype=object)
    for index in np.ndindex(a.shape):
        out[index] = derivative(act.fn, a[index])
    return out


def describe(**acts: Activation) -> str:
    """``'f = tanh, σ = logistic'``, or ``'f, σ undefined (any differentiable functions)'``."""
    if all(is_abstract(act.fn) for act in acts.values()):
        return ", ".join(acts) + " undefined (any differentiable functions)"
    return ", ".join(f"{role} = {act.name}" for role, act in acts.items())
