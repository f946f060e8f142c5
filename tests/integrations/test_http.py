"""The emulator allowance in app/integrations/http.py stays off the production path."""
from __future__ import annotations

import pytest

from app.errors import ConfigError
from app.integrations.http import LoopbackHttpAdapter, TimeoutAdapter, is_loopback_http
from app.integrations.salesforce_client import salesforce_session


def test_only_plain_http_on_a_loopback_host_counts_as_an_emulator():
    assert is_loopback_http("http://127.0.0.1:3002") and is_loopback_http("http://localhost:8000/x")
    assert is_loopback_http("http://[::1]:3002")
    for url in ("https://127.0.0.1:3002", "http://example.com", "http://10.0.0.5:3002", "http://127.0.0.1.nip.io"):
        assert not is_loopback_http(url)
    with pytest.raises(ConfigError):
        LoopbackHttpAdapter("http://salesforce.example.com", 5.0)


def test_production_salesforce_urls_mount_no_emulator_adapter():
    session = salesforce_session(timeout=5.0, instance_url="https://acme.my.salesforce.com",
                                 login_url="https://login.salesforce.com")
    assert all(type(adapter) is TimeoutAdapter for adapter in session.adapters.values())


def test_an_emulator_url_is_reached_over_http():
    session = salesforce_session(timeout=5.0, instance_url="http://127.0.0.1:3002",
                                 login_url="http://127.0.0.1:3002")
    assert isinstance(session.get_adapter("https://127.0.0.1:3002/services/data/"), LoopbackHttpAdapter)
    assert isinstance(session.get_adapter("https://login.salesforce.com/services/Soap/u/59.0"), LoopbackHttpAdapter)
    assert type(session.get_adapter("https://acme.my.salesforce.com/")) is TimeoutAdapter


@pytest.mark.parametrize(("instance_url", "login_url"), [
    ("http://salesforce.example.com", "https://login.salesforce.com"),     # http, but not to this machine
    ("https://acme.my.salesforce.com", "https://sso.example.com"),         # not a host simple-salesforce logs in at
])
def test_other_urls_are_a_config_error(instance_url, login_url):
    with pytest.raises(ConfigError):
        salesforce_session(timeout=5.0, instance_url=instance_url, login_url=login_url)
