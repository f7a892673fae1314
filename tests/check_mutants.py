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

# mutant -> (functions to check, the diagnosis expected, '' for "caught, unnamed")
CONV_FAST, CONV_NAIVE = ("conv2d_backward",), ("conv2d_backward_naive",)
EXPECTED = {
    "dx-kernel-not-rotated": (CONV_FAST, "dx-kernel-not-rotated"),
    "dw-kernel-rotated": (CONV_FAST, "dw-kernel-rotated"),
    "dw-transposed": (CONV_FAST, "dw-transposed"),
    "dw-batch-not-summed": (CONV_FAST, "dw-one-example"),
    "dw-groups-mixed-up": (CONV_FAST, "dw-groups-mixed-up"),
    "dw-dilation-ignored": (CONV_FAST, "dw-dilation-ignored"),
    "bias-gradient-mean": (CONV_FAST, "db-wrong-reduction"),
    "bincount-padding-clipped-in": (CONV_FAST, ""),
    "taps-stride-ignored": (CONV_FAST, "dx-stride-ignored"),
    "taps-dilation-ignored": (CONV_FAST, "dx-dilation-ignored"),
    "taps-remainder-rows-shifted": (CONV_FAST, "dx-remainder-rows-shifted"),
    "taps-remainder-rows-dropped": (CONV_FAST, ""),
    "taps-delta-padded-one-too-many": (CONV_FAST, "dx-cropped-off-by-one"),
    "wide-delta-padded-one-too-few": (CONV_FAST, "dx-cropped-off-by-one"),
    "wide-row-pitch-of-output": (CONV_FAST, ""),
    "output-size-ceil": (CONV_FAST + CONV_NAIVE, ""),
    "naive-dx-kernel-not-rotated": (CONV_NAIVE, "dx-kernel-not-rotated"),
    "naive-dw-kernel-rotated": (CONV_NAIVE, "dw-kernel-rotated"),
    "naive-dw-transposed": (CONV_NAIVE, "dw-transposed"),
    "naive-dw-first-example-only": (CONV_NAIVE, "dw-one-example"),
    "naive-dw-groups-mixed-up": (CONV_NAIVE, "dw-groups-mixed-up"),
    "maxpool-gradient-to-last-maximum": (
        ("max_pool2d_backward",),
        "maxpool-gradient-to-last-maximum",
    ),
    "maxpool-gradient-to-window-corner": (
        ("max_pool2d_backward",),
        "maxpool-gradient-to-window-corner",
    ),
    "maxpool-gradient-to-every-entry": (
        ("max_pool2d_backward",),
        "maxpool-gradient-to-every-entry",
    ),
    "avgpool-gradient-not-divided": (("avg_pool2d_backward",), "avgpool-gradient-not-divided"),
}

LEFT_OUT = {
    "wide-stride-ignored": "the full-width path runs only for width stride 1; with one int "
    "stride for both axes the row stride is then 1 too, so the bug cannot show",
    "naive-dx-crop-uses-far-padding": "shows only with asymmetric padding, which neither "
    "convention passes",
    "float32-upcast-backward": "about float32 inputs; the checker runs float64",
    "bincount-upcasts-float32": "about float32 inputs; the checker runs float64",
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
