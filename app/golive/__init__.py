"""Going live: the live configuration check (`ledgerbridge check --live`) and the data readiness report
(`ledgerbridge readiness`). Both only read the vendors, through the integration wrappers."""
