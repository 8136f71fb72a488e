"""The local stand-in for API Gateway's JWT authorizer: a bearer token becomes the claims a verified
Cognito ID token would carry. ``local-admin`` is a super admin (group ``admins``); a token answered
when a user was created stands for that user (its email). Anything else is not authorized."""

from __future__ import annotations

from typing import Any

from crmflow.access.users import user_by_token

LOCAL_ADMIN_TOKEN = "local-admin"


def claims_for(token: str | None) -> dict[str, Any] | None:
    if not token:
        return None
    if token == LOCAL_ADMIN_TOKEN:
        return {"sub": LOCAL_ADMIN_TOKEN, "email": "admin@crmflow.local", "cognito:groups": "[admins]"}
    user = user_by_token(token)
    if user is None:
        return None
    return {"sub": f"local-user-{user.id}", "email": user.email, "email_verified": "true"}
