"""Links into the vendors' own web apps, for Slack messages and the dashboard alike."""
from __future__ import annotations


def record_url(instance_url: str | None, sobject: str, record_id: str) -> str | None:
    """A Salesforce record page (Lightning); None when no instance URL is known."""
    if not instance_url:
        return None
    return f"{instance_url.rstrip('/')}/lightning/r/{sobject}/{record_id}/view"


def invoice_url(qbo_app_url: str | None, invoice_id: str | None) -> str | None:
    """A QuickBooks Online invoice page; None without the app URL or the invoice id."""
    if not (qbo_app_url and invoice_id):
        return None
    return f"{qbo_app_url.rstrip('/')}/app/invoice?txnId={invoice_id}"


def slack_message_url(channel: str | None, ts: str | None) -> str | None:
    """A Slack message permalink (slack.com/archives opens it in the viewer's own workspace); None without both."""
    if not (channel and ts):
        return None
    return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"
