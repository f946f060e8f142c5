"""Rolling out in phases: shadow mode's would-be invoices, the switch to live, and backfills."""
