"""Alarm settings that can never reach ALARM on a trailwatch metric, and why, in one line each.

Every trailwatch metric filter emits 1 for each matching record, and, with `default_value`,
0 for every other record the log group receives. A period's datapoints are therefore all 1
(or a mix of 0 and 1), which fixes what each statistic can be:

- `Sum`: the number of matching records; `SampleCount`: the same without `default_value`, and
  every record the log group received with it (the quiet periods' zeros count too).
- `Average`, `Minimum`, `Maximum`: never above 1.

So some settings can never fire, or fire whatever matched. Validate and synth refuse them for
the catalog and the config (`trailwatch.spec.model`); plan review flags a change that brings
one in (`trailwatch.audit.plan.rules`). One table, read by both.
"""

from __future__ import annotations

from dataclasses import dataclass

# Statistics whose value stays at or below 1 on a metric of ones (and zeros).
CAPPED_AT_ONE = frozenset({"Average", "Minimum", "Maximum"})


@dataclass(frozen=True)
class FiringSettings:
    """What decides whether an alarm on a trailwatch metric can fire."""

    statistic: str
    comparison: str
    threshold: float
    evaluation_periods: int
    datapoints_to_alarm: int | None
    default_value: bool = False


def problems(settings: FiringSettings) -> list[str]:
    """Why the settings cannot work, one sentence each (empty when they can)."""
    found = []
    statistic, comparison, threshold = settings.statistic, settings.comparison, settings.threshold
    if comparison.startswith("LessThan"):
        found.append(
            f"comparison {comparison} fires when matching records are few, not when they "
            "occur: a security alarm must use GreaterThanOrEqualToThreshold or "
            "GreaterThanThreshold"
        )
    elif statistic in CAPPED_AT_ONE and (
        threshold > 1 or (threshold == 1 and comparison == "GreaterThanThreshold")
    ):
        relation = ">" if comparison == "GreaterThanThreshold" else ">="
        found.append(
            f"statistic {statistic} of a metric whose every datapoint is 1 per matching record "
            f"never exceeds 1, so {relation} {threshold:g} can never be reached: use Sum to "
            "count records"
        )
    if settings.datapoints_to_alarm is not None and (
        settings.datapoints_to_alarm > settings.evaluation_periods
    ):
        found.append(
            f"datapoints_to_alarm ({settings.datapoints_to_alarm}) cannot exceed "
            f"evaluation_periods ({settings.evaluation_periods}): the alarm would need more "
            "breaching periods than it looks at"
        )
    at_least_one = comparison == "GreaterThanOrEqualToThreshold" and threshold == 1
    above_zero = comparison == "GreaterThanThreshold" and threshold == 0
    # With default_value a period's datapoints mix the matches' ones and everything else's
    # zeros: Average reaches 1, and Minimum leaves 0, only when every record matches.
    if (
        settings.default_value
        and not found
        and (
            (statistic == "Average" and at_least_one)
            or (statistic == "Minimum" and (at_least_one or above_zero or threshold > 0))
        )
    ):
        found.append(
            f"statistic {statistic} with default_value is diluted by the zeros of the records "
            f"that do not match: it passes {threshold:g} only when every record of the period "
            "matches, which on a CloudTrail log group is never: use Sum"
        )
    if settings.default_value and statistic == "SampleCount":
        found.append(
            "statistic SampleCount with default_value counts every record the log group "
            "receives (the zeros of non-matching records too), so it fires whatever matched: "
            "use Sum"
        )
    elif (
        settings.default_value
        and threshold == 0
        and comparison == "GreaterThanOrEqualToThreshold"
        and not found
    ):
        found.append(
            "threshold 0 with GreaterThanOrEqualToThreshold and default_value is reached by the "
            "quiet periods' zeros, so it fires whatever matched: use threshold 1"
        )
    return found
