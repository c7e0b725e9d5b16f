"""Records varied deterministically from real CloudTrail samples, for benchmarks and equality tests.

`vary` makes a sample another call of the same kind (another time, event ID, source address and
caller): what `make bench` replays. `perturb` also changes, for some records, the fields the
catalog's patterns read, into values real and hostile input holds: another event name or
source, an error code, a root or IAM caller, MFA answers, instance types, and the awkward
shapes (a number, null, a boolean, an object, an array, a missing field) that the filter-pattern
semantics treat apart. Equality tests replay such sets through two engines (the pre-filter on
and off, Python and SQL) and compare every answer.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SAMPLE_FILES = ("aws-docs.jsonl", "panther-analysis.jsonl", "stratus-red-team.jsonl")
SEED = 20240101
# Generated records fall anywhere in one week, so that every size covers the same periods: the
# alarm simulation keeps a counter per period, and memory should then not differ between sizes.
SPAN_SECONDS = 7 * 24 * 3600
START = 1_704_067_200  # 2024-01-01T00:00:00Z

# Values the catalog's patterns test, and near misses of them.
_EVENT_NAMES = (
    "ConsoleLogin",
    "RunInstances",
    "StopLogging",
    "CreatePolicy",
    "PutBucketPolicy",
    "DisableKey",
    "ScheduleKeyDeletion",
    "AuthorizeSecurityGroupIngress",
    "CreateVpc",
    "PutConfigurationRecorder",
    "LeaveOrganization",
    "DescribeInstances",
    "consolelogin",
    "",
)
_EVENT_SOURCES = (
    "ec2.amazonaws.com",
    "s3.amazonaws.com",
    "kms.amazonaws.com",
    "config.amazonaws.com",
    "organizations.amazonaws.com",
    "iam.amazonaws.com",
    "signin.amazonaws.com",
)
_ERROR_CODES = (
    "AccessDenied",
    "AccessDeniedException",
    "Client.UnauthorizedOperation",
    "UnauthorizedOperation",
    "VpceAccessDenied",
    "ThrottlingException",
    "accessdenied",
)
_IDENTITY_TYPES = ("Root", "IAMUser", "AssumedRole", "AWSService", "root")
_MFA = ("Yes", "No", "YES", "")
_INSTANCE_TYPES = ("m5.8xlarge", "c5.4xlarge", "t3.micro", "8xlarge", "m5.8xlarge ")
# Shapes that are not strings: the semantics of numbers, null, booleans and containers.
_ODD: tuple[Any, ...] = (None, True, False, 0, 400, 1.5, [], ["AccessDenied"], {}, {"a": "b"})


def load_samples(folder: Path) -> list[dict[str, Any]]:
    """The shared samples' records, in file order."""
    records = []
    for name in SAMPLE_FILES:
        with (folder / name).open(encoding="utf-8") as f:
            records += [json.loads(line) for line in f if line.strip()]
    return records


def vary(template: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A copy of a sample record as another call, at another time, by another caller."""
    record = dict(template)
    moment = START + rng.randrange(SPAN_SECONDS)
    record["eventTime"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))
    bits = f"{rng.getrandbits(128):032x}"
    record["eventID"] = f"{bits[:8]}-{bits[8:12]}-{bits[12:16]}-{bits[16:20]}-{bits[20:]}"
    record["sourceIPAddress"] = ".".join(str(rng.randrange(1, 255)) for _ in range(4))
    identity = record.get("userIdentity")
    if isinstance(identity, dict):
        identity = dict(identity)
        user = rng.randrange(1000)
        if "principalId" in identity:
            identity["principalId"] = f"AIDA{rng.getrandbits(64):016X}"
        if "accessKeyId" in identity:
            identity["accessKeyId"] = f"ASIA{rng.getrandbits(64):016X}"
        if "userName" in identity:
            identity["userName"] = f"user-{user:04d}"
        record["userIdentity"] = identity
    return record


def _set_or_drop(record: dict[str, Any], key: str, value: Any, rng: random.Random) -> None:
    roll = rng.random()
    if roll < 0.08:
        record.pop(key, None)
    elif roll < 0.2:
        record[key] = rng.choice(_ODD)
    else:
        record[key] = value


def _nested(record: dict[str, Any], outer: str) -> dict[str, Any]:
    inner = record.get(outer)
    inner = dict(inner) if isinstance(inner, dict) else {}
    record[outer] = inner
    return inner


def perturb(record: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A varied record of which, one time in two, a field the patterns read is changed."""
    if rng.random() < 0.5:
        return record
    choice = rng.randrange(8)
    if choice == 0:
        _set_or_drop(record, "eventName", rng.choice(_EVENT_NAMES), rng)
    elif choice == 1:
        _set_or_drop(record, "eventSource", rng.choice(_EVENT_SOURCES), rng)
    elif choice == 2:
        _set_or_drop(record, "errorCode", rng.choice(_ERROR_CODES), rng)
    elif choice == 3:
        identity = _nested(record, "userIdentity")
        _set_or_drop(identity, "type", rng.choice(_IDENTITY_TYPES), rng)
        if rng.random() < 0.5:
            _set_or_drop(identity, "invokedBy", "signin.amazonaws.com", rng)
    elif choice == 4:
        _set_or_drop(_nested(record, "additionalEventData"), "MFAUsed", rng.choice(_MFA), rng)
        _set_or_drop(_nested(record, "responseElements"), "ConsoleLogin", "Success", rng)
    elif choice == 5:
        _set_or_drop(
            _nested(record, "requestParameters"), "instanceType", rng.choice(_INSTANCE_TYPES), rng
        )
    elif choice == 6:
        _set_or_drop(record, "eventType", rng.choice(("AwsApiCall", "AwsServiceEvent")), rng)
    else:
        _set_or_drop(record, "errorMessage", "Failed authentication", rng)
    return record


def records(
    samples: list[dict[str, Any]], count: int, *, seed: int = SEED, perturbed: bool = False
) -> Iterator[dict[str, Any]]:
    """`count` records varied from the samples (and perturbed, when asked), the same every run."""
    rng = random.Random(seed)
    for _ in range(count):
        record = vary(samples[rng.randrange(len(samples))], rng)
        yield perturb(record, rng) if perturbed else record


def write_jsonl(path: Path, items: Iterator[dict[str, Any]], count: int | None = None) -> int:
    """Write records as JSON Lines (at most `count`); how many were written."""
    written = 0
    with path.open("w", encoding="utf-8") as f:
        for record in items:
            f.write(json.dumps(record))
            f.write("\n")
            written += 1
            if count is not None and written >= count:
                break
    return written
