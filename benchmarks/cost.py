"""What 1,000,000 enrollments cost on AWS, from what one benchmark run measured.

List prices, us-east-1, on-demand, without free tiers (check the AWS price pages before relying):
Step Functions Standard $0.025 per 1,000 state transitions; Lambda $0.20 per million requests and
$0.0000133334 per GB-second (arm64, as template.yaml deploys); DynamoDB on-demand $0.625 per
million write request units and $0.125 per million read request units; SQS standard $0.40 per
million requests; SES $0.10 per 1,000 emails; EventBridge $1.00 per million custom events.

The inputs are counted, not guessed: transitions from the executions' histories, Lambda invocations
and their in-process durations from the runtime (each rounded up to 1 ms and billed at the
function's MemorySize in template.yaml), AWS calls made by the handlers by operation. A DynamoDB
item written counts one write unit, plus one per global secondary index of its table (items here
are under 1 KB; a transaction counts two), a strongly consistent read one unit per item, a query
one unit per call. SQS counts the handlers'
sends plus one receive and one delete per delivered batch (Lambda's poller, also billed).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

PRICES = {
    "transition": 0.025 / 1000,
    "lambda_request": 0.20 / 1e6,
    "gb_second": 0.0000133334,
    "write_unit": 0.625 / 1e6,
    "read_unit": 0.125 / 1e6,
    "sqs_request": 0.40 / 1e6,
    "email": 0.10 / 1000,
    "event": 1.00 / 1e6,
}
READS = {"GetItem": 1, "Query": 1, "Scan": 1}


@dataclass
class Usage:
    """What a number of enrollments used, as measured."""

    enrollments: int
    transitions: int
    invocations: dict[str, tuple[int, int, int]]  # function: (invocations, billed ms, memory MB)
    calls: Counter[tuple[str, str]]
    write_units: int  # DynamoDB items written, each times (1 + the indexes of its table)
    queue_batches: int  # SQS batches delivered to functions (a receive and a delete each)


def per_million(usage: Usage) -> dict[str, float]:
    """Dollars per 1,000,000 enrollments, by service, and the total."""
    scale = 1_000_000 / max(usage.enrollments, 1)
    requests = sum(count for count, _, _ in usage.invocations.values())
    gb_seconds = sum(memory / 1024 * ms / 1000 for _, ms, memory in usage.invocations.values())
    ddb = {op: n for (service, op), n in usage.calls.items() if service == "dynamodb"}
    writes = usage.write_units
    reads = sum(READS.get(op, 0) * n for op, n in ddb.items())
    sqs = sum(n for (service, _), n in usage.calls.items() if service == "sqs") + 2 * usage.queue_batches
    cost = {
        "Step Functions": usage.transitions * PRICES["transition"],
        "Lambda": requests * PRICES["lambda_request"] + gb_seconds * PRICES["gb_second"],
        "DynamoDB": writes * PRICES["write_unit"] + reads * PRICES["read_unit"],
        "SQS": sqs * PRICES["sqs_request"],
        "SES": usage.calls[("ses", "SendRawEmail")] * PRICES["email"],
        "EventBridge": usage.calls[("events", "PutEvents")] * PRICES["event"],
    }
    priced = {name: round(value * scale, 2) for name, value in cost.items()}
    priced["total"] = round(sum(cost.values()) * scale, 2)
    return priced
