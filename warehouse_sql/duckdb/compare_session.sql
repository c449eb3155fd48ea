-- Hours are cut in UTC, and Segment-shaped TIMESTAMP columns (UTC) compare with our TIMESTAMPTZ.
SET TimeZone = 'UTC'
