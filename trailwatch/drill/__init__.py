"""The fire drill: the lab's test section as code, safe, against deployed targets.

For each target, `drill_target` removes what an interrupted drill left (`sweep`), makes the
safe API calls of each exercise area (`exercises`: network, bucket, IAM policy, trail) on
throw-away resources, builds the record CloudTrail writes for each call (`records`) and judges
it with the filter *deployed* in the target's log group, read back from AWS
(`trailwatch.inventory.aws`), not the catalog's text. Which events an area exercises, and why the
others cannot be drilled, is in each event file's `drill:` field. `wait_for_alarms` then watches
the real alarms.

Public API (what `trailwatch.cli.drill` and the tests use):

    clients = AwsClients(target, endpoint_url)          # boto3 clients for one target
    drill = drill_target(deployment, target, clients)   # TargetDrill; DrillError when it cannot
    drill.ok, drill.results, drill.not_drillable        # CallResult, NotDrillable
    drill.to_json()                                     # what `drill --json` prints per target
    drills = wait_for_alarms(deployment, drills, clients_for, timeout=900)  # adds AlarmState

Nothing here imports boto3 until a client is made.
"""

from trailwatch.drill.clients import AwsClients, Identity
from trailwatch.drill.exercises import BUCKET_NAME, DRILL_TAG, EXERCISES, IAM_PATH
from trailwatch.drill.records import cloudtrail_record
from trailwatch.drill.run import (
    AlarmState,
    CallResult,
    DrillReport,
    NotDrillable,
    TargetDrill,
    drill_target,
    evaluate,
    not_drillable,
    replay_command,
)
from trailwatch.drill.wait import wait_for_alarms

__all__ = [
    "BUCKET_NAME",
    "DRILL_TAG",
    "EXERCISES",
    "IAM_PATH",
    "AlarmState",
    "AwsClients",
    "CallResult",
    "Identity",
    "NotDrillable",
    "DrillReport",
    "TargetDrill",
    "cloudtrail_record",
    "drill_target",
    "evaluate",
    "not_drillable",
    "replay_command",
    "wait_for_alarms",
]
