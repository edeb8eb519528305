"""Check the semgrep rules' path scoping against a fixture tree with annotations.

`semgrep --test` ignores a rule's `paths:` filter, so `make sast` also scans
.semgrep/tests/scope/ (a miniature src/confide/) with the real rules, and this script compares
semgrep's JSON report with the fixtures: a `# ruleid: <id>` comment means the next line must be
flagged by that rule, and nothing else may be flagged. Annotations are comments of the file's
language (`#`, `//` or `<!--`). Every Python, TypeScript and Svelte fixture must have been
scanned, so an exclusion that swallows everything cannot pass unnoticed; other files (a
Markdown page) need only be left unflagged, unless annotated.

Usage: python scripts/semgrep_scope_check.py REPORT.json FIXTURE_DIR
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ANNOTATION = re.compile(r"(#|//|<!--)\s*ruleid:\s*(?P<ids>[\w,-]+(?:,\s*[\w-]+)*)")
SCANNED_KINDS = frozenset({".py", ".ts", ".svelte"})
Finding = tuple[Path, int, str]


def expected_findings(root: Path) -> set[Finding]:
    expected: set[Finding] = set()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        lines = path.read_text("utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            match = ANNOTATION.search(line)
            if match:
                for rule in match["ids"].split(","):
                    expected.add((path.resolve(), number + 1, rule.strip()))
    return expected


def reported_findings(report: dict[str, object]) -> set[Finding]:
    results = report.get("results")
    if not isinstance(results, list):
        raise SystemExit("semgrep scope check: the report has no results list")
    return {
        (
            Path(result["path"]).resolve(),
            int(result["start"]["line"]),
            str(result["check_id"]).rsplit(".", 1)[-1],
        )
        for result in results
    }


def unscanned(report: dict[str, object], root: Path) -> list[Path]:
    paths = report.get("paths")
    listed = paths.get("scanned", []) if isinstance(paths, dict) else []
    scanned = {Path(p).resolve() for p in listed}
    fixtures = (p for p in root.rglob("*") if p.suffix in SCANNED_KINDS)
    return [p for p in sorted(fixtures) if p.resolve() not in scanned]


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    report = json.loads(Path(argv[1]).read_text("utf-8"))
    root = Path(argv[2])
    problems = [f"not scanned (excluded or ignored): {p}" for p in unscanned(report, root)]
    expected, reported = expected_findings(root), reported_findings(report)
    problems += [f"missed: {p}:{line} {rule}" for p, line, rule in sorted(expected - reported)]
    problems += [f"unexpected: {p}:{line} {rule}" for p, line, rule in sorted(reported - expected)]
    for error in report.get("errors") or []:
        problems.append(f"semgrep error: {error}")
    if problems:
        print("semgrep scope check FAILED:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    print(f"semgrep scope check: {len(expected)} expected findings, all found, nothing else")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
