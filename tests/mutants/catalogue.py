"""The whole catalogue: one list per part of the project, joined here.

To add mutants for a new part (pooling, activations, losses, optimisers,
generated code, the symbolic toolkit), write ``tests/mutants/<part>.py`` with
a ``MUTANTS`` list of :class:`~tests.mutants.model.Mutant` entries, one entry
per bug, and add the module to ``PARTS``. A generated-code mutant is a source
patch of ``cnnref/generated/<case>.py`` that the drift test must reject; a
symbolic one is a source patch of ``derivations/`` that a proof (or its
negative control) must reject.
"""

from __future__ import annotations

from . import core, general, symbolic, training, zoo
from .model import Mutant

PARTS = (core, training, symbolic, general, zoo)


def all_mutants() -> list[Mutant]:
    """Every mutant of every part, in catalogue order; names are unique."""
    mutants = [m for part in PARTS for m in part.MUTANTS]
    names = [m.name for m in mutants]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"duplicate mutant names: {duplicates}")
    return mutants
