"""The collector: Segment-compatible tracking API, durable local spool and Parquet landing."""

import sys

from eventyard.collector import compiled

# Before any module imports the intake: stale compiled modules must never run (compiled.py).
compiled.select(sys.modules[__name__])
