"""The one list of derivation cases: every module ``derivations/d<N>_<name>.py``.

Nothing else in the project keeps a list of the cases. The command line, the
page writer, the code emitter, the docs hooks and the tests all ask this
module, and it finds the cases by their file names: a module of this package
whose name is ``d``, a number, an underscore and a name (``d1_single_kernel``)
is a case. Cases are ordered by their number.

What a case module provides
---------------------------

Required:

``CASE``
    Its short name, ``"D1"``.
``TITLE``
    One line, shown in the navigation of the records and the verdict table.
``SOURCES``
    Markdown: the source articles it replays, by author and title, linked.
``run() -> list[Proof]``
    Proves the statements and the negative controls (see
    :mod:`derivations.proof`).

Optional:

``CHECKED_BY``
    Markdown: the generated code, tests and replays that also check the case.
``COST``
    Seconds a run takes on a quiet machine; the command line starts the
    slowest cases first so that its workers finish together (default 1).
``NOTES``
    Markdown notes shown at the top of its page.
``chapter() -> Chapter``
    The textbook section: figure, forward pass, derivation chains (lists of
    :class:`derivations.chain.Step`), results as matrices, exercises (see
    :mod:`derivations.chapter`). A case without it gets a page of its
    statements and certificates only.
``CHAPTER_MODULE``
    Instead of ``chapter()``: the name of a module of this package whose
    ``chapter()`` builds the section: a chapter kept apart from its case's
    proofs (D5's), or one that reads the case's statements (D6's). The case
    module imports nothing of it: no circle.
``FIGURES``
    ``{name: figure}`` for the figures its chapter shows; drawn when the site
    is built (:mod:`derivations.figures`).
``planted() -> list[tuple[Chain, int]]``
    Chains with a wrong line planted in step ``n``, which the checker must
    reject. The tests plant wrong lines themselves in steps checked by value;
    a chain whose steps are all checked by ``check=`` or ``verdict=`` needs
    its case to supply them here.
``networks() -> list[emit.Network]``
    Networks whose loss and gradients are emitted as numpy code under
    ``cnnref/generated/`` (:mod:`derivations.emit`).
``extra_files() -> dict[str, str]``
    More generated files under ``docs/derivations/`` (relative path: text).

Adding a case therefore touches the new module, its test and the site's
navigation (``mkdocs.yml``); CONTRIBUTING.md walks through it.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

PACKAGE = "derivations"
_CASE_MODULE = re.compile(r"^d(\d+)_[a-z0-9_]+$")


@dataclass(frozen=True)
class Case:
    """One case module, as the rest of the project sees it."""

    number: int
    name: str  # module name inside the package, "d1_single_kernel"

    @property
    def module_name(self) -> str:
        return f"{PACKAGE}.{self.name}"

    @property
    def module(self) -> ModuleType:
        return importlib.import_module(self.module_name)

    @property
    def slug(self) -> str:
        """Page and record name: ``d1-single-kernel``."""
        return self.name.replace("_", "-")

    @property
    def test_module(self) -> str:
        """The case's own test module, ``tests/test_d1_single_kernel.py``."""
        return f"tests/test_{self.name}.py"

    @property
    def label(self) -> str:
        return self.module.CASE

    @property
    def cost(self) -> float:
        return float(getattr(self.module, "COST", 1.0))

    def has(self, attribute: str) -> bool:
        return hasattr(self.module, attribute)

    @property
    def has_chapter(self) -> bool:
        return self.has("chapter") or self.has("CHAPTER_MODULE")

    def chapter(self):
        """The case's textbook section (its ``chapter()`` or its ``CHAPTER_MODULE``'s)."""
        if self.has("chapter"):
            return self.module.chapter()
        name = f"{PACKAGE}.{self.module.CHAPTER_MODULE}"
        return importlib.import_module(name).chapter()


@functools.cache
def cases() -> tuple[Case, ...]:
    """Every case of the package, by number."""
    folder = Path(__file__).resolve().parent
    found = []
    for info in pkgutil.iter_modules([str(folder)]):
        match = _CASE_MODULE.match(info.name)
        if match:
            found.append(Case(int(match.group(1)), info.name))
    found.sort(key=lambda c: c.number)
    numbers = [c.number for c in found]
    if len(set(numbers)) != len(numbers):
        raise RuntimeError(f"two case modules share a number: {[c.name for c in found]}")
    return tuple(found)


def get(key: str) -> Case:
    """A case by its label (``"D1"``), module name or slug."""
    for case in cases():
        if key in (case.name, case.slug) or key.upper() == f"D{case.number}":
            return case
    raise KeyError(f"no derivation case {key!r}; known: {[c.name for c in cases()]}")


def by_cost() -> list[Case]:
    """The cases, slowest first (for scheduling on worker processes)."""
    return sorted(cases(), key=lambda c: (-c.cost, c.number))
