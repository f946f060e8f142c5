"""Ledgerbridge: Salesforce deals to QuickBooks Online invoices, governed in Slack."""
