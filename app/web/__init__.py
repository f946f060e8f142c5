"""The web dashboard (ROI metrics, open exceptions) served under /dashboard."""
