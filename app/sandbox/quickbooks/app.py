"""The ASGI app: Intuit OAuth endpoints, the QBO v3 company API and the /_admin/ API over one state."""
from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from app.clock import Clock
from app.sandbox.quickbooks import oauth_routes
from app.sandbox.quickbooks.admin import admin_routes
from app.sandbox.quickbooks.api import company_api
from app.sandbox.quickbooks.demo import seed_demo_company
from app.sandbox.quickbooks.invoice_page import invoice_page_routes
from app.sandbox.quickbooks.state import QuickBooksState

DISCOVERY_PATHS = ("/.well-known/openid_configuration", "/.well-known/openid-configuration",
                   "/.well-known/openid_sandbox_configuration")


def create_quickbooks_emulator(state: QuickBooksState | None = None, *, clock: Clock | None = None) -> Starlette:
    """Without a state, a fresh one seeded with the demo company (see demo.DEMO_* for its credentials)."""
    if state is None:
        state = QuickBooksState(clock=clock)
        seed_demo_company(state)
    elif clock is not None:
        state.clock = clock
    routes = [Route(path, oauth_routes.discovery, methods=["GET"]) for path in DISCOVERY_PATHS]
    routes += [
        Route(oauth_routes.TOKEN_PATH, oauth_routes.token, methods=["POST"]),
        Route(oauth_routes.REVOKE_PATH, oauth_routes.revoke_token, methods=["POST"]),
        Route(oauth_routes.AUTHORIZE_PATH, oauth_routes.authorize, methods=["GET"]),
        Route(oauth_routes.USERINFO_PATH, oauth_routes.userinfo, methods=["GET"]),
        Route(oauth_routes.JWKS_PATH, oauth_routes.jwks, methods=["GET"]),
        Route("/v3/company/{realm}/{rest:path}", company_api, methods=["GET", "POST"]),
        *admin_routes(),
        *invoice_page_routes(),
    ]
    emulator = Starlette(routes=routes)
    emulator.state.qbo = state
    return emulator
