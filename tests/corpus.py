"""(pattern, record) pairs to compare engines on: every JSON-object case of tests/semantics/*.json
and every AWS-observed case whose event is a JSON object; plus the catalog's own samples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from trailwatch.patterns import PatternSyntaxError, compile_pattern
from trailwatch.patterns.records import as_object

REPO = Path(__file__).resolve().parents[1]
SEMANTICS = REPO / "tests" / "semantics"
OBSERVED = REPO.parent / "shared" / "reference" / "aws-observed-filter-results.json"


def pattern_cases() -> list[tuple[str, str, dict[str, Any]]]:
    """(id, pattern, record) for every valid JSON pattern tested on a JSON object."""
    cases: list[tuple[str, str, dict[str, Any]]] = []
    for path in sorted(SEMANTICS.glob("*.json")):
        for g, group in enumerate(json.loads(path.read_text(encoding="utf-8")), 1):
            given = group["given"]
            record = given if isinstance(given, dict) else as_object(given)
            for c, case in enumerate(group["cases"], 1):
                if "matches" in case and record is not None:
                    cases.append((f"{path.stem}-{g}.{c}", case["pattern"], record))
    observed = json.loads(OBSERVED.read_text(encoding="utf-8"))["cases"]
    for i, case in enumerate(observed):
        record = as_object(case["event"])
        if record is not None and case["expect"] != "invalid":
            cases.append((f"aws-{i:03d}", case["pattern"], record))
    valid = []
    for case in cases:
        try:
            compile_pattern(case[1])
        except PatternSyntaxError:
            continue
        valid.append(case)
    return valid


def catalog_samples() -> list[dict[str, Any]]:
    """Every sample record of every event file (all profiles), in file order."""
    records: list[dict[str, Any]] = []

    def collect(samples: dict[str, Any] | None) -> None:
        for kind in ("match", "no_match"):
            records.extend(s["record"] for s in (samples or {}).get(kind, []))

    for path in sorted((REPO / "events").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        collect(data.get("samples"))
        for profile in (data.get("profiles") or {}).values():
            collect(profile.get("samples"))
    return records
