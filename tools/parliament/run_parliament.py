"""Run Duo Labs' parliament over many IAM policy documents in one process; print JSON.

Usage: .tools/parliament/bin/python tools/parliament/run_parliament.py DOCUMENTS.json

DOCUMENTS.json is a JSON list of objects:

    {"name": "...", "type": "identity" | "resource" | "trust",
     "document": {...policy...}, "resource": "arn:..." (optional)}

parliament (1.6.4) has no option for the kind of policy it reads: it lints every document as
an identity policy, checks a Principal only when one is there, and calls a statement without
Resource malformed. The kind matters, so this script adds what the kind means before handing a
document over, and checks what parliament does not:

- identity (a role's inline policy): no statement may name a Principal (IAM refuses one).
- resource (key, bucket, topic policy): every statement names a Principal. In a key policy
  "Resource": "*" means "this key": given "resource" (the key's ARN), "*" is replaced by it, so
  parliament matches each action against the key's resource type instead of reporting
  Resource *.
- trust (a role's assume_role_policy): every statement names a Principal, has no Resource
  (IAM refuses one) and only sts: actions; parliament then sees the role's ARN ("resource") as
  the statement's resource, so it checks the actions and condition keys against sts:AssumeRole.

Output: {"parliament_version": ..., "analysed": [names], "findings": [{name, sid, issue,
severity, title, detail, location}]} with every finding at any severity; parliament's community
auditors are on. Which findings are accepted is not decided here (tests read
tools/parliament/accepted.yaml).

This runs in the parliament environment (tools/parliament/Pipfile): it imports nothing of
trailwatch.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

KINDS = ("identity", "resource", "trust")
TRUST_ACTIONS = (
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:TagSession",
    "sts:SetSourceIdentity",
    "sts:SetContext",
)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def kind_findings(kind: str, document: dict[str, Any]) -> list[dict[str, Any]]:
    """What IAM would refuse for this kind of policy and parliament does not look at."""
    found = []

    def finding(issue: str, sid: Any, detail: str) -> None:
        found.append(
            {
                "issue": issue,
                "sid": sid,
                "severity": "HIGH",
                "title": detail,
                "detail": detail,
                "location": {},
            }
        )

    for statement in as_list(document.get("Statement", [])):
        if not isinstance(statement, dict):
            continue  # parliament reports the malformed statement itself
        sid = statement.get("Sid")
        has_principal = "Principal" in statement or "NotPrincipal" in statement
        if kind == "identity" and has_principal:
            finding("PRINCIPAL_IN_IDENTITY_POLICY", sid, "an identity policy names no Principal")
        if kind in ("resource", "trust") and not has_principal:
            finding("MISSING_PRINCIPAL", sid, f"a {kind} policy statement needs a Principal")
        if kind == "trust":
            if "Resource" in statement or "NotResource" in statement:
                finding("RESOURCE_IN_TRUST_POLICY", sid, "a trust policy has no Resource")
            actions = as_list(statement.get("Action", statement.get("NotAction", [])))
            for action in actions:
                if action not in TRUST_ACTIONS:
                    finding("NOT_A_TRUST_ACTION", sid, f"{action} is not an sts: trust action")
    return found


def prepared(kind: str, document: dict[str, Any], resource: str | None) -> dict[str, Any]:
    """The document as parliament can lint it, with what its kind implies made explicit."""
    document = copy.deepcopy(document)
    for statement in as_list(document.get("Statement", [])):
        if not isinstance(statement, dict) or resource is None:
            continue
        if kind == "trust" and "Resource" not in statement and "NotResource" not in statement:
            statement["Resource"] = resource
        elif kind == "resource" and "Resource" in statement:
            statement["Resource"] = [
                resource if r == "*" else r for r in as_list(statement["Resource"])
            ]
    return document


def run(items: list[dict[str, Any]]) -> dict[str, Any]:
    import parliament
    from parliament import analyze_policy_string, enhance_finding, override_config

    # As `parliament --include-community-auditors` does: their findings' settings first.
    community = Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml"
    override_config(str(community))

    analysed: list[str] = []
    findings: list[dict[str, Any]] = []
    for item in items:
        name, kind, document = item["name"], item["type"], item["document"]
        if kind not in KINDS:
            raise SystemExit(f"{name}: unknown policy type {kind!r} (one of {', '.join(KINDS)})")
        for found in kind_findings(kind, document):
            findings.append({"name": name, **found})
        policy = analyze_policy_string(
            json.dumps(prepared(kind, document, item.get("resource")), indent=1),
            filepath=name,
            include_community_auditors=True,
        )
        # parliament keeps a statement's findings on the statement: note its Sid for each.
        sids = {id(f): s.sid for s in policy.statements for f in s.findings}
        for finding in policy.findings:
            sid = sids.get(id(finding))
            finding = enhance_finding(finding)
            findings.append(
                {
                    "name": name,
                    "sid": sid,
                    "issue": finding.issue,
                    "severity": finding.severity,
                    "title": finding.title,
                    "detail": finding.detail,
                    "location": finding.location,
                }
            )
        analysed.append(name)
    return {
        "parliament_version": parliament.__version__,
        "analysed": analysed,
        "findings": findings,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: run_parliament.py DOCUMENTS.json", file=sys.stderr)
        return 2
    items = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    json.dump(run(items), sys.stdout, indent=1, sort_keys=True, default=str)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
