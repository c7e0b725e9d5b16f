"""Stacks with EventBridge rules, in the shapes Terraform and cdktf write them, for the tests of
reading rules back (inventory, drift, plan review, coverage).

The resource shape is the one `stacks/` synthesizes (per event an `aws_cloudwatch_event_rule`
named by `naming`, per routed channel an `aws_cloudwatch_event_target`); the event patterns are
written out by hand here, each the EventBridge form of its catalog pattern, so these tests do
not depend on the compiler. `tests/test_event_rules_readback.py` proves each pattern agrees
with its catalog pattern on the shared records before anything else relies on it.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from trailwatch.spec import naming

DETAIL_TYPES = ["AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail"]
ACCOUNT = "123456789012"
REGION = "us-east-1"

# The EventBridge form of three catalog patterns (events/<id>.yaml, profile securityhub).
PATTERNS: dict[str, dict[str, Any]] = {
    "security-group-changes": {
        "detail-type": DETAIL_TYPES,
        "detail": {
            "eventName": [
                "AuthorizeSecurityGroupIngress",
                "AuthorizeSecurityGroupEgress",
                "RevokeSecurityGroupIngress",
                "RevokeSecurityGroupEgress",
                "CreateSecurityGroup",
                "DeleteSecurityGroup",
            ]
        },
    },
    "vpc-changes": {
        "detail-type": DETAIL_TYPES,
        "detail": {
            "eventName": [
                "CreateVpc",
                "DeleteVpc",
                "ModifyVpcAttribute",
                "AcceptVpcPeeringConnection",
                "CreateVpcPeeringConnection",
                "DeleteVpcPeeringConnection",
                "RejectVpcPeeringConnection",
                "AttachClassicLinkVpc",
                "DetachClassicLinkVpc",
                "DisableVpcClassicLink",
                "EnableVpcClassicLink",
            ]
        },
    },
    "root-account-usage": {
        "detail-type": DETAIL_TYPES,
        "detail": {
            "userIdentity": {"type": ["Root"], "invokedBy": [{"exists": False}]},
            "eventType": [{"anything-but": "AwsServiceEvent"}],
        },
    },
}
CHANNELS = ("default",)
TEMPLATE = '"<eventName> by <actor> from <sourceIP>"'
INPUT_PATHS = {
    "actor": "$.detail.userIdentity.arn",
    "eventName": "$.detail.eventName",
    "sourceIP": "$.detail.sourceIPAddress",
}


def compact(pattern: dict[str, Any]) -> str:
    """The pattern as the stacks write it: compact, keys sorted."""
    return json.dumps(pattern, separators=(",", ":"), sort_keys=True)


def synth_resources(
    patterns: dict[str, dict[str, Any]] | None = None, prefix: str = ""
) -> dict[str, dict[str, dict[str, Any]]]:
    """The topic, rules and targets as a synthesized stack's `resource` block holds them."""
    rules, targets = {}, {}
    for event_id, pattern in (PATTERNS if patterns is None else patterns).items():
        rule_id = naming.event_rule_id(event_id)
        rules[rule_id] = {
            "name": naming.event_rule_name(prefix, event_id),
            "description": f"trailwatch event {event_id}",
            "event_pattern": compact(pattern),
            "state": "ENABLED",
        }
        for channel in CHANNELS:
            targets[naming.event_target_id(event_id, channel)] = {
                "rule": f"${{aws_cloudwatch_event_rule.{rule_id}.name}}",
                "arn": f"${{aws_sns_topic.{naming.topic_id(channel)}.arn}}",
                "target_id": channel,
                "input_transformer": {"input_paths": INPUT_PATHS, "input_template": TEMPLATE},
            }
    return {
        "aws_sns_topic": {naming.TOPIC_ID: {"name": "trailwatch-primary-alarms"}},
        "aws_cloudwatch_event_rule": rules,
        "aws_cloudwatch_event_target": targets,
    }


def synth_document(patterns: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"resource": synth_resources(patterns)}


def topic_arn() -> str:
    return f"arn:aws:sns:{REGION}:{ACCOUNT}:trailwatch-primary-alarms"


def state_values(patterns: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The same resources as applied: `terraform show -json` values (provider 5.x)."""
    resources = []
    for kind, by_name in synth_resources(patterns).items():
        for name, values in by_name.items():
            applied = copy.deepcopy(values)
            if kind == "aws_sns_topic":
                applied["arn"] = topic_arn()
            elif kind == "aws_cloudwatch_event_rule":
                applied["arn"] = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{values['name']}"
                applied["is_enabled"] = True
            else:
                event_id = name.removeprefix("event_target_").split("__")[0].replace("_", "-")
                applied["rule"] = naming.event_rule_name("", event_id)
                applied["arn"] = topic_arn()
                # State writes a nested block as a list of one.
                applied["input_transformer"] = [applied["input_transformer"]]
            resources.append({"mode": "managed", "type": kind, "name": name, "values": applied})
    return {"root_module": {"resources": resources}}


def state_file(values: dict[str, Any]) -> dict[str, Any]:
    """Show-json values as a raw state file (format version 4)."""
    return {
        "version": 4,
        "resources": [
            {
                "mode": r["mode"],
                "type": r["type"],
                "name": r["name"],
                "instances": [{"attributes": r["values"]}],
            }
            for r in values["root_module"]["resources"]
        ],
    }


def plan_change(
    kind: str, name: str, actions: list[str], before: Any, after: Any
) -> dict[str, Any]:
    """One resource change of `terraform show -json PLANFILE`."""
    return {
        "address": f"{kind}.{name}",
        "mode": "managed",
        "type": kind,
        "name": name,
        "change": {
            "actions": actions,
            "before": before,
            "after": after,
            "after_unknown": {},
            "before_sensitive": {},
            "after_sensitive": {},
        },
    }


def plan_document(changes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "format_version": "1.2",
        "resource_changes": changes,
        "configuration": {
            "provider_config": {
                "aws": {
                    "expressions": {
                        "region": {"constant_value": REGION},
                        "default_tags": [
                            {"tags": {"constant_value": {naming.TARGET_TAG: "primary"}}}
                        ],
                    }
                }
            }
        },
    }
