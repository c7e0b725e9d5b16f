"""The inventory from AWS itself: what one account and region hold, read through boto3 clients.

`client` is any `client(service) -> boto3 client` (the drill's `AwsClients`, or a lambda over a
session), bound to the region to read. Every reader is read-only and paginates where AWS does.
API errors (botocore's `ClientError`, `BotoCoreError`) propagate: the caller knows what it was
doing and words the message. Values AWS does not return for a resource stay None; logical ids
are None, as AWS knows nothing of Terraform.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from trailwatch.inventory.model import (
    EventRule,
    EventTarget,
    Inventory,
    LogGroup,
    MetricAlarm,
    MetricFilter,
    Subscription,
    Topic,
    Trail,
)
from trailwatch.inventory.resources import log_group_name_of_arn

ClientFactory = Callable[[str], Any]


def _pages(client: Any, operation: str, key: str, **params: Any) -> Iterator[Mapping[str, Any]]:
    for page in client.get_paginator(operation).paginate(**params):
        yield from page.get(key, [])


def read_log_groups(logs: Any, names: Iterable[str]) -> tuple[LogGroup, ...]:
    """The log groups of exactly these names that exist (a missing one is left out)."""
    found = []
    for name in dict.fromkeys(names):
        for group in _pages(logs, "describe_log_groups", "logGroups", logGroupNamePrefix=name):
            if group["logGroupName"] == name:
                found.append(
                    LogGroup(
                        name=name,
                        retention_days=group.get("retentionInDays"),
                        kms_key_id=group.get("kmsKeyId") or None,
                    )
                )
    return tuple(found)


def read_filters(logs: Any, log_group: str) -> tuple[MetricFilter, ...]:
    """The metric filters of a log group: one per metric transformation, in AWS's order."""
    found = []
    for metric_filter in _pages(
        logs, "describe_metric_filters", "metricFilters", logGroupName=log_group
    ):
        for transformation in metric_filter.get("metricTransformations", []):
            found.append(
                MetricFilter(
                    name=metric_filter["filterName"],
                    log_group_name=metric_filter.get("logGroupName", log_group),
                    pattern=metric_filter.get("filterPattern", ""),
                    metric_name=transformation["metricName"],
                    namespace=transformation["metricNamespace"],
                    default_value=transformation.get("defaultValue"),
                )
            )
    return tuple(found)


def read_alarms(
    cloudwatch: Any,
    *,
    name_prefix: str | None = None,
    metric: tuple[str, str] | None = None,
) -> tuple[MetricAlarm, ...]:
    """Metric alarms: all, those whose name starts with `name_prefix`, or those on one
    (namespace, metric name)."""
    if metric is not None:
        namespace, metric_name = metric
        raw = cloudwatch.describe_alarms_for_metric(MetricName=metric_name, Namespace=namespace)
        alarms: Iterable[Mapping[str, Any]] = raw.get("MetricAlarms", [])
    else:
        params: dict[str, Any] = {"AlarmTypes": ["MetricAlarm"]}
        if name_prefix:
            params["AlarmNamePrefix"] = name_prefix
        alarms = _pages(cloudwatch, "describe_alarms", "MetricAlarms", **params)
    found = [_alarm(a) for a in alarms]
    if name_prefix and metric is not None:
        found = [a for a in found if a.name.startswith(name_prefix)]
    return tuple(found)


def _alarm(alarm: Mapping[str, Any]) -> MetricAlarm:
    datapoints = alarm.get("DatapointsToAlarm")
    return MetricAlarm(
        name=alarm["AlarmName"],
        # Metric-math alarms have no single metric.
        metric_name=alarm.get("MetricName", ""),
        namespace=alarm.get("Namespace", ""),
        threshold=float(alarm.get("Threshold", 0)),
        comparison=alarm.get("ComparisonOperator", ""),
        period=int(alarm.get("Period", 0)),
        evaluation_periods=int(alarm.get("EvaluationPeriods", 0)),
        datapoints_to_alarm=None if datapoints is None else int(datapoints),
        statistic=alarm.get("Statistic", ""),
        treat_missing_data=alarm.get("TreatMissingData", "missing"),
        actions_enabled=alarm.get("ActionsEnabled", True) is not False,
        alarm_actions=tuple(alarm.get("AlarmActions", ())),
        ok_actions=tuple(alarm.get("OKActions", ())),
        insufficient_data_actions=tuple(alarm.get("InsufficientDataActions", ())),
    )


def read_trails(cloudtrail: Any, *, log_groups: Iterable[str] | None = None) -> tuple[Trail, ...]:
    """The trails homed in this region (shadows of other regions' trails left out); with
    `log_groups`, only those delivering to one of them. `logging` is GetTrailStatus's."""
    wanted = set(log_groups) if log_groups is not None else None
    found = []
    for trail in cloudtrail.describe_trails(includeShadowTrails=False).get("trailList", []):
        arn = trail.get("CloudWatchLogsLogGroupArn") or None
        group = log_group_name_of_arn(arn) if arn else None
        if wanted is not None and group not in wanted:
            continue
        name = trail.get("TrailARN") or trail["Name"]
        status = cloudtrail.get_trail_status(Name=name)
        found.append(
            Trail(
                name=trail["Name"],
                multi_region=trail.get("IsMultiRegionTrail") is True,
                logging=status.get("IsLogging") is True,
                log_group_arn=arn,
                role_arn=trail.get("CloudWatchLogsRoleArn") or None,
                kms_key_id=trail.get("KmsKeyId") or None,
                log_group_name=group,
                arn=trail.get("TrailARN") or None,
                include_global_service_events=trail.get("IncludeGlobalServiceEvents"),
            )
        )
    return tuple(found)


def read_topics(sns: Any) -> tuple[Topic, ...]:
    """Every SNS topic (one GetTopicAttributes each, for its KMS key)."""
    found = []
    for topic in _pages(sns, "list_topics", "Topics"):
        arn = topic["TopicArn"]
        attributes = sns.get_topic_attributes(TopicArn=arn).get("Attributes", {})
        found.append(
            Topic(
                arn=arn,
                name=arn.rsplit(":", 1)[-1],
                kms_key_id=attributes.get("KmsMasterKeyId") or None,
            )
        )
    return tuple(found)


def read_subscriptions(sns: Any) -> tuple[Subscription, ...]:
    """Every SNS subscription (pending confirmations included, as AWS lists them)."""
    return tuple(
        Subscription(
            topic_arn=s["TopicArn"], protocol=s.get("Protocol", ""), endpoint=s.get("Endpoint", "")
        )
        for s in _pages(sns, "list_subscriptions", "Subscriptions")
    )


def read_event_rules(events: Any, name_prefix: str) -> tuple[EventRule, ...]:
    """The default bus's rules whose name starts with `name_prefix` (ListRules' NamePrefix;
    every rule when it is empty, which ListRules refuses as a prefix)."""
    params = {"NamePrefix": name_prefix} if name_prefix else {}
    return tuple(
        EventRule(
            name=rule["Name"],
            event_pattern=rule.get("EventPattern", ""),
            state=rule.get("State", "ENABLED"),
            description=rule.get("Description", ""),
            arn=rule.get("Arn", ""),
        )
        for rule in _pages(events, "list_rules", "Rules", **params)
    )


def read_event_targets(events: Any, rules: Iterable[EventRule]) -> tuple[EventTarget, ...]:
    """The targets of each rule (ListTargetsByRule), their input transformer included."""
    found = []
    for rule in rules:
        for target in _pages(events, "list_targets_by_rule", "Targets", Rule=rule.name):
            transformer = target.get("InputTransformer") or {}
            paths = transformer.get("InputPathsMap") or {}
            found.append(
                EventTarget(
                    rule=rule.name,
                    arn=target["Arn"],
                    target_id=target.get("Id", ""),
                    input_paths=tuple(sorted(paths.items())),
                    input_template=transformer.get("InputTemplate", ""),
                )
            )
    return tuple(found)


def read_inventory(
    client: ClientFactory,
    *,
    stack: str,
    log_groups: Sequence[str],
    source: str = "AWS",
    trails: bool = True,
    alarms: bool = False,
    alarm_prefix: str | None = None,
    notifications: bool = False,
    event_rule_prefix: str | None = None,
) -> Inventory:
    """The named log groups with their filters, and as asked: the trails delivering to them,
    the metric alarms (all, or by name prefix), the SNS topics and subscriptions, the
    EventBridge rules whose name starts with `event_rule_prefix` and their targets."""
    logs = client("logs")
    groups = read_log_groups(logs, log_groups)
    filters = tuple(f for g in groups for f in read_filters(logs, g.name))
    found_trails = (
        read_trails(client("cloudtrail"), log_groups=[g.name for g in groups]) if trails else ()
    )
    found_alarms = (
        read_alarms(client("cloudwatch"), name_prefix=alarm_prefix)
        if alarms or alarm_prefix
        else ()
    )
    sns = client("sns") if notifications else None
    topics = read_topics(sns) if sns is not None else ()
    subscriptions = read_subscriptions(sns) if sns is not None else ()
    events = client("events") if event_rule_prefix is not None else None
    rules = read_event_rules(events, event_rule_prefix or "") if events is not None else ()
    targets = read_event_targets(events, rules) if events is not None else ()
    kinds = (found_trails, groups, filters, found_alarms, topics, subscriptions, rules, targets)
    return Inventory(
        stack=stack,
        source=source,
        trails=found_trails,
        log_groups=groups,
        filters=filters,
        alarms=found_alarms,
        topics=topics,
        subscriptions=subscriptions,
        event_rules=rules,
        event_targets=targets,
        resource_count=sum(len(kind) for kind in kinds),
    )
