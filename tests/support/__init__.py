"""Plain helper modules shared by several features' tests (no fixtures here; see tests/conftest.py)."""
