"""Run Prowler's own CloudWatch checks over synthesized trailwatch stacks; print JSON.

Usage: .tools/prowler/bin/python tools/prowler/run_checks.py STACK/cdk.tf.json...

Prowler's checks read an AWS inventory from three service clients (CloudTrail trails, CloudWatch
Logs groups and metric filters, CloudWatch alarms) that it normally fills by calling AWS. Here
the same inventory comes from the synthesized Terraform JSON: this script registers client
objects holding Prowler's own model classes (`Trail`, `LogGroup`, `MetricFilter`, `MetricAlarm`)
under the client modules' names, then imports the real check modules and calls `execute()`.
Prowler's matching logic (its regexes and `check_cloudwatch_log_metric_filter`) runs unchanged;
only the API calls are replaced by the stack's contents.

Each file is judged as its own account: a stack must pass on its own. Output, one object per
file: {check_id: {"status": "PASS"|"FAIL"|"MANUAL", "detail": ..., "regex": ...}}; "regex" is
the pattern a metric-filter check handed to Prowler's matcher, so tests can compare it with the
expectations trailwatch keeps as data (trailwatch/spec/frameworks.yaml).

This runs in the prowler environment (tools/prowler/Pipfile); it imports nothing of trailwatch,
so it also reads the stacks independently of trailwatch's own reader.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
import types
from pathlib import Path
from typing import Any

# Prowler's metric-filter checks (CIS 3.1-3.14 / 4.1-4.15) and its alarm and log group checks.
METRIC_FILTER_CHECKS = (
    "cloudwatch_log_metric_filter_unauthorized_api_calls",
    "cloudwatch_log_metric_filter_sign_in_without_mfa",
    "cloudwatch_log_metric_filter_root_usage",
    "cloudwatch_log_metric_filter_policy_changes",
    "cloudwatch_log_metric_filter_and_alarm_for_cloudtrail_configuration_changes_enabled",
    "cloudwatch_log_metric_filter_authentication_failures",
    "cloudwatch_log_metric_filter_disable_or_scheduled_deletion_of_kms_cmk",
    "cloudwatch_log_metric_filter_for_s3_bucket_policy_changes",
    "cloudwatch_log_metric_filter_and_alarm_for_aws_config_configuration_changes_enabled",
    "cloudwatch_log_metric_filter_security_group_changes",
    "cloudwatch_changes_to_network_acls_alarm_configured",
    "cloudwatch_changes_to_network_gateways_alarm_configured",
    "cloudwatch_changes_to_network_route_tables_alarm_configured",
    "cloudwatch_changes_to_vpcs_alarm_configured",
    "cloudwatch_log_metric_filter_aws_organizations_changes",
)
RESOURCE_CHECKS = (
    "cloudwatch_alarm_actions_alarm_state_configured",
    "cloudwatch_alarm_actions_enabled",
    "cloudwatch_log_group_retention_policy_specific_days_enabled",
    "cloudwatch_log_group_kms_encryption_enabled",
)
SERVICES = "prowler.providers.aws.services"
CLIENT_MODULES = {
    "cloudtrail_client": f"{SERVICES}.cloudtrail.cloudtrail_client",
    "logs_client": f"{SERVICES}.cloudwatch.logs_client",
    "cloudwatch_client": f"{SERVICES}.cloudwatch.cloudwatch_client",
}
# The account a stack without allowed_account_ids would deploy to (any 12 digits do).
PLACEHOLDER_ACCOUNT = "123456789012"
REFERENCE = re.compile(r"^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_.\[\]]+)\}(.*)$", re.S)
ARN_SERVICE = {"aws_cloudwatch_log_group": ("logs", "log-group:"), "aws_sns_topic": ("sns", "")}


class Stack:
    """One synthesized stack: its resources, and Terraform references resolved to values."""

    def __init__(self, path: Path) -> None:
        self.data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        provider = self.data["provider"]["aws"][0]
        self.region: str = provider["region"]
        self.account: str = (provider.get("allowed_account_ids") or [PLACEHOLDER_ACCOUNT])[0]

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = self.data.get("resource", {}).get(kind, {})
        return found

    def resolve(self, value: Any) -> Any:
        """A value with `${type.name.attribute}` replaced by what Terraform would put there."""
        if not isinstance(value, str):
            return value
        match = REFERENCE.match(value)
        if not match:
            return value
        kind, name, attribute, rest = match.groups()
        resource = self.resources(kind)[name]
        if attribute == "arn" and kind in ARN_SERVICE:
            service, prefix = ARN_SERVICE[kind]
            resolved = f"arn:aws:{service}:{self.region}:{self.account}:{prefix}{resource['name']}"
        else:
            resolved = self._walk(resource, attribute)
        if resolved is None:
            # Computed by the provider at apply time (a key's ARN, say): known to exist.
            resolved = f"(known after apply: {kind}.{name}.{attribute})"
        return f"{resolved}{rest}"

    def _walk(self, resource: dict[str, Any], attribute: str) -> Any:
        """An argument the stack sets, or None for one the provider computes."""
        node: Any = resource
        for part in re.findall(r"[A-Za-z0-9_]+|\[\d+\]", attribute):
            if part.startswith("["):
                # cdktf writes single blocks as objects; Terraform indexes them as lists.
                node = node[int(part[1:-1])] if isinstance(node, list) else node
            elif part in node:
                node = node[part]
            else:
                return None
        return self.resolve(node)


def inventory(stack: Stack) -> dict[str, Any]:
    """The stack's resources as Prowler's service clients would have listed them."""
    from prowler.providers.aws.services.cloudtrail.cloudtrail_service import Trail
    from prowler.providers.aws.services.cloudwatch.cloudwatch_service import (
        LogGroup,
        MetricAlarm,
        MetricFilter,
    )

    region, account = stack.region, stack.account
    log_groups: dict[str, Any] = {}
    for resource in stack.resources("aws_cloudwatch_log_group").values():
        name = resource["name"]
        arn = f"arn:aws:logs:{region}:{account}:log-group:{name}"
        retention = resource.get("retention_in_days") or 0
        log_groups[arn] = LogGroup(
            arn=arn,
            name=name,
            retention_days=retention,
            never_expire=retention == 0,
            kms_id=stack.resolve(resource.get("kms_key_id")),
            region=region,
        )
    trails: dict[str, Any] = {}
    for resource in stack.resources("aws_cloudtrail").values():
        arn = f"arn:aws:cloudtrail:{region}:{account}:trail/{resource['name']}"
        trails[arn] = Trail(
            name=resource["name"],
            is_multiregion=resource.get("is_multi_region_trail", False),
            home_region=region,
            arn=arn,
            region=region,
            is_logging=resource.get("enable_logging", True),
            log_file_validation_enabled=resource.get("enable_log_file_validation", False),
            kms_key=stack.resolve(resource.get("kms_key_id")),
            log_group_arn=stack.resolve(resource.get("cloud_watch_logs_group_arn")),
        )
    by_name = {group.name: group for group in log_groups.values()}
    metric_filters = []
    for name, resource in stack.resources("aws_cloudwatch_log_metric_filter").items():
        group_name = stack.resolve(resource["log_group_name"])
        group = by_name.get(group_name)
        if group is None:
            # `trail: existing`: the log group, and the trail that writes to it, exist outside
            # this stack. Prowler would list both; stand in for them.
            group = LogGroup(
                arn=f"arn:aws:logs:{region}:{account}:log-group:{group_name}",
                name=group_name,
                retention_days=0,
                never_expire=True,
                kms_id=None,
                region=region,
            )
            trail_arn = f"arn:aws:cloudtrail:{region}:{account}:trail/existing-{name}"
            trails[trail_arn] = Trail(
                name=f"existing-{name}",
                arn=trail_arn,
                region=region,
                home_region=region,
                log_group_arn=f"{group.arn}:*",
            )
        transformation = resource["metric_transformation"]
        if isinstance(transformation, list):
            transformation = transformation[0]
        metric_filters.append(
            MetricFilter(
                arn=f"arn:aws:logs:{region}:{account}:metric-filter/{resource['name']}",
                name=stack.resolve(resource["name"]),
                metric=stack.resolve(transformation["name"]),
                metric_namespace=stack.resolve(transformation["namespace"]),
                pattern=stack.resolve(resource["pattern"]),
                log_group=group,
                region=region,
            )
        )
    alarms = []
    for resource in stack.resources("aws_cloudwatch_metric_alarm").values():
        alarms.append(
            MetricAlarm(
                arn=f"arn:aws:cloudwatch:{region}:{account}:alarm:{resource['alarm_name']}",
                name=resource["alarm_name"],
                metric=stack.resolve(resource.get("metric_name")),
                name_space=stack.resolve(resource.get("namespace")),
                region=region,
                alarm_actions=[stack.resolve(a) for a in resource.get("alarm_actions") or []],
                actions_enabled=resource.get("actions_enabled", True),
            )
        )
    return {
        "trails": trails,
        "log_groups": log_groups,
        "metric_filters": metric_filters,
        "metric_alarms": alarms,
        "region": region,
        "account": account,
    }


def install_clients() -> dict[str, types.SimpleNamespace]:
    """Register stand-ins for Prowler's service clients before any check module imports them."""
    clients = {}
    for attribute, module_name in CLIENT_MODULES.items():
        client = types.SimpleNamespace()
        module = types.ModuleType(module_name)
        setattr(module, attribute, client)
        sys.modules[module_name] = module
        clients[attribute] = client
    return clients


def load_inventory(clients: dict[str, types.SimpleNamespace], found: dict[str, Any]) -> None:
    """Fill the clients with one stack's inventory, with the attributes the checks read."""
    region, account = found["region"], found["account"]
    for client in clients.values():
        client.region = region
        client.audited_account = account
        client.audit_config = {}
        client.log_group_arn_template = f"arn:aws:logs:{region}:{account}:log-group"
    clients["cloudtrail_client"].trails = found["trails"]
    clients["cloudtrail_client"].trails_unavailable = False
    clients["logs_client"].log_groups = found["log_groups"]
    clients["logs_client"].metric_filters = found["metric_filters"]
    clients["logs_client"].log_groups_unavailable = False
    clients["logs_client"].metric_filters_unavailable = False
    clients["cloudwatch_client"].metric_alarms = found["metric_alarms"]
    clients["cloudwatch_client"].metric_alarms_unavailable = False


def load_checks() -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Import each check; record the regex a metric-filter check passes to Prowler's matcher."""
    checks: dict[str, Any] = {}
    regexes: dict[str, list[str]] = {}
    for check_id in METRIC_FILTER_CHECKS + RESOURCE_CHECKS:
        module = importlib.import_module(f"{SERVICES}.cloudwatch.{check_id}.{check_id}")
        matcher = getattr(module, "check_cloudwatch_log_metric_filter", None)
        if matcher is not None:
            # Called through unchanged; only its first argument is noted down.
            def spy(pattern: str, *args: Any, _real: Any = matcher, _id: str = check_id) -> Any:
                regexes.setdefault(_id, []).append(pattern)
                return _real(pattern, *args)

            module.check_cloudwatch_log_metric_filter = spy
        checks[check_id] = getattr(module, check_id)()
    return checks, regexes


def run(paths: list[Path]) -> dict[str, Any]:
    clients = install_clients()
    checks, regexes = load_checks()
    results: dict[str, Any] = {}
    for path in paths:
        load_inventory(clients, inventory(Stack(path)))
        per_check: dict[str, Any] = {}
        for check_id, check in checks.items():
            regexes.pop(check_id, None)
            findings = check.execute()
            statuses = sorted({f.status for f in findings})
            per_check[check_id] = {
                # A resource check with nothing to look at (no log group here) has no finding.
                "status": "FAIL" if "FAIL" in statuses else (statuses[0] if statuses else "NONE"),
                "detail": [f.status_extended for f in findings],
                "regex": (regexes.get(check_id) or [None])[0],
            }
        results[str(path)] = per_check
    return results


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: run_checks.py STACK/cdk.tf.json...", file=sys.stderr)
        return 2
    # Prowler logs through the root logger; keep stdout for the JSON.
    import logging

    logging.disable(logging.CRITICAL)
    json.dump(run([Path(a) for a in argv]), sys.stdout, indent=1, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
