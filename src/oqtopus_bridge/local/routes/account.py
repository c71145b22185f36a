"""The account routes: ``/api-token``, ``/announcements``, ``/users/me``, ``/system/settings``.

Spec ``user-api-s3`` lines 522-870, answered for a local server with no web console.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from .. import safejson
from ..announcements import load_announcements
from ..errors import BadRequest, Forbidden, NotFound
from .deps import Caller, Context

router = APIRouter()

# Local tokens do not expire: they last until deleted (DELETE /api-token) or the user's data
# directory is removed. The spec needs a date-time, so status reports the far future.
NEVER_EXPIRES = "9999-12-31T23:59:59Z"
SETTINGS = {
    "editable_fields": ["name", "organization"],
    "allow_deletion": False,
    "visible_fields": ["id", "name", "email", "organization", "created_at"],
    "login_history_enabled": False,
}


MAX_FIELD = 256


def _profile_changes(body: bytes) -> tuple[str | None, str | None]:
    """Parse ``users.UpdateUserRequest`` (``{name?, organization?}``); 400 with a reason if bad."""
    try:
        changes = safejson.loads(body or b"{}", "the body")
    except ValueError:
        raise BadRequest('the body must be a JSON object such as {"name": "Ada"}') from None
    if not isinstance(changes, dict):
        raise BadRequest('the body must be a JSON object such as {"name": "Ada"}')
    values = []
    for key in ("name", "organization"):
        value = changes.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > MAX_FIELD):
            raise BadRequest(f"{key} must be a string of at most {MAX_FIELD} characters")
        values.append(value)
    return values[0], values[1]


@router.post("/api-token")
def create_api_token(context: Context, who: Caller) -> dict[str, Any]:
    """Refuse as the real service does: tokens are minted from a web-console (OIDC) session."""
    raise Forbidden(
        "an API token cannot be created with an API token: the real service mints tokens from a "
        "web-console login. Locally, the default token is in the data directory's api_token "
        "file, and LocalServer.add_user(name) makes a token for another user"
    )


@router.delete("/api-token")
def delete_api_token(context: Context, who: Caller) -> Response:
    """Delete the caller's token: later requests with it get 401."""
    context.repo.revoke_token_hash(who.token_hash)
    return Response(status_code=200)


@router.get("/api-token/status")
def get_api_token_status(context: Context, who: Caller) -> dict[str, str]:
    """Return ``{api_token_expiration}`` (local tokens never expire)."""
    return {"api_token_expiration": NEVER_EXPIRES}


def _int(name: str, value: str | None, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadRequest(f"{name} must be a non-negative integer, not {value!r}") from None
    if number < 0:
        raise BadRequest(f"{name} must be a non-negative integer, not {value!r}")
    return number


def _time(value: str) -> dt.datetime:
    try:
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(
            f"current_time must be an ISO 8601 date-time such as 2025-01-01T00:00:00Z, not "
            f"{value!r}"
        ) from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)


@router.get("/announcements")
def list_announcements(
    context: Context,
    who: Caller,
    offset: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[str | None, Query(max_length=32)] = None,
    order: Literal["ASC", "DESC"] = "ASC",
    current_time: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """List announcements by ``start_time``; ``current_time`` keeps those running at that time."""
    start, count = _int("offset", offset, 0), _int("limit", limit, 100)
    items = load_announcements(context.settings.data_dir)
    if current_time is not None:
        now = _time(current_time)
        items = [a for a in items if _time(a["start_time"]) <= now <= _time(a["end_time"])]
    items.sort(key=lambda a: _time(a["start_time"]), reverse=order == "DESC")
    return {"announcements": items[start : start + count]}


@router.get("/announcements/{announcement_id}")
def get_announcement(announcement_id: str, context: Context, who: Caller) -> dict[str, Any]:
    """Return one announcement."""
    index = _int("announcement_id", announcement_id, -1)
    items = load_announcements(context.settings.data_dir)
    if not 0 <= index < len(items):
        raise NotFound("Announcement not found")
    return items[index]


def _user_view(context: Context, user_id: str) -> dict[str, Any]:
    user = context.repo.user(user_id)
    if user is None:
        raise NotFound("Not found the specified user")
    return {
        "id": user["user_id"],
        "email": "",
        "name": user["display_name"] or user["name"],
        "organization": user["organization"] or "",
        "created_at": user["created_at"],
        "login_events": [],
    }


@router.get("/users/me")
def get_current_user(context: Context, who: Caller) -> dict[str, Any]:
    """Return the caller (local users have no e-mail address and no login history)."""
    return _user_view(context, who.user_id)


@router.patch("/users/me")
async def update_current_user(request: Request, context: Context, who: Caller) -> dict[str, Any]:
    """Change the caller's shown name and/or organization (not with an SSE program's token)."""
    if who.scope_job_id is not None:
        raise Forbidden("an SSE program's token reaches only the jobs it created, not the profile")
    name, organization = _profile_changes(await request.body())
    # The database lock may be held by a worker: never wait for it on the event loop.
    await run_in_threadpool(context.repo.update_profile, who.user_id, name, organization)
    return await run_in_threadpool(_user_view, context, who.user_id)


@router.delete("/users/me")
def delete_current_user(context: Context, who: Caller) -> Response:
    """Refuse: ``/system/settings`` says ``allow_deletion`` is false on the local server."""
    raise Forbidden(
        "the local server does not delete users (allow_deletion is false in /system/settings); "
        "remove the server's data directory to start afresh"
    )


@router.get("/system/settings")
def get_system_settings(context: Context, who: Caller) -> dict[str, Any]:
    """Return which user fields are shown and editable."""
    return dict(SETTINGS)
