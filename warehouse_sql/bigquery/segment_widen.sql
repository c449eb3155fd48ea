-- Widen one of our columns so that it holds Segment's values (varchar(256) -> varchar(512), int -> float, -> text).
ALTER TABLE {table} ALTER COLUMN {column} SET DATA TYPE {type}
