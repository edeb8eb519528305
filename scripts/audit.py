"""Audit the locked dependencies for known vulnerabilities, and say plainly what was checked.

Runs pip-audit on the locked Python requirements and, when the frontend has a lockfile,
`npm audit`. Both need an advisory service (PyPI's JSON API or OSV; the npm registry's audit
endpoint). When that service cannot be reached, or answers for only some packages, the result
is COULD NOT CHECK: never "no known vulnerabilities", which is printed only after every locked
package was actually checked.

Exit status:
  0  everything checked, nothing found; or could not check and offline is acceptable
  1  vulnerabilities found (whether or not the rest could be checked), or a tool failed
  3  could not check, and offline is not acceptable

Offline is acceptable when AUDIT_ALLOW_OFFLINE=1, or when CI=true and AUDIT_ALLOW_OFFLINE is
unset (set AUDIT_ALLOW_OFFLINE=0 where the network exists, as the security workflow does).

Usage: python scripts/audit.py --requirements FILE [--npm-dir DIR] [--reports DIR]
                               [--accept VULN_ID ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHECKED, SKIPPED, FOUND = "checked", "skipped", "found"
UNCHECKED, FAILED = "could not check", "failed"
UNREACHABLE = re.compile(
    r"ConnectionError|NameResolutionError|Failed to resolve|Max retries exceeded|"
    r"Temporary failure in name resolution|Name or service not known|timed? ?out|"
    r"Connection refused|Network is unreachable|ProxyError|SSLError|"
    r"ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|"
    r"audit endpoint returned an error",
    re.IGNORECASE,
)


@dataclass
class Outcome:
    tool: str
    status: str
    summary: str
    details: list[str] = field(default_factory=list)


def run(command: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    # The commands are fixed tool invocations built here, never from user input.
    return subprocess.run(  # noqa: S603
        command, cwd=cwd, capture_output=True, text=True, check=False, timeout=600
    )


def first_reason(text: str) -> str:
    for line in text.splitlines():
        if UNREACHABLE.search(line):
            return line.strip()[:200]
    return ""


# --- pip-audit -----------------------------------------------------------------------------


def pip_audit(requirements: Path, reports: Path, accepted: list[str]) -> Outcome:
    report, log = reports / "pip-audit.json", reports / "pip-audit.log"
    report.unlink(missing_ok=True)
    command = [sys.executable, "-m", "pip_audit", "--requirement", str(requirements)]
    command += ["--no-deps", "--disable-pip", "--progress-spinner", "off"]
    command += ["--format", "json", "--output", str(report)]
    for vuln_id in accepted:
        command += ["--ignore-vuln", vuln_id]
    done = run(command)
    log.write_text(done.stdout + done.stderr, "utf-8")
    if not report.exists() or not report.read_text("utf-8").strip():
        return _pip_audit_without_report(done, log)
    return classify_pip_audit(json.loads(report.read_text("utf-8")), log)


def _pip_audit_without_report(done: subprocess.CompletedProcess[str], log: Path) -> Outcome:
    output = done.stdout + done.stderr
    reason = first_reason(output)
    if reason:
        return Outcome("pip-audit", UNCHECKED, f"advisory service unreachable ({reason})")
    lines = [line for line in output.splitlines() if "vulnerabilit" not in line.lower()]
    tail = " | ".join(lines[-3:]) or f"exit status {done.returncode}"
    return Outcome("pip-audit", FAILED, f"pip-audit failed: {tail} (full output: {log})")


def classify_pip_audit(data: dict[str, Any], log: Path) -> Outcome:
    dependencies: list[dict[str, Any]] = data.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if "skip_reason" in d]
    audited = [d for d in dependencies if "skip_reason" not in d]
    details = [
        f"{d['name']} {d.get('version', '?')}: {v['id']}"
        f" (aliases: {', '.join(v.get('aliases', [])) or '-'};"
        f" fixed in: {', '.join(v.get('fix_versions', [])) or 'no fix yet'})"
        for d in vulnerable
        for v in d["vulns"]
    ]
    if vulnerable:
        extra = f"; {len(skipped)} more could not be checked" if skipped else ""
        summary = f"{len(details)} known vulnerabilities in {len(vulnerable)} packages{extra}"
        return Outcome("pip-audit", FOUND, summary, details)
    if not dependencies:
        return Outcome("pip-audit", FAILED, f"the requirements listed no packages (see {log})")
    if not audited:
        reason = skipped[0].get("skip_reason", "")
        summary = (
            f"advisory service unreachable or not answering: none of the {len(skipped)}"
            f" locked packages was checked (first: {reason})"
        )
        return Outcome("pip-audit", UNCHECKED, summary)
    if skipped:
        names = ", ".join(f"{d['name']}" for d in skipped)
        summary = (
            f"only {len(audited)} of {len(dependencies)} locked packages were checked;"
            f" not checked: {names}"
        )
        return Outcome("pip-audit", UNCHECKED, summary)
    summary = f"checked all {len(audited)} locked packages: no known vulnerabilities"
    return Outcome("pip-audit", CHECKED, summary)


# --- npm audit -----------------------------------------------------------------------------


def npm_audit(npm_dir: Path, reports: Path) -> Outcome:
    if not (npm_dir / "package-lock.json").exists():
        return Outcome("npm audit", SKIPPED, f"no {npm_dir}/package-lock.json (no frontend yet)")
    npm = shutil.which("npm")
    if npm is None:
        return Outcome("npm audit", FAILED, "npm is not installed")
    done = run([npm, "audit", "--json"], cwd=npm_dir)
    (reports / "npm-audit.json").write_text(done.stdout, "utf-8")
    (reports / "npm-audit.log").write_text(done.stderr, "utf-8")
    try:
        data = json.loads(done.stdout)
    except json.JSONDecodeError:
        data = {}
    return classify_npm_audit(data, done.stderr)


def classify_npm_audit(data: dict[str, Any], stderr: str) -> Outcome:
    counts = data.get("metadata", {}).get("vulnerabilities")
    if "auditReportVersion" not in data or not isinstance(counts, dict):
        reason = first_reason(stderr) or first_reason(json.dumps(data))
        if reason or "statusCode" in data:  # no answer, or an HTTP error from the audit endpoint
            error = data.get("error")
            summary = error.get("summary") if isinstance(error, dict) else None
            detail = data.get("message") or summary or reason
            return Outcome("npm audit", UNCHECKED, f"advisory service unreachable ({detail})")
        tail = " | ".join(stderr.strip().splitlines()[-3:]) or json.dumps(data)[:200]
        return Outcome("npm audit", FAILED, f"npm audit failed: {tail}")
    total = int(counts.get("total", 0))
    packages = data.get("metadata", {}).get("dependencies", {}).get("total", "?")
    if total:
        details = [
            f"{name}: {info.get('severity', '?')} (fix available: {bool(info.get('fixAvailable'))})"
            for name, info in sorted(data.get("vulnerabilities", {}).items())
        ]
        levels = [f"{n} {level}" for level, n in counts.items() if n and level != "total"]
        by_level = ", ".join(levels)
        return Outcome("npm audit", FOUND, f"{total} known vulnerabilities ({by_level})", details)
    return Outcome(
        "npm audit", CHECKED, f"checked all {packages} locked packages: no known vulnerabilities"
    )


# --- verdict -------------------------------------------------------------------------------


def offline_acceptable() -> bool:
    setting = os.environ.get("AUDIT_ALLOW_OFFLINE", "").strip().lower()
    if setting:
        return setting in {"1", "true", "yes"}
    return os.environ.get("CI", "").strip().lower() == "true"


def report(outcomes: list[Outcome]) -> int:
    labels = {
        CHECKED: "OK",
        SKIPPED: "SKIPPED",
        FOUND: "VULNERABLE",
        UNCHECKED: "COULD NOT CHECK",
        FAILED: "ERROR",
    }
    for outcome in outcomes:
        note = " -- no result, not a pass" if outcome.status == UNCHECKED else ""
        print(f"{outcome.tool}: {labels[outcome.status]}: {outcome.summary}{note}")
        for line in outcome.details:
            print(f"    {line}")
    statuses = {o.status for o in outcomes}
    if statuses & {FOUND, FAILED}:
        print("audit: FAILED")
        return 1
    if UNCHECKED in statuses:
        if offline_acceptable():
            print("audit: INCOMPLETE -- accepted as offline (CI=true or AUDIT_ALLOW_OFFLINE=1)")
            return 0
        print("audit: INCOMPLETE -- set AUDIT_ALLOW_OFFLINE=1 to accept an offline run")
        return 3
    print("audit: passed")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requirements", type=Path, required=True, help="locked requirements")
    parser.add_argument("--npm-dir", type=Path, default=Path("frontend"))
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    parser.add_argument(
        "--accept",
        action="append",
        default=[],
        metavar="VULN_ID",
        help="an accepted advisory (document it and its reason in SECURITY.md)",
    )
    args = parser.parse_args(argv)
    args.reports.mkdir(parents=True, exist_ok=True)
    outcomes = [
        pip_audit(args.requirements, args.reports, args.accept),
        npm_audit(args.npm_dir, args.reports),
    ]
    return report(outcomes)


if __name__ == "__main__":
    sys.exit(main())
