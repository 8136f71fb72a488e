"""Records table stream: enrollment triggers, re-enrollment and W-4 removals (partial batch responses)."""

from crmflow.adapters.records_stream import records_stream_handler

lambda_handler = records_stream_handler()
