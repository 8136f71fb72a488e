"""``/settings/lead-automation``: the lead automation settings document (LD-1..LD-4)."""

from typing import Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crmflow import settings
from crmflow.lifecycle.stages import LifecycleStage

NAME = "lead-automation"
LeadStage = Literal["new", "attempting", "connected", "qualified", "disqualified"]
OutreachEvent = Literal["EMAIL_SENT", "LINKEDIN_MESSAGE", "CALL_LOGGED", "MEETING_BOOKED"]
ConnectEvent = Literal["EMAIL_REPLY", "MEETING_COMPLETED", "CALL_CONNECTED"]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)


class CreateLeadOnLifecycleStage(_Part):
    """LD-1: a lead when a contact moves into one of ``stages`` (not when company sync moved it)."""

    enabled: bool = False
    stages: list[LifecycleStage] = Field(default_factory=list)

    @model_validator(mode="after")
    def _stages_when_on(self) -> Self:
        if self.enabled and not self.stages:
            raise ValueError("createLeadOnLifecycleStage.stages: choose at least one stage when enabled")
        return self


class FollowUpOnDisqualification(_Part):
    """LD-2: a follow-up lead of ``leadType`` when a lead is disqualified for one of ``reasons``."""

    enabled: bool = False
    leadType: str = Field(default="RE_ATTEMPTING", min_length=1)
    reasons: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _reasons_when_on(self) -> Self:
        if self.enabled and not self.reasons:
            raise ValueError("followUpOnDisqualification.reasons: choose at least one reason when enabled")
        return self


class _Move(_Part):
    enabled: bool = False
    from_: LeadStage = Field(alias="from")
    to: LeadStage

    @model_validator(mode="after")
    def _somewhere_else(self) -> Self:
        if self.from_ == self.to:
            raise ValueError(f"from and to are both {self.to!r}: a move needs two different stages")
        if self.enabled and not getattr(self, "events", None):
            raise ValueError("events: choose at least one event when enabled")
        return self


class MoveOnOutreach(_Move):
    """LD-3: outreach (email or LinkedIn message sent, call logged, meeting booked) moves a lead."""

    from_: LeadStage = Field(default="new", alias="from")
    to: LeadStage = "attempting"
    events: list[OutreachEvent] = Field(default_factory=lambda: list(get_args(OutreachEvent)))


class MoveOnConnect(_Move):
    """LD-4: a connection (email reply, meeting completed, call connected) moves a lead."""

    from_: LeadStage = Field(default="attempting", alias="from")
    to: LeadStage = "connected"
    events: list[ConnectEvent] = Field(default_factory=lambda: list(get_args(ConnectEvent)))


class LeadAutomationSettings(_Part):
    """Every rule is off until enabled."""

    createLeadOnLifecycleStage: CreateLeadOnLifecycleStage = Field(default_factory=CreateLeadOnLifecycleStage)
    followUpOnDisqualification: FollowUpOnDisqualification = Field(default_factory=FollowUpOnDisqualification)
    moveOnOutreach: MoveOnOutreach = Field(default_factory=MoveOnOutreach)
    moveOnConnect: MoveOnConnect = Field(default_factory=MoveOnConnect)


def get() -> LeadAutomationSettings:
    return settings.read(NAME, LeadAutomationSettings)


def put(document: LeadAutomationSettings) -> LeadAutomationSettings:
    settings.write(NAME, document)
    return document
