"""FastAPI dependencies shared by the routers: the server context and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from ..context import ServerContext
from ..errors import Unauthorized
from ..repository import Identity


async def get_context(request: Request) -> ServerContext:
    """Return the context of the running app.

    ``async`` (like `get_identity`) so that FastAPI calls it on the event loop: a sync
    dependency costs a thread-pool hand-off per request (issue 16).
    """
    context: ServerContext = request.app.state.ctx
    return context


Context = Annotated[ServerContext, Depends(get_context)]


def identify(context: ServerContext, token: str | None) -> Identity:
    """Return the caller holding the ``q-api-token`` value ``token``, or raise 401.

    Raises:
        Unauthorized: No token, or a token the server does not know.
    """
    if not token:
        raise Unauthorized("Unauthorized: send your API token in the q-api-token header")
    who = context.repo.identify(token.strip())
    if who is None:
        raise Unauthorized("Unauthorized: the API token is not valid")
    return who


async def get_identity(
    context: Context, q_api_token: Annotated[str | None, Header()] = None
) -> Identity:
    """Return the caller of a ``q-api-token`` request, or raise 401."""
    return identify(context, q_api_token)


Caller = Annotated[Identity, Depends(get_identity)]
