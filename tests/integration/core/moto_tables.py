"""The table the moto fit tests write to: a string key and one index, enough for every path the
fits change (puts, batches, transactions, index queries)."""

from __future__ import annotations

from typing import Any


def create_fit_table(client: Any, name: str) -> None:
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "grp", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        GlobalSecondaryIndexes=[{"IndexName": "by_grp", "Projection": {"ProjectionType": "ALL"},
                                                 "KeySchema": [{"AttributeName": "grp", "KeyType": "HASH"},
                                                               {"AttributeName": "pk", "KeyType": "RANGE"}]}])
