"""Emit numpy code from the derivations: the loss and every gradient of each case's networks.

For each network the loss is built symbolically by the derivation module
(the very expressions its proofs are about), every gradient is SymPy's
brute-force derivative of the whole loss (``sympy.diff``, which the proofs
show equal to the closed-form convolution formulas), and the lot goes through
common-subexpression elimination (``sympy.cse``). The result is written as one
numpy function per network under ``cnnref/generated/``:

* every symbol ``x_12`` becomes the entry ``x[..., 0, 1]``, so the code vectorises over
  any leading batch axes (weights may carry them too, or not); results carry
  the broadcast batch shape, the loss is per sample;
* the code is laid out by the project's formatter: the emitted text goes
  through ``ruff format`` (the version ``pyproject.toml`` pins, its settings),
  with comments marking the inputs, the intermediate terms and the outputs;
* no dates, no versions, symbols in a fixed order: regenerating writes the
  same bytes, and ``python -m derivations --check`` compares them with the
  committed files.
"""

from __future__ import annotations

import difflib
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.pycode import PythonCodePrinter

from . import writer
from .network import gradient
from .proof import CORRELATION

ROOT = Path(__file__).resolve().parents[1]
GENERATED_DIR = ROOT / "cnnref" / "generated"
INDENT = "    "


@dataclass
class Argument:
    """An input of the generated function: a name and an array of symbols (any shape)."""

    name: str
    symbols: np.ndarray  # dtype=object; shape () for a per-sample scalar such as t
    meaning: str


@dataclass
class Network:
    """One network: its inputs, its loss and the gradients to emit, in the returned order."""

    slug: str  # module name under cnnref/generated
    source: str  # the derivation module that builds the network
    function: str
    summary: str
    description: str
    convention: str
    arguments: list[Argument]
    loss: sp.Expr
    gradients: list[tuple[str, np.ndarray]] = field(default_factory=list)

    def outputs(self) -> list[tuple[str, np.ndarray]]:
        """``[('loss', array(L)), ('grad_x', ∂L/∂x), ...]``."""
        return [("loss", np.array(self.loss, dtype=object)), *self.gradients]


def _code_symbols(net: Network) -> None:
    """Rename every input symbol to a Python identifier: ``<argument>_<1-based index>``.

    The derivations name symbols for the page (``k^(1)_11`` for instance); the
    emitted code needs names it can assign to.
    """
    mapping = {}
    for arg in net.arguments:
        renamed = np.empty(arg.symbols.shape, dtype=object)
        for index in np.ndindex(arg.symbols.shape):
            suffix = "_" + "".join(str(i + 1) for i in index) if index else ""
            renamed[index] = sp.Symbol(f"{arg.name}{suffix}", real=True)
            mapping[arg.symbols[index]] = renamed[index]
        arg.symbols = renamed
    net.loss = net.loss.xreplace(mapping)


def with_gradients(net: Network) -> Network:
    """Name the inputs for code and add the brute-force gradient of every input but ``t``."""
    _code_symbols(net)
    net.gradients = [
        (f"grad_{arg.name}", gradient(net.loss, arg.symbols))
        for arg in net.arguments
        if arg.name != "t"
    ]
    return net


def argument(name: str, symbols, meaning: str) -> Argument:
    """An input of the generated function (``symbols``: an array of SymPy symbols, or one)."""
    return Argument(name, np.array(symbols, dtype=object), meaning)


def networks() -> list[Network]:
    """Every emitted network: each case's ``networks()`` (a few seconds, mostly D2)."""
    from . import registry

    return [
        net for case in registry.cases() if case.has("networks") for net in case.module.networks()
    ]


# printing ---------------------------------------------------------------------------------


class _Printer(NumPyPrinter):
    """numpy's functions, Python's integer powers (``x**(-2)``, ``1/x``; not ``x**(-2.0)``)."""

    def _print_Pow(self, expr, rational=False):
        return PythonCodePrinter._print_Pow(self, expr, rational=rational)


_PRINTER = _Printer({"fully_qualified_modules": True, "allow_unknown_functions": False})


def python(expr: sp.Expr) -> str:
    """``expr`` as numpy code (``np.tanh``, ``np.exp``, ``np.arctan``); ruff lays it out."""
    return _PRINTER.doprint(expr).replace("numpy.", "np.")


def ruff_format(text: str, name: str = "generated.py") -> str:
    """``text`` formatted by the project's pinned ruff (the settings of ``pyproject.toml``).

    Deterministic for one ruff version, which ``pyproject.toml`` pins.
    """
    try:
        result = subprocess.run(
            [sys.executable, "-m", "ruff", "format", "--stdin-filename", name, "-"],
            input=text,
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
    except FileNotFoundError as error:  # pragma: no cover - no interpreter
        raise RuntimeError("ruff is needed to format the generated code") from error
    if result.returncode != 0:
        raise RuntimeError(
            "ruff could not format the generated code (install the derive extra: "
            f"pip install -e '.[derive]'): {result.stderr.strip()}"
        )
    return result.stdout


def _shape(shape: tuple[int, ...]) -> str:
    return "()" if not shape else f"({', '.join(map(str, shape))}{',' if len(shape) == 1 else ''})"


def _docstring(net: Network) -> list[str]:
    lines = [net.summary, "", *net.description.splitlines(), ""]
    if net.convention == CORRELATION:
        lines += [
            "Convention: the layers compute cross-correlation (what frameworks call",
            "convolution; cnnref.conv2d), not true convolution.",
        ]
    else:
        lines.append("Convention: no convolution (dense layers only).")
    lines += [
        "",
        "The logistic sigmoid and its slope are evaluated as SymPy writes them,",
        "1 / (1 + exp(-u)) and exp(-u) / (1 + exp(-u))²: below u ≈ -709, exp(-u)",
        "overflows (a numpy warning) and the gradients are nan.",
    ]
    lines += ["", "Arguments (``...``: batch axes, any number; they broadcast):", ""]
    for arg in net.arguments:
        shape = ", ".join(["...", *map(str, arg.symbols.shape)])
        lines.append(f"- ``{arg.name}``: ({shape}) {arg.meaning}")
    names = ", ".join(name for name, _ in net.outputs())
    lines += ["", f"Returns ``({names})``:", "", "- ``loss``: (...) the loss of each sample"]
    for name, values in net.gradients:
        shape = ", ".join(["...", *map(str, values.shape)])
        lines.append(f"- ``{name}``: ({shape}) ∂L/∂{name[5:]} of each sample")
    lines += [
        "",
        "Gradients are per sample: a weight shared by a batch gets one gradient",
        "per sample; sum over the batch axes for the gradient of the summed loss.",
    ]
    body = [f"{INDENT}{line}" if line else "" for line in lines]
    return [f'{INDENT}"""{lines[0]}', *body[1:], f'{INDENT}"""']


def function_source(net: Network) -> str:
    """The numpy function computing the loss and every gradient of ``net``."""
    params = ", ".join(arg.name for arg in net.arguments)
    out = [f"def {net.function}({params}):", *_docstring(net)]
    batch = []
    for arg in net.arguments:
        out.append(f"{INDENT}{arg.name} = np.asarray({arg.name}, dtype=np.float64)")
    for arg in net.arguments:
        shape = arg.symbols.shape
        if shape:
            out.append(f"{INDENT}if {arg.name}.shape[-{len(shape)}:] != {_shape(shape)}:")
            expected = ", ".join(["...", *map(str, shape)])
            out.append(
                f'{INDENT * 2}raise ValueError(f"{arg.name}: expected ({expected}), '
                f'got {{{arg.name}.shape}}")'
            )
            batch.append(f"{arg.name}.shape[:-{len(shape)}]")
        else:
            batch.append(f"{arg.name}.shape")
    out.append(f"{INDENT}shape = np.broadcast_shapes({', '.join(batch)})")
    # Entries as arrays over the batch axes, or as numpy scalars for one sample
    # (arithmetic on scalars is several times faster than on 0-d arrays).
    out.append("")
    out.append(f"{INDENT}# Inputs: one name per entry, 1-based as in the derivation.")
    for arg in net.arguments:
        shape = arg.symbols.shape
        if not shape:
            out.append(f"{INDENT}{arg.name} = {arg.name}[()]")
            continue
        size, axes = int(np.prod(shape)), len(shape)
        a, batch_axes = arg.name, f"{arg.name}.ndim - {axes}"
        out.append(
            f"{INDENT}{a}_ = {a}.reshape(*{a}.shape[:-{axes}], {size})"
            f".transpose({batch_axes}, *range({batch_axes}))"
        )
        for n, index in enumerate(np.ndindex(shape)):
            out.append(f"{INDENT}{arg.symbols[index]} = {arg.name}_[{n}]")

    outputs = net.outputs()
    flat = [
        (name, index, values[index])
        for name, values in outputs
        for index in np.ndindex(values.shape)
    ]
    fresh = sp.numbered_symbols("c", real=True)
    steps, reduced = sp.cse([e for _, _, e in flat], symbols=fresh, order="canonical")
    finals = [
        (f"{name}[...{''.join(f', {i}' for i in index)}]", expr)
        for (name, index, _), expr in zip(flat, reduced, strict=True)
    ]
    # Rename the temporaries in the order they are assigned: c0, c1, ...
    names = {temp: sp.Symbol(f"c{n}", real=True) for n, (temp, _) in enumerate(steps)}
    # Two passes through Dummy names, so that an old c5 never collides with a new one.
    dummies = {temp: sp.Dummy(f"t{n}") for n, (temp, _) in enumerate(steps)}
    to_final = {dummies[temp]: names[temp] for temp in dummies}

    def rename(expr: sp.Expr) -> sp.Expr:
        return expr.xreplace(dummies).xreplace(to_final)

    out.append("")
    out.append(f"{INDENT}# Outputs: the loss and one gradient per input, per sample.")
    for name, values in outputs:
        dims = "".join(f", {n}" for n in values.shape)
        out.append(
            f"{INDENT}{name} = np.empty((*shape{dims}))"
            if dims
            else f"{INDENT}{name} = np.empty(shape)"
        )
    out.append("")
    out.append(
        f"{INDENT}# Intermediate terms: subexpressions shared by the loss and the gradients "
        "(sympy.cse)."
    )
    for temp, expr in steps:
        out.append(f"{INDENT}{names[temp]} = {python(rename(expr))}")
    out.append("")
    out.append(f"{INDENT}# The loss and the gradients, entry by entry.")
    for target, expr in finals:
        out.append(f"{INDENT}{target} = {python(rename(expr))}")
    out.append(f"{INDENT}return {', '.join(name for name, _ in outputs)}")
    return "\n".join(out) + "\n"


def module_source(net: Network) -> str:
    """The whole generated module: header, docstring, ``import numpy``, the function."""
    lines = [
        f"# Generated by derivations.emit from {net.source}; do not edit.",
        f"# Regenerate with `{writer.COMMAND}` (or `make derive`).",
        f'"""{net.summary}',
        "",
        f"Emitted by derivations.emit from the expressions that {net.source} builds and",
        "proves: the loss, and the gradient of the loss with respect to every input,",
        "as SymPy differentiates it, after common-subexpression elimination.",
        '"""',
        "",
        "import numpy as np",
        "",
        "",
        function_source(net).rstrip("\n"),
    ]
    return ruff_format("\n".join(lines) + "\n", f"cnnref/generated/{net.slug}.py")


def package_source(nets: list[Network]) -> str:
    lines = [
        "# Generated by derivations.emit; do not edit.",
        f"# Regenerate with `{writer.COMMAND}` (or `make derive`).",
        '"""numpy code emitted from the SymPy derivations (one module per network).',
        "",
    ]
    for net in nets:
        lines += [f"- ``{net.slug}.{net.function}``:", f"  {net.summary}"]
    lines += ['"""', ""]
    return "\n".join(lines)


def render(nets: list[Network] | None = None) -> dict[str, str]:
    """Every generated file, as ``{file name: text}`` (relative to ``cnnref/generated``)."""
    nets = networks() if nets is None else nets
    files = {"__init__.py": package_source(nets)}
    for net in nets:
        files[f"{net.slug}.py"] = module_source(net)
    return files


def write(root: Path | None = None, files: dict[str, str] | None = None) -> dict[str, str]:
    """Write the generated modules atomically (to ``cnnref/generated`` by default); return them."""
    root = GENERATED_DIR if root is None else root
    files = render() if files is None else files
    writer.write_all(root, files)
    return files


def differences(root: Path | None = None, files: dict[str, str] | None = None) -> list[str]:
    """Regenerate into a temporary folder and compare with the ``*.py`` files under ``root``."""
    root = GENERATED_DIR if root is None else root
    files = render() if files is None else files
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh_root = Path(tmp)
        writer.write_all(fresh_root, files)
        fresh = {p.name for p in fresh_root.glob("*.py")}
        committed = {p.name for p in root.glob("*.py")} if root.exists() else set()
        for name in sorted(fresh | committed):
            rel = f"cnnref/generated/{name}"
            if name not in committed:
                problems.append(f"missing: {rel}")
            elif name not in fresh:
                problems.append(f"not generated (stale): {rel}")
            else:
                a = (root / name).read_text(encoding="utf-8")
                b = (fresh_root / name).read_text(encoding="utf-8")
                if a != b:
                    diff = difflib.unified_diff(
                        a.splitlines(), b.splitlines(), f"committed/{rel}", f"fresh/{rel}", n=1
                    )
                    problems.append(f"differs: {rel}\n" + "\n".join(list(diff)[:12]))
    return problems
