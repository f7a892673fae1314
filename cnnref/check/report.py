"""The checker's report: verdict, failures, diagnoses, as text and as JSON-ready data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Failure:
    """One problem on one configuration.

    kind : 'mismatch' (a gradient differs from the right one), 'raised',
        'result' (not what the convention returns), 'shape', 'dtype', 'modified'
        (an argument was changed in place);
    gradient : 'dx', 'dw', 'db' or '' when the problem is not about one gradient.
    """

    configuration: dict
    description: str
    kind: str
    gradient: str
    message: str
    relative_error: float | None = None


@dataclass(frozen=True)
class Diagnosis:
    """A known bug whose wrong answer matches the function's output."""

    name: str
    explanation: str
    page: str
    gradient: str = ""
    certainty: str = "matches every configuration"


@dataclass
class CheckReport:
    """Result of :func:`cnnref.check.check_backward`.

    Attributes
    ----------
    verdict : str
        'correct', 'wrong' (values wrong, or an argument changed in place) or
        'error' (raised, or returned the wrong kind of result, shape or dtype).
    configurations : int
        How many configurations were run.
    untested : list of str
        Settings the convention cannot express.
    failures : list of Failure
        Every problem, the smallest configuration first.
    diagnoses : list of Diagnosis
        Known bugs that explain the failures, with the page deriving the right formula.
    """

    op: str
    convention: str
    function: str
    verdict: str
    configurations: int
    untested: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    diagnoses: list[Diagnosis] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    passed: list[str] = field(
        default_factory=list
    )  # labels of the configurations without problems

    @property
    def ok(self) -> bool:
        return self.verdict == "correct"

    def to_dict(self) -> dict:
        """The JSON form: verdict, configurations, untested, failures, diagnoses."""
        return {
            "verdict": self.verdict,
            "op": self.op,
            "convention": self.convention,
            "function": self.function,
            "configurations": self.configurations,
            "untested": list(self.untested),
            "failures": [asdict(f) for f in self.failures],
            "diagnoses": [asdict(d) for d in self.diagnoses],
            "notes": list(self.notes),
            "passed": list(self.passed),
        }

    def text(self) -> str:
        """A report a person reads: the verdict first, then the smallest failure and the cause."""
        lines = [
            f"{self.function}: {self.op} backward, {self.convention} convention: "
            f"{self.verdict.upper()}",
        ]
        failed = {f.description for f in self.failures}
        lines.append(
            f"{self.configurations} configurations run"
            + (f", {len(failed)} with problems." if failed else ", all right.")
        )
        if failed and self.passed:
            lines.append("Right on: " + "; ".join(self.passed))
        if self.untested:
            lines.append("Not tested: " + "; ".join(self.untested))
        if self.failures:
            first = self.failures[0].description
            lines += ["", f"Smallest failing configuration: {first}"]
            for f in self.failures:
                if f.description == first:
                    label = f"{f.gradient}: " if f.gradient else ""
                    error = (
                        f" (relative error {f.relative_error:.2g})"
                        if f.relative_error is not None
                        else ""
                    )
                    lines.append(f"  {label}{f.message}{error}")
        for d in self.diagnoses:
            lines += [
                "",
                f"Diagnosis ({d.gradient}, {d.certainty}): {d.name}",
                f"  {d.explanation}",
                f"  The right formula is derived on the page {d.page} of the cnnref site.",
            ]
        if self.notes:
            lines.append("")
            lines += self.notes
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()
