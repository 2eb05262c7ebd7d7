"""Landing files → the raw schema (see docs/architecture.md)."""

from speccomm.load.loader import LoadSummary, load_landing

__all__ = ["LoadSummary", "load_landing"]
