"""parliament over every policy document of every synthesized stack.

parliament (Duo Labs' IAM linter, pinned in tools/parliament/Pipfile, synced into
.tools/parliament) knows each action's resource types and condition keys. The test pulls every
policy document out of the synthesized Terraform JSON (any string that parses as a policy, so a
new one cannot be missed), replaces Terraform's `${...}` references by values of the shape AWS
would put there, and hands them all to tools/parliament/run_parliament.py in one process, each
with its kind: identity (role policies), resource (key, bucket, topic policies) or trust
(assume_role_policy). Nothing above LOW may be reported unless tools/parliament/accepted.yaml
accepts it with a reason.
"""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO, Synth, SynthFactory, default_config, missing_tool
from tests.test_checkov import CONFIGS as CHECKOV_CONFIGS

PARLIAMENT_PYTHON = REPO / ".tools" / "parliament" / "bin" / "python"
RUNNER = REPO / "tools" / "parliament" / "run_parliament.py"
ACCEPTED = REPO / "tools" / "parliament" / "accepted.yaml"
SEVERITIES = ["MUTE", "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"]

# The default config, and (shared with the checkov test, so synthesized once) one with an
# existing trail, an S3 backend and every subscription kind, and one with an existing topic.
CONFIGS = {
    "default": default_config,
    **{name: make for name, make in CHECKOV_CONFIGS.items() if name != "default"},
}

# The account a stack without allowed_account_ids deploys to, for the references to it.
PLACEHOLDER_ACCOUNT = "111122223333"
# Which kind of policy each attribute holds. An attribute not listed is judged by its
# statements: all with a Principal is a resource policy, none an identity policy.
KINDS = {
    ("aws_iam_role", "assume_role_policy"): "trust",
    ("aws_iam_role_policy", "policy"): "identity",
    ("aws_iam_policy", "policy"): "identity",
    ("aws_kms_key", "policy"): "resource",
    ("aws_s3_bucket_policy", "policy"): "resource",
    ("aws_sns_topic_policy", "policy"): "resource",
}
# *policy* attributes that hold JSON which is not an IAM policy (SNS delivery retries, SQS
# redrive, subscription filters): named, so that any other one fails the extraction.
NOT_IAM_POLICIES = {"delivery_policy", "redrive_policy", "redrive_allow_policy", "filter_policy"}
REFERENCE = re.compile(r"\$\{([^}]*)\}")


class Stack:
    """One synthesized stack and the values its Terraform references would take."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        provider = data["provider"]["aws"][0]
        self.region: str = provider["region"]
        self.account: str = (provider.get("allowed_account_ids") or [PLACEHOLDER_ACCOUNT])[0]

    def body(self, kind: str, name: str) -> dict[str, Any]:
        body: dict[str, Any] = self.data["resource"][kind][name]
        return body

    def arn(self, kind: str, name: str) -> str:
        """The ARN AWS gives the resource, of the shape its service documents."""
        body, region, account = self.body(kind, name), self.region, self.account
        shapes = {
            "aws_s3_bucket": lambda: f"arn:aws:s3:::{self.resolve(body['bucket'])}",
            "aws_cloudwatch_log_group": lambda: (
                f"arn:aws:logs:{region}:{account}:log-group:{self.resolve(body['name'])}"
            ),
            "aws_sns_topic": lambda: f"arn:aws:sns:{region}:{account}:{self.resolve(body['name'])}",
            "aws_sqs_queue": lambda: f"arn:aws:sqs:{region}:{account}:{self.resolve(body['name'])}",
            "aws_kms_key": lambda: f"arn:aws:kms:{region}:{account}:key/{self.key_id(name)}",
            "aws_iam_role": lambda: f"arn:aws:iam::{account}:role/{self.resolve(body['name'])}",
            "aws_cloudtrail": lambda: (
                f"arn:aws:cloudtrail:{region}:{account}:trail/{self.resolve(body['name'])}"
            ),
        }
        if kind not in shapes:
            raise AssertionError(f"no ARN shape for {kind}: add one to tests/test_parliament.py")
        return shapes[kind]()

    def key_id(self, name: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.region}/{self.account}/{name}"))

    def reference(self, expression: str) -> str:
        """What Terraform puts in place of one `${...}`."""
        parts = expression.split(".")
        if expression == "data.aws_caller_identity.current.account_id":
            return self.account
        if expression == "data.aws_partition.current.partition":
            return "aws"
        if parts[0] == "data" and parts[1] == "aws_region" and parts[-1] in ("name", "region"):
            return self.region
        if len(parts) == 3 and parts[0].startswith("aws_"):
            kind, name, attribute = parts
            body = self.body(kind, name)
            if attribute == "arn":
                return self.arn(kind, name)
            if attribute in body:
                return str(self.resolve(body[attribute]))
            computed = {
                ("aws_s3_bucket", "id"): lambda: self.resolve(body["bucket"]),
                ("aws_iam_role", "id"): lambda: self.resolve(body["name"]),
                ("aws_kms_key", "id"): lambda: self.key_id(name),
                ("aws_kms_key", "key_id"): lambda: self.key_id(name),
            }
            if (kind, attribute) in computed:
                return str(computed[(kind, attribute)]())
        raise AssertionError(f"cannot resolve ${{{expression}}}: teach tests/test_parliament.py")

    def resolve(self, value: Any) -> Any:
        """A value with every reference replaced, at any depth."""
        if isinstance(value, str):
            return REFERENCE.sub(lambda m: self.reference(m.group(1)), value)
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        return value


def strings(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every string value in a block, with the attribute path that leads to it."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from strings(value, (*path, key))
    elif isinstance(node, list):
        for value in node:
            yield from strings(value, path)
    elif isinstance(node, str):
        yield path, node


def policy_kind(kind: str, attribute: str, document: dict[str, Any]) -> str:
    if (kind, attribute) in KINDS:
        return KINDS[(kind, attribute)]
    if attribute == "assume_role_policy":
        return "trust"
    statements = document["Statement"]
    statements = statements if isinstance(statements, list) else [statements]
    with_principal = {"Principal" in s or "NotPrincipal" in s for s in statements}
    assert len(with_principal) == 1, f"{kind}.{attribute}: some statements name a Principal"
    return "resource" if with_principal == {True} else "identity"


def policy_documents(label: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every policy document of one stack (resources and data sources), references resolved."""
    stack = Stack(data)
    found = []
    blocks = [
        ("resource", kind, name, body)
        for kind, named in data.get("resource", {}).items()
        for name, body in named.items()
    ]
    blocks += [
        ("data", kind, name, body)
        for kind, named in data.get("data", {}).items()
        for name, body in named.items()
    ]
    for section, kind, name, body in blocks:
        for path, value in strings({k: v for k, v in body.items() if k != "//"}):
            attribute = path[-1]
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = None
            if not (isinstance(parsed, dict) and "Statement" in parsed):
                is_policy_named = "policy" in attribute.lower()
                assert not (is_policy_named and parsed is not None) or (
                    attribute in NOT_IAM_POLICIES
                ), f"{kind}.{name}.{attribute} holds JSON that is not a policy document"
                continue
            document = stack.resolve(parsed)
            assert "${" not in json.dumps(document), document
            item: dict[str, Any] = {
                "name": f"{label}:{section}.{kind}.{name}.{'.'.join(path)}",
                "type": policy_kind(kind, attribute, parsed),
                "document": document,
            }
            if section == "resource" and kind == "aws_kms_key":
                item["resource"] = stack.arn(kind, name)  # "*" in a key policy: this key
            if section == "resource" and kind == "aws_iam_role" and item["type"] == "trust":
                item["resource"] = stack.arn(kind, name)  # the role it lets others assume
            found.append(item)
    return found


def run_parliament(items: list[dict[str, Any]], workdir: Path) -> dict[str, Any]:
    """One parliament process for every document."""
    documents = workdir / "parliament-documents.json"
    documents.write_text(json.dumps(items, indent=1))
    result = subprocess.run(
        [str(PARLIAMENT_PYTHON), str(RUNNER), str(documents)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def load_accepted() -> list[dict[str, Any]]:
    accepted: list[dict[str, Any]] = yaml.safe_load(ACCEPTED.read_text()) or []
    return accepted


def finding_actions(finding: dict[str, Any]) -> list[str]:
    """The actions a finding is about: in its location (community auditors) or its detail."""
    actions = list(finding["location"].get("actions") or [])
    if isinstance(finding["detail"], list):
        actions += [d["action"] for d in finding["detail"] if isinstance(d, dict) and "action" in d]
    return actions


def is_accepted(finding: dict[str, Any], accepted: list[dict[str, Any]]) -> bool:
    actions = finding_actions(finding)
    return any(
        entry["issue"] == finding["issue"]
        and entry["sid"] == finding["sid"]
        and re.search(entry["document"], finding["name"])
        and actions
        and all(
            any(fnmatch.fnmatch(a.lower(), glob.lower()) for glob in entry["actions"])
            for a in actions
        )
        for entry in accepted
    )


@pytest.fixture(scope="module")
def documents(synth_config: SynthFactory) -> list[dict[str, Any]]:
    synths: dict[str, Synth] = {name: synth_config(name, make()) for name, make in CONFIGS.items()}
    return [
        item
        for config, synth in synths.items()
        for stack in synth.stack_names()
        for item in policy_documents(f"{config}/{stack}", synth.stack(stack))
    ]


@pytest.fixture(scope="module")
def report(
    documents: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    if not PARLIAMENT_PYTHON.is_file():
        missing_tool(f"{PARLIAMENT_PYTHON} is missing: run `make install`")
    return run_parliament(documents, tmp_path_factory.mktemp("parliament"))


@pytest.mark.synth
def test_every_kind_of_policy_is_extracted(documents: list[dict[str, Any]]) -> None:
    kinds = set()
    for item in documents:
        match = re.search(r":resource\.(\w+\.\w+)\.", item["name"])
        if match:
            kinds.add((match.group(1), item["type"]))
    assert {
        ("aws_kms_key.key", "resource"),
        ("aws_s3_bucket_policy.log_bucket_policy", "resource"),
        ("aws_sns_topic_policy.alarm_topic_policy", "resource"),
        ("aws_iam_role.delivery_role", "trust"),
        ("aws_iam_role_policy.delivery_role_policy", "identity"),
    } <= kinds


@pytest.mark.synth
def test_parliament_analysed_every_document(
    documents: list[dict[str, Any]], report: dict[str, Any]
) -> None:
    names = [item["name"] for item in documents]
    assert len(names) == len(set(names))
    assert names, "no policy document was extracted"
    assert set(report["analysed"]) == set(names)


@pytest.mark.synth
def test_parliament_finds_nothing_above_low(report: dict[str, Any]) -> None:
    accepted = load_accepted()
    open_findings = [
        f"{f['severity']} {f['issue']} {f['name']} [{f['sid']}]: {f['detail']}"
        for f in report["findings"]
        if SEVERITIES.index(f["severity"]) > SEVERITIES.index("LOW")
        and not is_accepted(f, accepted)
    ]
    assert open_findings == []


@pytest.mark.synth
def test_every_accepted_finding_has_a_reason_and_still_occurs(report: dict[str, Any]) -> None:
    accepted = load_accepted()
    for entry in accepted:
        assert set(entry) == {"issue", "sid", "document", "actions", "reason"}, entry
        assert entry["reason"].strip(), entry
        assert any(is_accepted(f, [entry]) for f in report["findings"]), f"stale: {entry}"


@pytest.mark.synth
def test_runner_applies_what_each_kind_of_policy_means(tmp_path: Path) -> None:
    # What IAM refuses for a kind, and a mismatch only parliament knows, are all reported.
    if not PARLIAMENT_PYTHON.is_file():
        missing_tool(f"{PARLIAMENT_PYTHON} is missing: run `make install`")
    role = "arn:aws:iam::111122223333:role/example"
    items = [
        {
            "name": "identity-with-principal",
            "type": "identity",
            "document": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "A",
                        "Effect": "Allow",
                        "Principal": {"AWS": "111122223333"},
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::bucket",
                    }
                ],
            },
        },
        {
            "name": "resource-without-principal",
            "type": "resource",
            "document": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "B",
                        "Effect": "Allow",
                        "Action": "sns:Publish",
                        "Resource": "arn:aws:sns:us-east-1:111122223333:topic",
                    }
                ],
            },
        },
        {
            "name": "trust-with-resource",
            "type": "trust",
            "resource": role,
            "document": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "C",
                        "Effect": "Allow",
                        "Principal": {"Service": "ec2.amazonaws.com"},
                        "Action": ["sts:AssumeRole", "s3:GetObject"],
                        "Resource": "*",
                    }
                ],
            },
        },
        {
            "name": "trust",
            "type": "trust",
            "resource": role,
            "document": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "D",
                        "Effect": "Allow",
                        "Principal": {"Service": "ec2.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
        },
    ]
    report = run_parliament(items, tmp_path)
    issues = {(f["name"], f["issue"]) for f in report["findings"]}
    assert {
        ("identity-with-principal", "PRINCIPAL_IN_IDENTITY_POLICY"),
        ("identity-with-principal", "RESOURCE_MISMATCH"),  # GetObject wants an object ARN
        ("resource-without-principal", "MISSING_PRINCIPAL"),
        ("trust-with-resource", "RESOURCE_IN_TRUST_POLICY"),
        ("trust-with-resource", "NOT_A_TRUST_ACTION"),
    } <= issues
    # A well-formed trust policy is not malformed for lack of a Resource.
    assert {i for n, i in issues if n == "trust"} <= {"CREDENTIALS_EXPOSURE"}
    assert report["analysed"] == [item["name"] for item in items]
