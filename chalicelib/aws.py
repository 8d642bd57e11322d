"""boto3 clients, created once per process with the configured region.

boto3 honours `AWS_ENDPOINT_URL` itself, which is how the local stack and the integration tests
point every client at the moto server; nothing here needs to know about it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

# A pool of 32 connections per client: the bulk ZIP's assembly reads 16 PDFs in flight while 4
# parts of the ZIP upload (chalicelib/jobs/kinds.py, multipart.py), and botocore's default pool
# of 10 would discard the connections beyond it (a new TLS handshake for each on AWS).
_CONFIG = Config(retries={"max_attempts": 4, "mode": "standard"}, connect_timeout=3, read_timeout=10,
                 max_pool_connections=32)


@lru_cache(maxsize=None)
def client(service: str, region: str) -> Any:
    return boto3.session.Session().client(service, region_name=region, config=_CONFIG)


@lru_cache(maxsize=None)
def batch_client(region: str) -> Any:
    """DynamoDB for bulk BatchWriteItem. Like PynamoDB's own client, without client-side parameter
    validation, which costs about as much CPU as the request itself for 25 items with a profile
    map each (DynamoDB validates anyway)."""
    config = Config(parameter_validation=False, retries={"max_attempts": 4, "mode": "standard"},
                    connect_timeout=3, read_timeout=20)
    return boto3.session.Session().client("dynamodb", region_name=region, config=config)


# Synchronous Lambda invokes (the photo auto-fix): the answer may take as long as the function's
# timeout (25 s, .chalice/config.json), and a retry after a read timeout would run the work
# twice while the member waits behind API Gateway's 29 s; so one attempt, a long read.
_INVOKE_CONFIG = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=3, read_timeout=27)


@lru_cache(maxsize=None)
def invoke_client(region: str) -> Any:
    return boto3.session.Session().client("lambda", region_name=region, config=_INVOKE_CONFIG)


def reset() -> None:
    """Forget cached clients (tests switch endpoints between runs)."""
    client.cache_clear()
    batch_client.cache_clear()
    invoke_client.cache_clear()
