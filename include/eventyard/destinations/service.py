"""What Houston calls: per-integration delivery metrics and replay of dead letters."""

from __future__ import annotations

from eventyard.destinations.metrics import delivery_metrics
from eventyard.destinations.replay import ReplayError, replay_dead_letters

__all__ = ["ReplayError", "delivery_metrics", "replay_dead_letters"]
