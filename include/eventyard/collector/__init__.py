"""The collector: Segment-compatible tracking API, durable local spool and Parquet landing."""
