"""QuickBooks Online v3 emulator with Intuit OAuth (discovery, rotating refresh tokens), for tests and the demo."""
from app.sandbox.quickbooks.app import create_quickbooks_emulator
from app.sandbox.quickbooks.demo import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REALM_ID,
    DEMO_REFRESH_TOKEN,
    DemoCompany,
    seed_demo_company,
)
from app.sandbox.quickbooks.entities import BookRules
from app.sandbox.quickbooks.state import EmulatorSettings, QuickBooksState
from app.sandbox.quickbooks.throttle import ThrottleLimits

__all__ = [
    "DEMO_CLIENT_ID", "DEMO_CLIENT_SECRET", "DEMO_REALM_ID", "DEMO_REFRESH_TOKEN", "BookRules", "DemoCompany",
    "EmulatorSettings", "QuickBooksState", "ThrottleLimits", "create_quickbooks_emulator", "seed_demo_company",
]
