"""Eventyard: a self-hosted, Segment-compatible customer-event platform."""

__version__ = "0.1.0"
