"""PyTorch as the oracle: the same computation in torch autograd, value and every gradient.

Every comparison with PyTorch goes through this module:

* ``torch_value_and_grads(torch, fn, arrays, grad_y)`` calls ``fn`` on float64
  tensors made from ``arrays`` (in order, positionally), back-propagates the
  upstream gradient ``grad_y`` (or differentiates a scalar value directly) and
  returns the value and the gradient of every argument as numpy arrays;
* ``assert_matches_torch(torch, fn, arrays, value, grads, grad_y)`` asserts
  that cnnref's value and gradients equal those, naming the one that differs;
* ``module_as_function(torch, module, names)`` turns a ``torch.nn.Module`` into
  a function of its inputs followed by its parameters, so a layer's
  parameters are differentiated like any other argument.

Use a random ``grad_y``: an all-ones upstream gradient (``.sum()``) cannot see a
kernel that is not rotated. ``torch`` is the session fixture of conftest.py,
which skips (or, under CNNREF_REQUIRE_ORACLES=1, fails) when PyTorch is missing.
"""

from __future__ import annotations

import warnings

import numpy as np

from .helpers import assert_close


class constant:
    """An argument given to torch without ``requires_grad``: targets, labels, fixed biases."""

    def __init__(self, array):
        self.array = np.asarray(array)


def _tensor(torch, i: int, arg):
    """Argument ``i`` as a tensor: float64 and differentiated unless ``constant``."""
    if arg is None:
        return None
    fixed = isinstance(arg, constant)
    array = arg.array if fixed else np.asarray(arg)
    if array.dtype.kind in "iub":
        if not fixed:
            raise TypeError(
                f"arrays[{i}]: a {array.dtype} array has no gradient; pass it as constant(...)"
            )
        return torch.tensor(array)
    if array.dtype.kind != "f":
        raise TypeError(f"arrays[{i}]: expected a real numeric array, got dtype {array.dtype}")
    return torch.tensor(array.astype(np.float64), requires_grad=not fixed)


def torch_value_and_grads(torch, fn, arrays, grad_y=None, **kwargs):
    """``fn(*tensors, **kwargs)`` in PyTorch autograd: ``(value, grads)`` as numpy arrays.

    ``arrays`` are numpy arrays (float64 tensors with ``requires_grad``),
    ``constant(array)`` (no gradient) or None (passed as None). The upstream
    gradient ``grad_y`` has the value's shape; without it a scalar value is
    differentiated directly and any other value is only computed (forward
    only). ``grads[i]`` is the gradient of ``arrays[i]``, None for a constant, a
    None argument or a forward-only call.
    """
    tensors = [_tensor(torch, i, a) for i, a in enumerate(arrays)]
    with warnings.catch_warnings():
        # "padding='same' with even kernel lengths ... may require a copy": a
        # performance note, not a difference in results
        warnings.filterwarnings("ignore", message="Using padding='same'")
        value = fn(*tensors, **kwargs)
    differentiated = [t is not None and t.requires_grad for t in tensors]
    backward = any(differentiated) and (grad_y is not None or value.dim() == 0)
    if grad_y is not None:
        grad_y = np.asarray(grad_y, dtype=np.float64)
        if grad_y.shape != tuple(value.shape):
            raise ValueError(
                f"grad_y: expected the value's shape {tuple(value.shape)}, got {grad_y.shape}"
            )
    if backward:
        value.backward(None if grad_y is None else torch.tensor(grad_y))
    grads = tuple(
        None
        if not (backward and d)
        # an argument the value does not depend on: its gradient is zero
        else (t.grad.numpy() if t.grad is not None else np.zeros(tuple(t.shape)))
        for t, d in zip(tensors, differentiated, strict=True)
    )
    return value.detach().numpy(), grads


def assert_matches_torch(
    torch,
    fn,
    arrays,
    value,
    grads=None,
    grad_y=None,
    tol: float = 1e-10,
    *,
    value_tol: float | None = None,
    names=None,
    what: str = "",
    nonzero: bool = False,
    **kwargs,
) -> None:
    """Assert that cnnref's ``value`` and ``grads`` equal PyTorch's for ``fn(*arrays, **kwargs)``.

    ``grads`` lines up with ``arrays``; an entry that is None is not compared
    (a constant argument, or a gradient checked elsewhere), and ``grads=None``
    compares the value only, ``value=None`` the gradients only. Each array is
    compared with ``tests.helpers.assert_close`` at relative tolerance ``tol``
    (``value_tol`` for the value when given), and a failure names it: ``value``
    or ``grad_<name>`` (``names`` are the arguments' names; ``grad[i]`` without
    them), after the prefix ``what``. ``nonzero=True`` also refuses an all-zero
    reference.
    """
    if value is None and grads is None:
        raise ValueError("value, grads: nothing to compare")
    if names is None:
        labels = [f"grad[{i}]" for i in range(len(arrays))]
    else:
        labels = [f"grad_{name}" for name in names]
    if len(labels) != len(arrays) or (grads is not None and len(grads) != len(arrays)):
        raise ValueError(
            f"names, grads: expected one per argument ({len(arrays)}), "
            f"got {len(labels)} names and {None if grads is None else len(grads)} gradients"
        )
    value_t, grads_t = torch_value_and_grads(torch, fn, arrays, grad_y, **kwargs)
    prefix = f"{what} " if what else ""
    if value is not None:
        tol_value = tol if value_tol is None else value_tol
        assert_close(value, value_t, tol_value, f"{prefix}value", nonzero=nonzero)
    if grads is None:
        return
    for label, ours, theirs in zip(labels, grads, grads_t, strict=True):
        if ours is None:
            continue
        if theirs is None:
            raise ValueError(
                f"grads: PyTorch computed no {label} (a constant or None argument, "
                "or a non-scalar value without grad_y)"
            )
        assert_close(ours, theirs, tol, f"{prefix}{label}", nonzero=nonzero)


def module_as_function(torch, module, names):
    """``module`` as a function of its inputs followed by its parameters, in ``names`` order.

    ``names`` must name every parameter of the module (``module.named_parameters``,
    which for ``nn.Sequential`` are cnnref's ``Sequential`` names too). The
    module runs in float64 on the tensors it is given
    (``torch.func.functional_call``), so its own initial values play no part.
    """
    names = list(names)
    own = [name for name, _ in module.named_parameters()]
    if sorted(own) != sorted(names):
        raise ValueError(f"names: expected the module's parameters {own}, got {names}")
    module = module.double()

    def fn(*tensors):
        inputs, parameters = tensors[: len(tensors) - len(names)], tensors[-len(names) :]
        return torch.func.functional_call(
            module, dict(zip(names, parameters, strict=True)), inputs
        )

    return fn
