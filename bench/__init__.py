"""Benchmarks: plain scripts (`python -m bench.<name>`) that print markdown tables; no timing assertions anywhere."""
