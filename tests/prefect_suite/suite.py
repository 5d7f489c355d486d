"""Run Prefect 1.4.1's own tests on flowbook and tally them per file.

The files live outside the project (``../shared/prefect1-tests/tests`` beside the checkout, or
``$FLOWBOOK_PREFECT_TESTS``). They run in a pytest process of their own with ``plugin.py``
(the import alias, placeholders for Prefect internals, the executor fixtures) and without any
conftest. Every test that does not pass must be listed, with a one-line reason, in
``not_applicable.txt`` (a test of Prefect's internals) or ``differences.txt`` (flowbook
deliberately behaves otherwise).

``python tests/prefect_suite/suite.py [FILE ...]`` prints the table.
"""
from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["HERE", "suite_dir", "test_files", "run", "Listed", "listed", "Tally", "tally",
           "table"]

HERE = Path(__file__).resolve().parent
ENV_VAR = "FLOWBOOK_PREFECT_TESTS"


def suite_dir() -> Path:
    """Where Prefect's test files are: ``$FLOWBOOK_PREFECT_TESTS`` or ``../shared`` beside us."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured).expanduser().resolve()
    return HERE.parents[2] / "shared" / "prefect1-tests" / "tests"


def test_files(root: Path) -> list[str]:
    """The test files under ``root``, as paths relative to it (``core/test_flow.py``)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("test_*.py"))


@dataclass(frozen=True, slots=True)
class Outcome:
    file: str  # relative to the suite's root, e.g. "core/test_flow.py"
    test: str  # "TestClass::test_name[param]", or "<collection>" for a file that did not import
    outcome: str  # "passed" | "failed" | "skipped"
    message: str  # the last line of the failure, for the report


def run(root: Path, files: list[str] | None = None, *, timeout: float = 3000) -> list[Outcome]:
    """Run ``files`` (default: all) of the suite in a fresh pytest process; one Outcome per test."""
    files = files or test_files(root)
    with tempfile.TemporaryDirectory() as tmp:
        record = Path(tmp) / "record.jsonl"
        env = dict(os.environ, FLOWBOOK_SUITE_RECORD=str(record),
                   PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
        command = [sys.executable, "-m", "pytest", "-c", str(HERE / "pytest.ini"),
                   "--rootdir", str(root), "--noconftest", "-p", "plugin",
                   "-p", "no:cacheprovider", "-q", "--tb=short",
                   "--continue-on-collection-errors", "-o", "timeout=120",
                   *[str(root / f) for f in files]]
        subprocess.run(command, env=env, cwd=tmp, timeout=timeout, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        lines = record.read_text().splitlines() if record.exists() else []
    return _outcomes([json.loads(line) for line in lines])


def _outcomes(records: list[dict]) -> list[Outcome]:
    by_test: dict[tuple[str, str], Outcome] = {}
    for r in records:
        file, _, test = r["nodeid"].partition("::")  # pytest's node ids are relative to root
        test = test or "<collection>"
        earlier = by_test.get((file, test))
        if earlier is None or earlier.outcome == "passed":  # a failed teardown spoils a pass
            by_test[(file, test)] = Outcome(file, test, r["outcome"], r["message"])
    return list(by_test.values())


@dataclass(frozen=True, slots=True)
class Listed:
    pattern: str  # fnmatch pattern over "file::test", e.g. "engine/test_flow_runner.py::*ENDRUN*"
    kind: str  # "not applicable" | "difference"
    reason: str


def listed() -> list[Listed]:
    """The tests listed as Prefect internals or deliberate differences, with their reasons."""
    entries = []
    for name, kind in (("not_applicable.txt", "not applicable"), ("differences.txt", "difference")):
        for line in (HERE / name).read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                pattern, _, reason = line.partition(" ")
                entries.append(Listed(pattern, kind, reason.strip(" -—")))
    return entries


def listing(outcome: Outcome, entries: list[Listed]) -> Listed | None:
    """The first entry whose pattern matches ``outcome``'s test; a pattern without the
    brackets of a parametrization matches every one of them."""
    key = f"{outcome.file}::{outcome.test}"
    keys = {key, key.split("[", 1)[0]}
    return next((e for e in entries if any(fnmatch.fnmatchcase(k, e.pattern) for k in keys)),
                None)


@dataclass(slots=True)
class Tally:
    file: str
    passed: int = 0
    failed: list = field(default_factory=list)  # unlisted tests that did not pass: Outcomes
    not_applicable: int = 0  # listed as internal (whether or not they happen to pass)
    differences: int = 0  # listed as deliberate differences and not passing
    skipped: int = 0  # skipped by the file itself (e.g. Windows-only)

    @property
    def applicable(self) -> int:
        return self.passed + len(self.failed) + self.differences

    @property
    def rate(self) -> float:
        return self.passed / self.applicable if self.applicable else 1.0


def tally(outcomes: list[Outcome], entries: list[Listed]) -> dict[str, Tally]:
    """Per file: passes, unlisted failures, not-applicable and deliberately different tests."""
    tallies: dict[str, Tally] = {}
    for o in outcomes:
        t = tallies.setdefault(o.file, Tally(o.file))
        entry = listing(o, entries)
        if entry is not None and entry.kind == "not applicable":
            t.not_applicable += 1
        elif o.outcome == "passed":
            t.passed += 1
        elif o.outcome == "skipped":
            t.skipped += 1
        elif entry is not None:
            t.differences += 1
        else:
            t.failed.append(o)
    return tallies


def table(tallies: dict[str, Tally]) -> str:
    """The per-file table, with a total line."""
    head = (f"{'file':34} {'passed':>6} {'failed':>6} {'differ':>6} {'n/a':>5} {'skip':>5} "
            f"{'pass %':>7}")
    rows = [head, "-" * len(head)]
    total = Tally("total")
    for t in sorted(tallies.values(), key=lambda t: t.file):
        rows.append(_row(t))
        total.passed += t.passed
        total.failed += t.failed
        total.differences += t.differences
        total.not_applicable += t.not_applicable
        total.skipped += t.skipped
    rows += ["-" * len(head), _row(total)]
    return "\n".join(rows)


def _row(t: Tally) -> str:
    return (f"{t.file:34} {t.passed:6} {len(t.failed):6} {t.differences:6} "
            f"{t.not_applicable:5} {t.skipped:5} {100 * t.rate:6.1f}%")


def main(argv: list[str]) -> int:
    root = suite_dir()
    if not root.is_dir():
        print(f"Prefect's tests are not at {root}; set ${ENV_VAR} to their folder")
        return 2
    tallies = tally(run(root, argv or None), listed())
    print(table(tallies))
    for t in tallies.values():
        for o in t.failed:
            print(f"FAILED {o.file}::{o.test} - {o.message}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
