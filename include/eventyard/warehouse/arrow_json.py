"""Parsing a batch's message column (JSON text) into Arrow, in C++."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj


def _ndjson(messages: pa.ChunkedArray) -> pa.Buffer:
    """All messages as one newline-delimited buffer, built in C++.

    A message holding a raw newline (JSON whitespace) splits into lines that fail to parse or
    change the row count; both send the batch to the row mapper, so no check is needed here.
    """
    joined = pc.binary_join_element_wise(messages, pa.scalar(""), "\n").combine_chunks()
    offsets = joined.buffers()[1]
    first, last = (
        int.from_bytes(offsets[i * 4 : i * 4 + 4].to_pybytes(), "little", signed=True)
        for i in (joined.offset, joined.offset + len(joined))
    )
    data = joined.buffers()[2]
    assert data is not None
    return data.slice(first, last - first)


SAMPLE_ROWS = 2_000


def read_json(messages: pa.ChunkedArray) -> pa.Table:
    """Parse messages with Arrow; the types inferred from a sample are given to the full parse,
    which then skips inference (~20% faster). Arrow refuses any value that does not fit a given
    type, and that refusal just means parsing again with full inference."""
    whole = pa.BufferReader(_ndjson(messages))
    if len(messages) <= SAMPLE_ROWS:
        return pj.read_json(whole)
    sample = pj.read_json(pa.BufferReader(_ndjson(messages.slice(0, SAMPLE_ROWS))))
    schema = pa.schema([f for f in (_known(field) for field in sample.schema) if f is not None])
    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer")
    try:
        return pj.read_json(whole, parse_options=options)
    except pa.ArrowInvalid:
        return pj.read_json(pa.BufferReader(_ndjson(messages)))


def _known(field: pa.Field) -> pa.Field | None:
    """The field without parts the sample could not type (all nulls), which stay to be inferred."""
    if pa.types.is_null(field.type):
        return None
    if pa.types.is_struct(field.type):
        children = [c for c in (_known(child) for child in field.type) if c is not None]
        return field.with_type(pa.struct(children))
    if pa.types.is_list(field.type) or pa.types.is_large_list(field.type):
        return field if _known(field.type.value_field) == field.type.value_field else None
    return field
