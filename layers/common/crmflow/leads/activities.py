"""Which lead automation events an activity is (LD-3 outreach, LD-4 connect), from its properties."""

from collections.abc import Mapping

ACTIVITY_TYPES = ("emails", "calls", "meetings", "communications")
# HubSpot's call outcome "Connected" is a fixed id; crmflow also takes the word.
CONNECTED_CALL = {"connected", "f240bbac-87c9-4f6e-bf70-924b57d47db7"}


def events_of(object_type: str, properties: Mapping[str, str | None]) -> set[str]:
    """The events an activity counts as: emails by direction (sent or a reply), LinkedIn messages,
    every logged call (and a connected one), every meeting not cancelled (and a completed one)."""
    if object_type == "emails":
        direction = properties.get("hs_email_direction") or "EMAIL"
        return {"EMAIL": {"EMAIL_SENT"}, "INCOMING_EMAIL": {"EMAIL_REPLY"}}.get(direction, set())
    if object_type == "communications":
        linkedin = properties.get("hs_communication_channel_type") == "LINKEDIN_MESSAGE"
        return {"LINKEDIN_MESSAGE"} if linkedin else set()
    if object_type == "calls":
        connected = (properties.get("hs_call_disposition") or "").lower() in CONNECTED_CALL
        return {"CALL_LOGGED", "CALL_CONNECTED"} if connected else {"CALL_LOGGED"}
    if object_type == "meetings":
        outcome = properties.get("hs_meeting_outcome") or "SCHEDULED"
        if outcome == "CANCELED":
            return set()
        return {"MEETING_BOOKED", "MEETING_COMPLETED"} if outcome == "COMPLETED" else {"MEETING_BOOKED"}
    return set()
