"""Configuration: one validated object built from the environment, once per process."""

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """Names of the resources this deployment uses. The template sets them as environment variables."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    records_table: str = Field(alias="RECORDS_TABLE")
    config_table: str = Field(alias="CONFIG_TABLE")
    enrollments_table: str = Field(alias="ENROLLMENTS_TABLE")
    log_table: str = Field(alias="LOG_TABLE")
    event_bus_name: str = Field(alias="EVENT_BUS_NAME")
    starter_queue_url: str = Field(alias="STARTER_QUEUE_URL")
    events_queue_url: str = Field(alias="EVENTS_QUEUE_URL")
    enrollment_state_machine_arn: str = Field(alias="ENROLLMENT_STATE_MACHINE_ARN")
    email_sender: str = Field(default="workflows@crmflow.local", alias="EMAIL_SENDER")
    stage: str = Field(default="local", alias="STAGE")
    # set by the embedded runtime only: users get development tokens (never on AWS)
    local_tokens: bool = Field(default=False, alias="CRMFLOW_LOCAL_TOKENS")
    idempotency_table: str | None = Field(default=None, alias="IDEMPOTENCY_TABLE")
    events_dead_letter_queue_url: str | None = Field(default=None, alias="EVENTS_DEAD_LETTER_QUEUE_URL")
    # WEBHOOK safety (crmflow.outbound): private targets a deployment really needs, as comma-separated
    # CIDRs or host names. Empty means none on AWS, and 127.0.0.1/32 on the embedded runtime
    # (``local_tokens``), so local test servers answer while 10/8, 169.254.169.254... stay blocked.
    webhook_allowed_private: str = Field(default="", alias="WEBHOOK_ALLOWED_PRIVATE")
    # plain http targets; unset means false on AWS and true on the embedded runtime (``local_tokens``)
    webhook_allow_http: bool | None = Field(default=None, alias="WEBHOOK_ALLOW_HTTP")
    # webhook calls per workflow per minute; more wait for the next minute (0: no limit)
    webhook_rate_per_minute: int = Field(default=60, ge=0, alias="WEBHOOK_RATE_PER_MINUTE")


@cache
def get_settings() -> Settings:
    """The settings of this process, read from the environment on first use."""
    names = {field.alias for field in Settings.model_fields.values() if field.alias}
    return Settings.model_validate({name: os.environ[name] for name in names if name in os.environ})
