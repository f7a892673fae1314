"""The project's mutants of the conv and pooling backward passes, loaded as packages.

Each mutant of :mod:`tests.mutants` that plants a bug in a backward pass the
checker can call is applied to a temporary copy of ``cnnref`` and imported
under its own package name, next to the real cnnref (which the checker keeps
using as the right answer). ``EXPECTED`` says which diagnosis a mutant should
get ('' = caught without a name); ``LEFT_OUT`` says why the others are not run.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

from tests.mutants.catalogue import all_mutants

ROOT = Path(__file__).resolve().parents[1]

FAST, NAIVE = ("conv2d_backward",), ("conv2d_backward_naive",)
MAX, AVG = ("max_pool2d_backward",), ("avg_pool2d_backward",)
BOTH, CNNREF = ("cnnref", "cs231n"), ("cnnref",)  # groups and dilation: cnnref's convention only
# ``small``: None runs the library as it is; 0 sends every problem down the strided-taps
# and full-width col2im paths (at the checker's sizes the small-problem path is taken).
# mutant -> (functions to check, conventions, small, diagnosis expected or '' for unnamed)
EXPECTED = {
    "dx-kernel-not-rotated": (FAST, BOTH, None, "dx-kernel-not-rotated"),
    "dw-kernel-rotated": (FAST, BOTH, None, "dw-kernel-rotated"),
    "dw-transposed": (FAST, BOTH, None, "dw-transposed"),
    "dw-batch-not-summed": (FAST, BOTH, None, "dw-one-example"),
    "dw-groups-mixed-up": (FAST, CNNREF, None, "dw-groups-mixed-up"),
    "dw-dilation-ignored": (FAST, CNNREF, 0, "dw-dilation-ignored"),
    "bias-gradient-mean": (FAST, BOTH, None, "db-wrong-reduction"),
    "bincount-padding-clipped-in": (FAST, BOTH, None, ""),
    "taps-stride-ignored": (FAST, BOTH, 0, "dx-stride-ignored"),
    "taps-dilation-ignored": (FAST, CNNREF, 0, "dx-dilation-ignored"),
    "taps-remainder-rows-shifted": (FAST, BOTH, 0, "dx-remainder-rows-shifted"),
    "taps-remainder-rows-dropped": (FAST, BOTH, 0, ""),
    "taps-delta-padded-one-too-many": (FAST, BOTH, 0, "dx-cropped-off-by-one"),
    "wide-delta-padded-one-too-few": (FAST, BOTH, 0, "dx-cropped-off-by-one"),
    "wide-row-pitch-of-output": (FAST, BOTH, 0, ""),
    "output-size-ceil": (FAST + NAIVE, BOTH, None, ""),
    "naive-dx-kernel-not-rotated": (NAIVE, BOTH, None, "dx-kernel-not-rotated"),
    "naive-dw-kernel-rotated": (NAIVE, BOTH, None, "dw-kernel-rotated"),
    "naive-dw-transposed": (NAIVE, BOTH, None, "dw-transposed"),
    "naive-dw-first-example-only": (NAIVE, BOTH, None, "dw-one-example"),
    "naive-dw-groups-mixed-up": (NAIVE, CNNREF, None, "dw-groups-mixed-up"),
    "maxpool-gradient-to-last-maximum": (MAX, BOTH, None, "maxpool-gradient-to-last-maximum"),
    "maxpool-gradient-to-window-corner": (MAX, BOTH, None, "maxpool-gradient-to-window-corner"),
    "maxpool-gradient-to-every-entry": (MAX, BOTH, None, "maxpool-gradient-to-every-entry"),
    "avgpool-gradient-not-divided": (AVG, BOTH, None, "avgpool-gradient-not-divided"),
    "depthwise-stride-last-row-as-padding": (FAST, CNNREF, None, ""),
    "maxpool-backward-overwrites": (MAX, BOTH, None, ""),
}

LEFT_OUT = {
    "wide-stride-ignored": "the full-width path runs only for width stride 1; with one int "
    "stride for both axes the row stride is then 1 too, so the bug cannot show",
    "naive-dx-crop-uses-far-padding": "shows only with asymmetric padding, which neither "
    "convention passes",
    "float32-upcast-backward": "about float32 inputs; the checker runs float64",
    "bincount-upcasts-float32": "about float32 inputs; the checker runs float64",
    "same-padding-backward-split-reversed": "shows only with padding='same' and an even "
    "kernel; the checker's configurations give the padding as numbers",
    "transpose-backward-stride-dilation-swapped": "a bug of conv_transpose2d's backward, "
    "which the checker does not take",
    "avgpool-backward-full-kernel-divisor": "shows only with ceil_mode windows that overhang "
    "the input, an option the checker does not pass",
    "wide-zeros-times-inf": "shows only with an inf or NaN in the weights, which the "
    "checker's random problems do not have",
    "inner-delta-in-batch-order": "shows only in blocks of eight images or more, larger "
    "than the checker's problems",
    "fork-inherits-dead-workers": "about processes forked after a split, not about the "
    "numbers of a backward pass",
    "parts-not-summed": "shows only when a batch is split over the cores; the checker's "
    "problems are small enough to be one block",
    "geometry-cache-keyed-on-shapes": "needs two calls with equal shapes and different "
    "strides; every configuration has its own shapes",
}


def mutants() -> list:
    """The catalogue entries the checker is run on, in catalogue order."""
    by_name = {m.name: m for m in all_mutants()}
    missing = sorted(set(EXPECTED) - set(by_name))
    if missing:
        raise LookupError(f"mutants no longer in the catalogue: {missing}")
    return [by_name[name] for name in EXPECTED]


def load_mutated(mutant, tmp: Path):
    """Import a copy of cnnref with ``mutant`` applied, as the package ``cnnref_<name>``."""
    shutil.copytree(ROOT / "cnnref", tmp / "cnnref", ignore=shutil.ignore_patterns("__pycache__"))
    mutant.apply(tmp)
    name = "cnnref_" + mutant.name.replace("-", "_")
    init = tmp / "cnnref" / "__init__.py"
    spec = importlib.util.spec_from_file_location(
        name, init, submodule_search_locations=[str(init.parent)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        drop(name)
        raise
    return module


def drop(name: str) -> None:
    """Forget a loaded mutant package and its submodules."""
    for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
        del sys.modules[key]


def as_cs231n(fn, op: str):
    """Wrap a cnnref-convention backward pass in the cs231n convention."""
    if op == "conv2d":

        def conv_backward(dout, cache):
            x, w, _, param = cache
            return fn(dout, x, w, stride=param["stride"], padding=param["pad"])

        return conv_backward

    def pool_backward(dout, cache):
        x, param = cache
        kernel = (param["pool_height"], param["pool_width"])
        return fn(dout, x, kernel_size=kernel, stride=param["stride"])

    return pool_backward
