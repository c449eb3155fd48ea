-- Binary COPY (pgpq encodes the rows from Arrow): into a stage, the ids table or, on the fast
-- path for new event rows, straight into the target.
COPY {target} ({columns}) FROM STDIN (FORMAT binary)
