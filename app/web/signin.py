"""Sign in with Slack (OpenID Connect) for the dashboard: /signin, /signin/slack, /signin/callback, /signout.

A person's role is read once, at sign-in: a member of any approver role in the policy (its users or its Slack
user group) is finance and sees everything; anyone else sees only the deals they own. The session lasts
SESSION_SECONDS; sign out, or sign in again after a role changes.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment

from app.approvals.roles import members_by_role
from app.errors import IntegrationError
from app.exception_queue import queries
from app.integrations.slack_openid import SignInFailed, SlackIdentity, authorize_url, sign_in
from app.runtime import Runtime
from app.web.csrf import hidden_field
from app.web.session import PendingSignIn, Person, SessionCodec

log = logging.getLogger(__name__)
CALLBACK_PATH = "/signin/callback"


def person_of(request: Request) -> Person | None:
    """Who the gate let in (None: sign-in is off, or a machine with the shared token)."""
    person = request.scope.get("state", {}).get("person")
    return person if isinstance(person, Person) else None


def audience_filter(request: Request) -> queries.Filter:
    """What the signed-in person may see: everything for a finance role, else only their own deals."""
    person = person_of(request)
    if person is None or person.finance:
        return queries.Filter()
    return queries.Filter(visible_to=queries.Person(slack_id=person.slack_id, email=person.email))


def safe_next(raw: str | None) -> str:
    """Only a path on this site: never an address elsewhere (an open redirect)."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return "/dashboard"
    return raw


def is_finance(runtime: Runtime, slack_id: str) -> bool:
    try:
        roles = members_by_role(runtime.policy, directory=runtime.slack)
    except IntegrationError as error:       # Slack cannot say now: the policy's named users only
        log.warning("sign-in: cannot read the approver user groups: %s", error)
        return any(slack_id in role.users for role in runtime.policy.approver_roles.values())
    return any(slack_id in members for members in roles.values())


@dataclass(frozen=True, slots=True)
class SignIn:
    runtime: Runtime
    codec: SessionCodec
    templates: Environment

    @property
    def redirect_uri(self) -> str:
        return str(self.runtime.settings.ledgerbridge_public_url).rstrip("/") + CALLBACK_PATH

    def page(self, request: Request) -> Response:
        person = self.codec.person(request)
        return self._page(person=person, next=safe_next(request.query_params.get("next")))

    def start(self, request: Request) -> Response:
        pending = PendingSignIn(state=secrets.token_urlsafe(24), nonce=secrets.token_urlsafe(24),
                                next=safe_next(request.query_params.get("next")))
        response = RedirectResponse(authorize_url(self.runtime.settings, redirect_uri=self.redirect_uri,
                                                  state=pending.state, nonce=pending.nonce), 303)
        self.codec.start(response, request, pending)
        return response

    def callback(self, request: Request) -> Response:
        pending, params = self.codec.pending(request), request.query_params
        if pending is None or not secrets.compare_digest(params.get("state", ""), pending.state):
            return self._page(400, message="This sign-in expired or did not start here: sign in again.")
        if params.get("error") or not params.get("code"):
            return self._page(400, message=f"Slack did not sign you in ({params.get('error', 'no code')[:60]}).")
        try:
            identity = sign_in(self.runtime.settings, code=params["code"], redirect_uri=self.redirect_uri,
                               nonce=pending.nonce)
        except SignInFailed as failed:
            log.warning("sign-in refused: %s", failed)
            return self._page(401, message=f"Sign-in failed: {failed}. Sign in again.")
        person = self._person(identity)
        log.info("signed in: %s (finance=%s)", person.slack_id, person.finance)
        response = RedirectResponse(pending.next, 303)
        self.codec.sign_in(response, request, person)
        return response

    def sign_out(self, request: Request) -> Response:
        response = RedirectResponse("/signin", 303)
        self.codec.sign_out(response)
        return response

    def _person(self, identity: SlackIdentity) -> Person:
        return Person.new(slack_id=identity.user_id, email=identity.email, name=identity.name,
                          team_id=identity.team_id, finance=is_finance(self.runtime, identity.user_id))

    def _page(self, status_code: int = 200, *, person: Person | None = None, message: str = "",
              next: str = "/dashboard") -> HTMLResponse:
        html = self.templates.get_template("signin.html").render(person=person, message=message, next=next,
                                                                 csrf_field=hidden_field(person))
        return HTMLResponse(html, status_code=status_code)


def build_signin_router(runtime: Runtime, codec: SessionCodec, templates: Environment) -> APIRouter:
    flow = SignIn(runtime, codec, templates)
    router = APIRouter(include_in_schema=False)
    router.add_api_route("/signin", flow.page, methods=["GET"])
    router.add_api_route("/signin/slack", flow.start, methods=["GET"])
    router.add_api_route(CALLBACK_PATH, flow.callback, methods=["GET"])
    router.add_api_route("/signout", flow.sign_out, methods=["POST"])
    return router
