"""`trailwatch athena-ddl`: AWS's CloudTrail table with account, region and day projected."""

from __future__ import annotations

import pytest

from trailwatch.cli import main


def test_ddl_of_an_organization_trail_projects_account_region_and_day(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["athena-ddl", "--bucket", "org-trail-logs", "--prefix", "/ct/"]
    code = main([*args, "--organization-id", "o-abcdefghij", "--regions", "us-east-1,eu-west-1"])
    assert code == 0
    ddl = capsys.readouterr().out
    assert ddl.startswith("CREATE EXTERNAL TABLE cloudtrail_logs (")
    assert "LOCATION 's3://org-trail-logs/ct/AWSLogs/o-abcdefghij/'" in ddl
    assert (
        "'storage.location.template'='s3://org-trail-logs/ct/AWSLogs/o-abcdefghij/"
        "${account}/CloudTrail/${region}/${timestamp}'" in ddl
    )
    assert "'projection.account.type'='injected'" in ddl
    assert "'projection.region.values'='us-east-1,eu-west-1'" in ddl
    for column in ("useridentity STRUCT<", "requestparameters STRING", "resources ARRAY<STRUCT<"):
        assert column in ddl
    assert "com.amazon.emr.cloudtrail.CloudTrailInputFormat" in ddl


def test_ddl_enumerates_accounts_and_defaults_to_every_commercial_region(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["athena-ddl", "--bucket", "logs-1", "--accounts", "111122223333"]) == 0
    ddl = capsys.readouterr().out
    assert "'projection.account.values'='111122223333'" in ddl
    assert "LOCATION 's3://logs-1/AWSLogs/'" in ddl
    regions = ddl.split("'projection.region.values'='")[1].split("'")[0].split(",")
    assert "us-east-1" in regions and "eu-west-1" in regions
    assert not any(r.startswith(("cn-", "us-gov-")) for r in regions)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bucket", "Bad_Bucket"], "not an S3 bucket name"),
        (["--bucket", "ok-bucket", "--organization-id", "org"], "--organization-id"),
        (["--bucket", "ok-bucket", "--accounts", "12"], "12-digit account id"),
        # Each would have broken the DDL's quoted strings or named nothing real.
        (["--bucket", "ok-bucket", "--prefix", "x'y"], '--prefix: "x\'y" is not an S3 key'),
        (["--bucket", "ok-bucket", "--regions", "us-east-1',evil"], "--regions: \"us-east-1'"),
        (["--bucket", "ok-bucket", "--regions", "us-east-1,eu-wset-1"], "'eu-wset-1' is not"),
        (["--bucket", "ok-bucket", "--since", "bogus"], "--since: 'bogus' is not a day"),
        (["--bucket", "ok-bucket", "--since", "2024/13/01"], "--since: '2024/13/01'"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["athena-ddl", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.parametrize("since", ["2024-01-01", "2024/01/01"])
def test_since_takes_replays_form_and_projects_athenas(
    since: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["athena-ddl", "--bucket", "logs-1", "--since", since]) == 0
    assert "'projection.timestamp.range'='2024/01/01,NOW'" in capsys.readouterr().out
