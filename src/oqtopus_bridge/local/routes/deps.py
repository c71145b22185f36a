"""FastAPI dependencies shared by the routers: the server context and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from ..context import ServerContext
from ..errors import Unauthorized
from ..repository import Identity


def get_context(request: Request) -> ServerContext:
    """Return the context of the running app."""
    context: ServerContext = request.app.state.ctx
    return context


Context = Annotated[ServerContext, Depends(get_context)]


def get_identity(context: Context, q_api_token: Annotated[str | None, Header()] = None) -> Identity:
    """Return the caller of a ``q-api-token`` request, or raise 401."""
    if not q_api_token:
        raise Unauthorized("Unauthorized: send your API token in the q-api-token header")
    who = context.repo.identify(q_api_token.strip())
    if who is None:
        raise Unauthorized("Unauthorized: the API token is not valid")
    return who


Caller = Annotated[Identity, Depends(get_identity)]
