"""S3 clients for the warehouse side (Redshift's staging bucket, S3 event logs) and their errors.

Connection details name the bucket's credentials the way the catalog's forms do: access keys
(``accessKeyID`` / ``accessKey``), or a role to assume (``iamRoleARN`` with an optional
``externalId``); ``endpointUrl`` points at an S3-compatible server (MinIO, moto in the tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eventyard.settings import Settings
from eventyard.warehouse.errors import TerminalWarehouseError, TransientWarehouseError, WarehouseError

# S3 error codes that the same request gets again until someone changes the bucket or the keys.
TERMINAL_S3_CODES = frozenset(
    {
        "AccessDenied", "AccountProblem", "AllAccessDisabled", "InvalidAccessKeyId", "InvalidBucketName",
        "NoSuchBucket", "SignatureDoesNotMatch",
    }
)  # fmt: skip


def s3_client(
    details: Mapping[str, Any],
    settings: Settings,
    *,
    endpoint_default: str | None = None,
    assume_role: bool = False,
) -> Any:
    """A boto3 S3 client for a connection: its keys, else (``assume_role``) its role, else the
    default credential chain (the machine's role)."""
    import boto3

    region = str(details.get("region") or settings.s3_region)
    kwargs: dict[str, Any] = {
        "region_name": region,
        "endpoint_url": details.get("endpointUrl") or endpoint_default,
    }
    if details.get("accessKeyID") and details.get("accessKey"):
        kwargs["aws_access_key_id"] = str(details["accessKeyID"])
        kwargs["aws_secret_access_key"] = str(details["accessKey"])
    elif assume_role and details.get("roleBasedAuth", True) and details.get("iamRoleARN"):
        kwargs.update(_assumed_role(details, region))
    return boto3.client("s3", **kwargs)


def _assumed_role(details: Mapping[str, Any], region: str) -> dict[str, str]:
    """Temporary credentials for the customer's role (with its external id, if any)."""
    import boto3

    params: dict[str, Any] = {"RoleArn": str(details["iamRoleARN"])}
    params["RoleSessionName"] = "eventyard-event-logs"
    if details.get("externalId"):
        params["ExternalId"] = str(details["externalId"])
    try:
        creds = boto3.client("sts", region_name=region).assume_role(**params)["Credentials"]
    except Exception as exc:  # botocore raises many types; all mean "cannot get in"
        raise s3_error(f"cannot assume {details['iamRoleARN']}", exc) from exc
    return {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }


def s3_error(what: str, exc: BaseException) -> WarehouseError:
    """``what`` failed because of ``exc`` (a botocore error): terminal for a missing bucket, denied
    access or bad keys, and for missing credentials; transient otherwise (network, 5xx, throttling)."""
    from botocore.exceptions import ClientError, NoCredentialsError

    code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""
    terminal = code in TERMINAL_S3_CODES or isinstance(exc, NoCredentialsError)
    kind = TerminalWarehouseError if terminal else TransientWarehouseError
    return kind(f"{what}: {exc}")
