"""Routes of the web view under ``/ui/`` (server-rendered HTML; they only speak HTTP).

Every page needs the session cookie that a login link or the API-token form sets; a browser without
it gets the login page and no data. Cancel and delete are POST forms checked three ways against
cross-site requests: the cookie is ``SameSite=Strict``, the form carries a token bound to the
session, and a foreign ``Origin`` is refused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import shlex
from importlib import resources
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from ..context import ServerContext
from ..errors import ServerError
from ..repository import Identity
from ..settings import TOKEN_FILE
from . import content
from .auth import COOKIE, SESSION_LIFETIME_S, UiAuth

PREFIX = "/ui"
router = APIRouter(include_in_schema=False)
_STATIC = {"style.css": "text/css", "app.js": "text/javascript"}
_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # so same-origin POSTs carry a real Origin
}


class LoginRequired(Exception):
    """Raised by a page whose request carries no valid session."""


@dataclasses.dataclass(frozen=True)
class Session:
    """The browser's session: its user and the form token of its forms."""

    user_id: str
    csrf: str

    @property
    def who(self) -> Identity:
        """The caller as the job service sees it."""
        return Identity(self.user_id)


@functools.cache
def _env() -> jinja2.Environment:
    """The template environment, built on first use (nothing happens at import time)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("oqtopus_bridge.local.web", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["when"] = _when
    env.filters["pretty"] = content.pretty
    return env


def _when(stamp: str | None) -> str:
    if not stamp:
        return "-"
    return stamp.replace("T", " ").split(".")[0].rstrip("Z") + " UTC"


def _ctx(request: Request) -> ServerContext:
    context: ServerContext = request.app.state.ctx
    return context


def _auth(request: Request) -> UiAuth:
    auth: UiAuth = request.app.state.ui_auth
    return auth


def _session_user(request: Request) -> str | None:
    """The user of the request's session cookie, if it names a live session."""
    return _auth(request).session_user(_ctx(request).repo, request.cookies.get(COOKIE))


def _session(request: Request) -> Session:
    cookie = request.cookies.get(COOKIE)
    user_id = _session_user(request)
    if user_id is None or cookie is None:
        raise LoginRequired
    return Session(user_id, _auth(request).csrf_token(cookie))


def page(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    """Render ``template`` with the security headers of every page."""
    html = _env().get_template(template).render(prefix=PREFIX, **values)
    return HTMLResponse(html, status_code=status_code, headers=_HEADERS)


def login_page(request: Request, message: str | None = None, status_code: int = 401) -> Response:
    """The page a browser without a session sees: how to log in, and nothing else.

    It names the token file and the command that prints a fresh login link by their real paths.
    """
    data_dir = _ctx(request).settings.data_dir
    return page(
        request,
        "login.html",
        status_code,
        message=message,
        session=None,
        token_file=str(data_dir / TOKEN_FILE),
        ui_command=f"oqtopus-bridge ui --data-dir {shlex.quote(str(data_dir))}",
    )


async def login_required(request: Request, exc: Exception) -> Response:
    """Exception handler of `LoginRequired`."""
    return login_page(request)


def _with_session(
    response: Response, request: Request, user_id: str, token_hash: str | None = None
) -> Response:
    response.set_cookie(
        COOKIE,
        _auth(request).open_session(_ctx(request).repo, user_id, token_hash),
        max_age=SESSION_LIFETIME_S,
        path=PREFIX,
        httponly=True,
        samesite="strict",
    )
    return response


@router.get("/")
def root() -> RedirectResponse:
    """Send a browser at the server root to the web view."""
    return RedirectResponse(f"{PREFIX}/jobs", status_code=307)


@router.get(PREFIX)
@router.get(PREFIX + "/")
def home() -> RedirectResponse:
    """The web view starts at the jobs list."""
    return RedirectResponse(f"{PREFIX}/jobs", status_code=303)


@router.get(PREFIX + "/login")
def login_link(request: Request, code: str = "", checked: str = "") -> Response:
    """Trade a one-time code for a session, then leave the code's URL for a clean one.

    A browser that is logged in already goes straight to the jobs, and its code stays unused
    (issue 24: re-opening the printed link said "already used" though the session was valid).
    """
    if _session_user(request) is not None:
        return RedirectResponse(f"{PREFIX}/jobs", status_code=303)
    user_id = _auth(request).redeem(code)
    if user_id is None:
        if code and not checked and COOKIE not in request.cookies:
            # A SameSite=Strict cookie is not sent on a navigation that started on another site
            # (a link in a notebook, say): look once more from a page of our own, which sends it.
            again = f"{PREFIX}/login?code={quote(code[:200])}&checked=1"
            return page(request, "recheck.html", session=None, target=again)
        return login_page(request, "This login link was already used or has expired.")
    # A page that moves on by itself rather than a redirect: a SameSite=Strict cookie set on a
    # navigation that started elsewhere (a terminal, a notebook) is sent on the next request.
    landing = page(request, "landing.html", session=None)
    return _with_session(landing, request, user_id)


@router.post(PREFIX + "/login")
async def login_form(request: Request) -> Response:
    """Log in with the API token typed into the login page (never put in a URL)."""
    if not _same_origin(request):
        return login_page(request, "Refused: the form came from another site.", 403)
    token = str((await request.form()).get("token") or "").strip()
    who = _ctx(request).repo.identify(token) if token else None
    if who is None or who.scope_job_id is not None:
        return login_page(request, "That API token is not valid on this server.")
    response = RedirectResponse(f"{PREFIX}/jobs", 303)
    return _with_session(response, request, who.user_id, who.token_hash)


@router.post(PREFIX + "/logout")
async def logout(request: Request) -> Response:
    """End the session on the server (the cookie stops working at once) and forget the cookie."""
    await _checked_form(request)
    _auth(request).close_session(_ctx(request).repo, request.cookies.get(COOKIE))
    response = RedirectResponse(f"{PREFIX}/login", status_code=303)
    response.delete_cookie(COOKIE, path=PREFIX)
    return response


@router.get(PREFIX + "/static/{name}")
def static(name: str) -> Response:
    """The web view's own CSS and JavaScript (package data; no CDN)."""
    if name not in _STATIC:
        return PlainTextResponse("not found", status_code=404)
    folder = resources.files("oqtopus_bridge.local.web").joinpath("static")
    data = folder.joinpath(name).read_bytes()
    return Response(data, media_type=_STATIC[name], headers={"Cache-Control": "max-age=3600"})


@router.get(PREFIX + "/jobs")
def jobs_page(
    request: Request,
    q: str = "",
    status: str = "",
    window: str = "",
    since: str = "",
    until: str = "",
    page_number: str = "1",
    notice: str = "",
) -> Response:
    """The jobs list, newest first, with the text, status and time filters in the URL."""
    session = _session(request)
    now = dt.datetime.now(dt.timezone.utc)
    # Text, not int: a hand-edited URL (``page_number=abc``) shows page 1, not a JSON 422.
    digits = page_number.strip()
    number = int(digits[:12]) if digits.isascii() and digits.isdigit() else 1
    query = content.job_query(q, status, window, since, until, number, now)
    records = _ctx(request).service.list_jobs(session.who, query)
    rows = [{"record": r, "actions": content.job_actions(r)} for r in records]
    filters = {"q": q, "status": status, "window": window, "since": since, "until": until}
    return page(
        request,
        "jobs.html",
        session=session,
        rows=rows,
        filters=filters,
        statuses=content.STATUSES,
        page_number=query.page,
        more=len(records) == content.PAGE_SIZE,
        notice=notice,
        here=str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
    )


@router.get(PREFIX + "/jobs/{job_id}")
def job_page(request: Request, job_id: str, notice: str = "") -> Response:
    """One job: every field, the histogram(s), programs, transpile result and SSE log."""
    session = _session(request)
    try:
        record = _ctx(request).service.owned_job(session.who, job_id)
    except ServerError as exc:
        return _error(request, session, exc)
    detail = content.job_detail(_ctx(request), record)
    notice = " ".join([notice, *detail.pop("problems")]).strip()
    return page(request, "job.html", session=session, notice=notice, **detail)


@router.get(PREFIX + "/jobs/{job_id}/sse_log.txt")
def sse_log(request: Request, job_id: str) -> Response:
    """Download the SSE log of a job as text."""
    session = _session(request)
    try:
        record = _ctx(request).service.owned_job(session.who, job_id)
    except ServerError as exc:
        return _error(request, session, exc)
    text = content.job_detail(_ctx(request), record)["sse_log"]
    if text is None:
        return PlainTextResponse("this job has no SSE log", status_code=404)
    disposition = f'attachment; filename="sselog_{record.job_id}.txt"'
    return PlainTextResponse(text, headers={**_HEADERS, "Content-Disposition": disposition})


@router.post(PREFIX + "/jobs/{job_id}/cancel")
async def cancel(request: Request, job_id: str) -> Response:
    """Cancel a job from the jobs list or the job page."""
    session, back = await _checked_form(request)
    return _act(request, session, back, job_id, "cancel")


@router.post(PREFIX + "/jobs/{job_id}/delete")
async def delete(request: Request, job_id: str) -> Response:
    """Delete a finished job."""
    session, back = await _checked_form(request)
    if back.startswith(f"{PREFIX}/jobs/{job_id}"):
        back = f"{PREFIX}/jobs"  # its own page is gone
    return _act(request, session, back, job_id, "delete")


def _act(request: Request, session: Session, back: str, job_id: str, action: str) -> Response:
    service = _ctx(request).service
    try:
        (service.cancel if action == "cancel" else service.delete)(session.who, job_id)
        notice = f"job {job_id} {'cancelled' if action == 'cancel' else 'deleted'}"
    except ServerError as exc:
        notice = exc.message
    joiner = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{joiner}notice={quote(notice)}", status_code=303)


class Forbidden(Exception):
    """A state-changing form failed the cross-site checks."""


async def forbidden(request: Request, exc: Exception) -> Response:
    """Exception handler of `Forbidden`."""
    return error_page(request, 403, str(exc))


def error_page(request: Request, status: int, message: str) -> Response:
    """An error page without a session (the app's last-resort handler uses it for 500s)."""
    return page(request, "error.html", status, session=None, status=status, message=message)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.headers.get('host')}"


async def _checked_form(request: Request) -> tuple[Session, str]:
    """Return the session and the page to go back to of a POST that passed the CSRF checks."""
    session = _session(request)
    if not _same_origin(request):
        raise Forbidden("Refused: the request came from another site.")
    form = await request.form()
    cookie = request.cookies.get(COOKIE) or ""
    if not _auth(request).check_csrf(cookie, str(form.get("csrf") or "")):
        raise Forbidden("Refused: the form token is missing or stale; reload the page.")
    back = str(form.get("next") or "")
    if not back.startswith(PREFIX + "/") or back.startswith("//") or "\\" in back:
        back = f"{PREFIX}/jobs"
    return session, back


@router.get(PREFIX + "/devices")
def devices_page(request: Request) -> Response:
    """The devices table."""
    session = _session(request)
    context = _ctx(request)
    rows = [content.device_row(context, device) for device in context.catalog.all()]
    return page(request, "devices.html", session=session, rows=rows)


@router.get(PREFIX + "/devices/{device_id}")
def device_page(request: Request, device_id: str, color: str = "readout") -> Response:
    """One device: its fields and, for a QPU, the topology coloured by calibration."""
    session = _session(request)
    try:
        device = _ctx(request).service.device(device_id)
    except ServerError as exc:
        return _error(request, session, exc)
    detail = content.device_detail(_ctx(request), device, color)
    return page(request, "device.html", session=session, **detail)


def _error(request: Request, session: Session, exc: ServerError) -> Response:
    return page(
        request, "error.html", exc.status, session=session, status=exc.status, message=exc.message
    )
