"""Powertools idempotency over the template's IdempotencyTable: at most once per stream record or event."""

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from crmflow import aws
from crmflow.config import get_settings


def persistence() -> DynamoDBPersistenceLayer:
    """The persistence layer of this process (made per invocation: it is cheap, and tests swap moto)."""
    table = get_settings().idempotency_table
    if not table:
        raise RuntimeError("IDEMPOTENCY_TABLE is not set for this function")
    return DynamoDBPersistenceLayer(table_name=table, boto3_client=aws.client("dynamodb"))
