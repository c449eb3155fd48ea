-- Hours are cut in UTC, and Segment's timestamp-without-time-zone columns (UTC) compare with ours.
SET timezone TO 'UTC'
