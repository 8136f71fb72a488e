"""``/settings/lifecycle``: the lifecycle automation settings document (LC-1..LC-4)."""

from pydantic import BaseModel, ConfigDict, Field

from crmflow import settings
from crmflow.lifecycle.stages import LifecycleStage

NAME = "lifecycle"


class LifecycleSettings(BaseModel):
    """Every rule is off until set: a stage (or ``null`` for off) per rule, and company sync on/off."""

    model_config = ConfigDict(extra="forbid")

    defaultStageOnCreate: LifecycleStage | None = Field(
        default=None, description="LC-1: the stage new contacts and companies get (null: none)"
    )
    stageOnDealCreated: LifecycleStage | None = Field(
        default=None, description="LC-2: the stage a contact or company takes with its first deal"
    )
    stageOnDealWon: LifecycleStage | None = Field(
        default=None, description="LC-3: the stage of contacts and companies of a won deal"
    )
    syncCompanyToContacts: bool = Field(
        default=False, description="LC-4: contacts take the stage of their primary company"
    )


def get() -> LifecycleSettings:
    return settings.read(NAME, LifecycleSettings)


def put(document: LifecycleSettings) -> LifecycleSettings:
    settings.write(NAME, document)
    return document
