"""Print one summary line per pytest pass from its JUnit XML report, then the total.

`make test` writes reports/junit-<db>.xml for each database; .ci/run calls this last so the
log ends with the counts, e.g. `sqlite: 272 passed, 0 failed, 0 skipped`. A missing or broken
report, or one with no test in it, counts as a failure.

Usage: python scripts/test_summary.py reports/junit-sqlite.xml reports/junit-postgresql.xml
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

Counts = tuple[int, int, int]


def counts(report: Path) -> Counts | None:
    try:
        root = ET.parse(report).getroot()  # noqa: S314 -- our own pytest's report
    except (OSError, ET.ParseError):
        return None
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    passed = failed = skipped = 0
    for suite in suites:
        tests, skips = int(suite.get("tests", 0)), int(suite.get("skipped", 0))
        fails = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        passed += tests - fails - skips
        failed += fails
        skipped += skips
    return passed, failed, skipped


def main(argv: list[str]) -> int:
    total = [0, 0, 0]
    ok = bool(argv)
    for name in argv:
        report = Path(name)
        label = report.stem.removeprefix("junit-")
        found = counts(report)
        if found is None:
            print(f"{label}: no test report ({report}): this pass did not run")
            ok = False
            continue
        print(f"{label}: {found[0]} passed, {found[1]} failed, {found[2]} skipped")
        total = [t + c for t, c in zip(total, found, strict=True)]
        ok = ok and found[1] == 0 and sum(found) > 0
    print(f"tests: {total[0]} passed, {total[1]} failed, {total[2]} skipped")
    return 0 if ok and total[0] > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
