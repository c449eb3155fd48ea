-- Segment's timestamps may lack a zone (they hold UTC): compare and cast them in UTC.
SET TIME ZONE 'UTC'
