"""Build the Runtime from Settings: engine, policy, the three vendor gateways."""
from __future__ import annotations

from sqlalchemy import Engine

from app.clock import Clock, SystemClock
from app.config import Settings
from app.db import make_engine
from app.integrations.quickbooks import build_quickbooks_gateway
from app.integrations.salesforce import SalesforceGateway
from app.integrations.slack_api import SlackApi, build_web_client
from app.integrations.token_store_db import DbTokenStore
from app.policy import Policy, load_policy
from app.runtime import Runtime


def build_runtime(settings: Settings, *, policy: Policy | None = None, engine: Engine | None = None,
                  clock: Clock | None = None) -> Runtime:
    clock = clock or SystemClock()
    engine = engine or make_engine(settings.database_url)
    return Runtime(
        settings=settings, policy=policy or load_policy(settings.ledgerbridge_policy), engine=engine, clock=clock,
        salesforce=SalesforceGateway.from_settings(settings, clock=clock),
        quickbooks=build_quickbooks_gateway(settings, token_store=DbTokenStore(engine, clock=clock), clock=clock),
        slack=SlackApi(build_web_client(settings)),
    )
