"""What a mutant is, and how one is applied to a copy of the project.

A mutant is a small, named, plausible bug. It is applied in one of two ways:

* **source patches**: exact text replacements in files of a *copy* of the
  project. Each ``old`` text must occur exactly once in its file; when a
  refactor moves or rewrites the code, the mutant becomes stale and fails
  loudly (in ``make test`` already) instead of silently testing nothing;
* **at run time**: a function (``"module:function"``) that the test process
  calls before collecting the tests, to replace a public function by a
  wrapped one (see :mod:`tests.mutants.plugin`).

Nothing here writes to the project's own tree.
"""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class StaleMutant(Exception):
    """A source patch whose text no longer occurs exactly once in its file."""


@dataclass(frozen=True)
class Patch:
    """Replace ``old`` (which must occur exactly once) by ``new`` in ``path``."""

    path: str  # relative to the project root, with forward slashes
    old: str
    new: str


@dataclass(frozen=True)
class Report:
    """The public report of a bug that shipped, which a mutant reproduces.

    ``statement`` is the key of the proof record that states the right
    formula (``"D7.avg-backward"``); the site's "Bugs that shipped" page shows
    it beside the report, the mutant and the test that kills it.
    """

    framework: str  # where it shipped, e.g. "PyTorch (torch.compile)"
    headline: str  # a few words: what was wrong
    title: str  # the report's own title
    url: str
    what: str  # what went wrong, in the project's words (one line)
    statement: str
    also: tuple[tuple[str, str], ...] = ()  # (where, url): other reports of the same mistake


@dataclass(frozen=True)
class Mutant:
    """One plausible bug, where it goes, where the idea comes from, which tests must see it.

    ``tests`` are pytest node ids or files, the most direct killer first: the
    runner stops at the first failure (``pytest -x``), so a killed mutant
    costs only the tests up to its killer.
    """

    name: str
    target: str  # the part of the project it breaks, e.g. "conv backward (fast)"
    description: str  # one line: what the bug does
    source: str  # one line: where the idea comes from
    tests: tuple[str, ...]
    patches: tuple[Patch, ...] = ()
    runtime: str | None = None  # "module:function", called in the test process
    report: Report | None = None  # the shipped bug it reproduces, if it is one

    def problems(self, root: Path) -> list[str]:
        """Everything wrong with this entry against the tree at ``root`` (empty when usable)."""
        found = []
        if not NAME.match(self.name):
            found.append(f"{self.name}: name must be lower-case words joined by '-'")
        for label, text in (("description", self.description), ("source", self.source)):
            if not text.strip() or "\n" in text:
                found.append(f"{self.name}: {label} must be one non-empty line")
        if not self.tests:
            found.append(f"{self.name}: no tests to run")
        for test in self.tests:
            if not (root / test.split("::")[0]).is_file():
                found.append(f"{self.name}: test file of {test!r} does not exist")
        if self.report is not None:
            found += _report_problems(self.name, self.report, root)
        if bool(self.patches) == bool(self.runtime):
            found.append(f"{self.name}: give either source patches or a runtime function")
        for patch in self.patches:
            try:
                _replace_once(root, patch)
            except StaleMutant as err:
                found.append(f"{self.name}: {err}")
            if patch.old == patch.new:
                found.append(f"{self.name}: patch of {patch.path} changes nothing")
        if self.runtime:
            module, _, function = self.runtime.partition(":")
            try:
                callable(getattr(importlib.import_module(module), function))
            except (ImportError, AttributeError) as err:
                found.append(f"{self.name}: runtime function {self.runtime!r}: {err}")
        return found

    def apply(self, tree: Path) -> None:
        """Apply the source patches to the copy of the project at ``tree``."""
        for patch in self.patches:
            (tree / patch.path).write_text(_replace_once(tree, patch))


def _report_problems(name: str, report: Report, root: Path) -> list[str]:
    found = []
    for label in ("framework", "headline", "title", "url", "what", "statement"):
        text = getattr(report, label)
        if not text.strip() or "\n" in text:
            found.append(f"{name}: report {label} must be one non-empty line")
    for url in (report.url, *(u for _, u in report.also)):
        if not url.startswith("https://"):
            found.append(f"{name}: report url must be a public https address, got {url!r}")
    keys = set()
    for path in (root / "docs" / "derivations" / "records").glob("*.json"):
        keys |= {p["key"] for p in json.loads(path.read_text()).get("proofs", [])}
    if report.statement not in keys:
        found.append(f"{name}: no proof record {report.statement!r} states the right formula")
    return found


def _replace_once(root: Path, patch: Patch) -> str:
    """The text of ``patch.path`` under ``root`` with the patch applied; raise if stale."""
    path = root / patch.path
    if not path.is_file():
        raise StaleMutant(f"{patch.path} does not exist")
    text = path.read_text()
    count = text.count(patch.old)
    if count != 1:
        first = patch.old.strip().splitlines()[0] if patch.old.strip() else repr(patch.old)
        raise StaleMutant(
            f"{patch.path}: expected the text to replace exactly once, found it {count} times "
            f"(starting {first!r}); update the mutant to the current code"
        )
    return text.replace(patch.old, patch.new)
