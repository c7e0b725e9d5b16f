"""A config with an exclusion rule and a shadow alarm, built on the default config, for the shadow
tests (unit, synth and the emulator deploy).

The rule drops the refusals of Stratus Red Team's get-password-data role: its `removes:` sample
is that role's first refused call in the shared samples, read at test time (never copied).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.helpers import SHARED, default_config

SHADOW_EVENT = "vpc-changes"
RULE_EVENT = "authorization-failures"
RULE_ID = "stratus-password-data-probes"
PROBE_ROLE = "stratus-red-team-ec2-get-password-data-role"
RULE_MATCH = {
    "principal_arn": f"arn:aws:sts::*:assumed-role/{PROBE_ROLE}/*",
    "event_source": "ec2.amazonaws.com",
}


def probe_record() -> dict[str, Any]:
    """The first refused call of the probing role in the shared samples."""
    with (SHARED / "cloudtrail-samples" / "stratus-red-team.jsonl").open() as lines:
        for line in lines:
            record: dict[str, Any] = json.loads(line)
            arn = record.get("userIdentity", {}).get("arn", "")
            if f"assumed-role/{PROBE_ROLE}/" in arn and record.get("errorCode"):
                return record
    raise AssertionError(f"no refused call of {PROBE_ROLE} in the shared samples")


def rule_and_shadow_config() -> dict[str, Any]:
    """The default config, one exclusion rule on authorization-failures and vpc-changes as a
    shadow alarm."""
    config = default_config()
    config["exclusions"] = {
        "rules": [
            {
                "id": RULE_ID,
                "events": [RULE_EVENT],
                "match": dict(RULE_MATCH),
                "reason": "the red team's test role probes EC2 permissions on purpose",
                "removes": [
                    {"note": "the role's refused GetPasswordData", "record": probe_record()}
                ],
            }
        ]
    }
    config["overrides"] = {SHADOW_EVENT: {"shadow": True}}
    return config


def write_config(config: dict[str, Any], folder: Path) -> Path:
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "trailwatch.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
