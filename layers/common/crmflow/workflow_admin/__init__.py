"""What the API does with workflows, above the engine: manage them (service), explain an enrollment,
and play a record's path in test mode (simulate). ``crmflow.workflows`` holds the definitions,
their store, the calendar and the per-action rules that the engine itself uses."""
