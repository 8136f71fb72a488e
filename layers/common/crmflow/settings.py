"""Account settings documents in the Config table (``pk=SETTINGS``, ``sk={name}``)."""

from typing import TypeVar

from pydantic import BaseModel

from crmflow.config import get_settings
from crmflow.dynamo import db, deserialize, serialize

T = TypeVar("T", bound=BaseModel)


class Ownership(BaseModel):
    """W-5: contact-company owner sync (HubSpot's default: on)."""

    syncContactCompanyOwner: bool = True


def read(name: str, model: type[T]) -> T:
    item = db().get_item(
        TableName=get_settings().config_table, Key={"pk": {"S": "SETTINGS"}, "sk": {"S": name}}
    )
    if "Item" not in item:
        return model()
    data = deserialize(item["Item"])
    return model.model_validate({key: value for key, value in data.items() if key not in ("pk", "sk")})


def write(name: str, document: BaseModel) -> None:
    item = {"pk": "SETTINGS", "sk": name, **document.model_dump(mode="json")}
    db().put_item(TableName=get_settings().config_table, Item=serialize(item))


def get_ownership() -> Ownership:
    return read("ownership", Ownership)
