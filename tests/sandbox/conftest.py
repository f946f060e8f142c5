"""The real python-quickbooks client on the QuickBooks emulator, for the emulator's own tests.

`qbo_for(realm_id)` builds a client for any company the test added (the demo app's client reaches every realm
the test issues it a refresh token for); `demo_qb` is the one for the demo company.
"""
from __future__ import annotations

from collections.abc import Callable

import pytest
from intuitlib.client import AuthClient
from quickbooks import QuickBooks

from app.integrations.http import LoopbackHttpAdapter
from app.sandbox.quickbooks import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DemoCompany, QuickBooksState
from app.sandbox.server import RunningServer

QboFactory = Callable[[str], QuickBooks]


@pytest.fixture
def qbo_for(qbo_state: QuickBooksState, qbo_server: RunningServer) -> QboFactory:
    def build(realm_id: str) -> QuickBooks:
        token = qbo_state.issue_refresh_token(DEMO_CLIENT_ID, realm_id)
        auth = AuthClient(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, "http://localhost/cb",
                          environment=qbo_server.url + "/.well-known/openid_configuration")
        client = QuickBooks(auth_client=auth, refresh_token=token, company_id=realm_id, minorversion=75,
                            use_decimal=True)
        netloc = qbo_server.url.split("://", 1)[1]
        client.api_url_v3 = f"https://{netloc}/v3"
        client.session.mount(f"https://{netloc}", LoopbackHttpAdapter(qbo_server.url, 5.0))
        return client
    return build


@pytest.fixture
def demo_qb(qbo_for: QboFactory, qbo_demo: DemoCompany) -> QuickBooks:
    return qbo_for(qbo_demo.realm_id)
