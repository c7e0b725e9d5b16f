"""The Athena table of CloudTrail logs that AWS documents, with partition projection.

The columns are those of AWS's "Creating the table for CloudTrail logs in Athena using partition
projection" (the nested `useridentity` struct; `requestparameters`, `responseelements`,
`additionaleventdata` as JSON strings; the `resources` array), read by the CloudTrail input
format. Partitions are projected, never crawled: `account` (injected: every query names its
accounts, or enumerated with `accounts`), `region` (enumerated) and `timestamp` (daily,
`yyyy/MM/dd`), so that `--since`/`--until`, `--accounts` and `--regions` prune what is scanned.
An organization trail writes under `AWSLogs/<organization id>/<account>/`, another trail under
`AWSLogs/<account>/`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from trailwatch.errors import InputError
from trailwatch.spec.fields import KEY_PREFIX, REGION, known_regions

COLUMNS = """\
  eventversion STRING,
  useridentity STRUCT<
    type: STRING,
    principalid: STRING,
    arn: STRING,
    accountid: STRING,
    invokedby: STRING,
    accesskeyid: STRING,
    username: STRING,
    onbehalfof: STRUCT<userid: STRING, identitystorearn: STRING>,
    sessioncontext: STRUCT<
      attributes: STRUCT<mfaauthenticated: STRING, creationdate: STRING>,
      sessionissuer: STRUCT<
        type: STRING, principalid: STRING, arn: STRING, accountid: STRING, username: STRING>,
      ec2roledelivery: STRING,
      webidfederationdata: STRUCT<federatedprovider: STRING, attributes: MAP<STRING, STRING>>>>,
  eventtime STRING,
  eventsource STRING,
  eventname STRING,
  awsregion STRING,
  sourceipaddress STRING,
  useragent STRING,
  errorcode STRING,
  errormessage STRING,
  requestparameters STRING,
  responseelements STRING,
  additionaleventdata STRING,
  requestid STRING,
  eventid STRING,
  readonly STRING,
  resources ARRAY<STRUCT<arn: STRING, accountid: STRING, type: STRING>>,
  eventtype STRING,
  apiversion STRING,
  recipientaccountid STRING,
  serviceeventdetails STRING,
  sharedeventid STRING,
  vpcendpointid STRING,
  vpcendpointaccountid STRING,
  eventcategory STRING,
  addendum STRUCT<
    reason: STRING, updatedfields: STRING, originalrequestid: STRING, originaleventid: STRING>,
  sessioncredentialfromconsole STRING,
  edgedevicedetails STRING,
  tlsdetails STRUCT<tlsversion: STRING, ciphersuite: STRING, clientprovidedhostheader: STRING>"""

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_ORGANIZATION = re.compile(r"o-[a-z0-9]{10,32}")
_ACCOUNT = re.compile(r"[0-9]{12}")
_TABLE = re.compile(r"[a-z_][a-z0-9_]{0,127}")
# The projection's date format, and the forms `--since` takes (replay's, and the projection's).
_DAY = "%Y/%m/%d"
_SINCE_FORMATS = ("%Y-%m-%d", _DAY)


def projection_day(since: str) -> str:
    """`2024-01-01` or `2024/01/01` as the projection range's `2024/01/01`."""
    for form in _SINCE_FORMATS:
        try:
            return datetime.strptime(since, form).strftime(_DAY)
        except ValueError:
            continue
    raise InputError(f"--since: {since!r} is not a day (2024-01-01 or 2024/01/01)")


def _check_location(prefix: str, regions: Sequence[str]) -> None:
    """Refuse what would break the DDL's quoted strings or name no real region."""
    if prefix.strip("/") and not re.fullmatch(KEY_PREFIX.regex, prefix):
        raise InputError(f"--prefix: {prefix!r} is not {KEY_PREFIX.words}")
    if not regions:
        raise InputError("--regions: no region given")
    known = known_regions()
    for region in regions:
        if not re.fullmatch(REGION.regex, region) or (known and region not in known):
            raise InputError(
                f"--regions: {region!r} is not an AWS region botocore knows (such as us-east-1)"
            )


def cloudtrail_ddl(
    *,
    bucket: str,
    prefix: str = "",
    organization_id: str | None = None,
    table: str = "cloudtrail_logs",
    regions: Sequence[str],
    accounts: Sequence[str] = (),
    since: str = "2020/01/01",
) -> str:
    """`CREATE EXTERNAL TABLE` for the trail's logs in `s3://bucket/prefix/`."""
    if not _BUCKET.fullmatch(bucket):
        raise InputError(f"--bucket: {bucket!r} is not an S3 bucket name")
    if organization_id is not None and not _ORGANIZATION.fullmatch(organization_id):
        raise InputError(f"--organization-id: {organization_id!r} is not o- and 10-32 letters")
    bad = [a for a in accounts if not _ACCOUNT.fullmatch(a)]
    if bad:
        raise InputError(f"--accounts: {bad[0]!r} is not a 12-digit account id")
    if not _TABLE.fullmatch(table):
        raise InputError(f"--table: {table!r} is not a table name (a-z, 0-9, _)")
    _check_location(prefix, regions)
    first_day = projection_day(since)
    root = f"s3://{bucket}/" + (prefix.strip("/") + "/" if prefix.strip("/") else "") + "AWSLogs/"
    if organization_id:
        root += f"{organization_id}/"
    values = ",".join(accounts)
    account = (
        f"  'projection.account.type'='enum',\n  'projection.account.values'='{values}',"
        if accounts
        else "  'projection.account.type'='injected',"
    )
    return f"""CREATE EXTERNAL TABLE {table} (
{COLUMNS}
)
PARTITIONED BY (account STRING, region STRING, `timestamp` STRING)
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION '{root}'
TBLPROPERTIES (
  'projection.enabled'='true',
{account}
  'projection.region.type'='enum',
  'projection.region.values'='{",".join(regions)}',
  'projection.timestamp.type'='date',
  'projection.timestamp.format'='yyyy/MM/dd',
  'projection.timestamp.range'='{first_day},NOW',
  'projection.timestamp.interval'='1',
  'projection.timestamp.interval.unit'='DAYS',
  'storage.location.template'='{root}${{account}}/CloudTrail/${{region}}/${{timestamp}}'
);
"""
