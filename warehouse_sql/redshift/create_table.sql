-- One Segment-layout table: key columns NOT NULL, sorted on received_at as Segment's tables are.
CREATE TABLE IF NOT EXISTS {table} (
{column_definitions}
){table_attributes}
