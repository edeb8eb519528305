"""Check that a CycloneDX SBOM is what `make sbom` promises: valid JSON, with components.

With --requirements, also check that every package pinned in that requirements file (the
export of uv.lock the SBOM was built from) is a component, so nothing was silently dropped.

Usage: python scripts/check_sbom.py SBOM.json [--requirements FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;]+)")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned(requirements: Path) -> dict[str, str]:
    pins = {}
    for line in requirements.read_text("utf-8").splitlines():
        match = PIN.match(line.strip())
        if match:
            pins[normalize(match["name"])] = match["version"]
    return pins


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sbom", type=Path)
    parser.add_argument("--requirements", type=Path)
    args = parser.parse_args(argv)
    try:
        bom = json.loads(args.sbom.read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        print(f"sbom: {args.sbom} is not a readable JSON file: {exc}", file=sys.stderr)
        return 1
    components = bom.get("components") if isinstance(bom, dict) else None
    if bom.get("bomFormat") != "CycloneDX" or not isinstance(components, list) or not components:
        print(f"sbom: {args.sbom} is not a CycloneDX BOM with components", file=sys.stderr)
        return 1
    if args.requirements:
        listed = {normalize(c.get("name", "")): c.get("version") for c in components}
        wrong = [
            f"{name}=={version} (SBOM: {listed.get(name)})"
            for name, version in sorted(pinned(args.requirements).items())
            if listed.get(name) != version
        ]
        if wrong:
            print(f"sbom: {args.sbom} misses locked packages: {', '.join(wrong)}", file=sys.stderr)
            return 1
    print(f"sbom: {args.sbom}: CycloneDX {bom.get('specVersion')}, {len(components)} components")
    return 0


if __name__ == "__main__":
    sys.exit(main())
