-- One Segment-layout table; key columns are REQUIRED (NOT NULL).
CREATE TABLE IF NOT EXISTS {table} (
{column_definitions}
)
