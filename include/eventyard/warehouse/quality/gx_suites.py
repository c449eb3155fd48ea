"""Great Expectations 1.x on the loaded tables: suites generated from the Segment schema, run by
GX on a SQL datasource (the warehouse runs the expectations' queries), and GX Data Docs.

What runs here and what runs through our own templates, and why: docs/decisions/0021; GX's SQL
datasource on DuckDB, Redshift and BigQuery (``gx_engines``): 0034.
Each table's suite follows Segment's contract for its kind: every table's ``id`` is present and
unique; an event table has the envelope columns, ``received_at``, ``timestamp`` and ``uuid_ts``
on every row and, for ``tracks``, the event name; ``users`` has its ``id``. The project lives
under ``$EVENTYARD_HOME/great_expectations`` (a file context), so Data Docs keep every run and
are served by the Airflow UI plugin (``eventyard.airflow_links``).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pyarrow as pa

from eventyard.settings import Settings
from eventyard.warehouse.dialects import Dialect
from eventyard.warehouse.quality.checks import RESULTS_TABLE, Columns
from eventyard.warehouse.quality.paths import project_dir
from eventyard.warehouse.quality.results import CheckResult
from eventyard.warehouse.quality.thresholds import Thresholds
from eventyard.warehouse.types import DISCARDS_TABLE

log = logging.getLogger(__name__)

# GX runs on every warehouse with quality templates through its SQL datasource (decision 0034);
# the SQLAlchemy dialect name of each template folder (``gx_engines`` registers ``<name>+eventyard``).
SQLALCHEMY_NAMES = {
    "duckdb": "duckdb",
    "postgres": "postgresql",
    "redshift": "redshift",
    "bigquery": "bigquery",
}
# Where GX reflects the table (a table asset); elsewhere a query asset ``SELECT *`` of it, since
# duckdb-engine's reflection fails on SQLAlchemy 2.1 and the BigQuery emulator has no
# INFORMATION_SCHEMA to reflect from.
TABLE_ASSETS = frozenset({"postgres", "redshift"})
# Segment's call types: what a landed message's ``type`` may be.
CALL_TYPES = frozenset({"track", "identify", "page", "screen", "group", "alias"})
# The column GX checks the timestamp skew on: timestamp - received_at in hours, per message.
SKEW_COLUMN = "skew_hours"
ENVELOPE = ("id", "received_at", "timestamp", "original_timestamp", "sent_at", "uuid_ts")
NOT_NULL = ("received_at", "timestamp", "uuid_ts")


@dataclass(frozen=True)
class Expectation:
    """One expectation of a generated suite: the GX class name and its arguments."""

    name: str
    kwargs: Mapping[str, Any]


def suite_for(table: str, columns: Sequence[str]) -> list[Expectation]:
    """The expectations Segment's schema implies for one table (see the module docstring)."""
    present = set(columns)
    out = [
        Expectation("ExpectColumnValuesToNotBeNull", {"column": "id"}),
        Expectation("ExpectColumnValuesToBeUnique", {"column": "id"}),
    ]
    if table == "users":
        return out
    out.append(
        Expectation("ExpectTableColumnsToMatchSet", {"column_set": list(ENVELOPE), "exact_match": False})
    )
    out += [Expectation("ExpectColumnValuesToNotBeNull", {"column": c}) for c in NOT_NULL if c in present]
    if table == "tracks" and "event" in present:
        out.append(Expectation("ExpectColumnValuesToNotBeNull", {"column": "event"}))
        # A nameless track is loaded with an empty name: present is not enough.
        out.append(Expectation("ExpectColumnValueLengthsToBeBetween", {"column": "event", "min_value": 1}))
    return out


def suites(columns: Columns) -> dict[str, list[Expectation]]:
    """A suite per Segment table of the schema (not ``discards`` nor our results)."""
    return {
        table: suite_for(table, list(cols))
        for table, cols in sorted(columns.items())
        if table not in (RESULTS_TABLE, DISCARDS_TABLE) and "id" in cols
    }


def run_suites(
    settings: Settings, integration_id: str, dialect: Dialect, schema: str, columns: Columns
) -> list[CheckResult]:
    """Validate every table of ``schema`` (the source's, or a quarantined batch's staging schema)
    with its generated suite through GX's SQL datasource on the connected ``dialect`` (the
    warehouse runs the expectations' queries), update Data Docs once, and return one result per
    table (observed = failed expectations)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    from eventyard.warehouse.quality import gx_engines

    folder = dialect.sql.folder
    context = _context(settings)
    with gx_engines.lend(_connections(dialect)) as key:
        with warnings.catch_warnings():  # the generic datasource is the point (gx_engines)
            warnings.filterwarnings("ignore", "You are using a generic SQLDatasource")
            source = context.data_sources.add_or_update_sql(
                name=f"eventyard-{integration_id}", connection_string=_url(dialect, key)
            )
        definitions = []
        for table, expectations in suites(columns).items():
            name = f"{schema}.{table}"
            if folder in TABLE_ASSETS:
                asset = source.add_table_asset(name=name, table_name=table, schema_name=schema)
            else:
                query = dialect.sql.statement("select_all", target=dialect.qualified(schema, table))
                asset = source.add_query_asset(name=name, query=query)
            batch = asset.add_batch_definition_whole_table("whole table")
            suite = context.suites.add_or_update(gx.ExpectationSuite(name=f"{integration_id}.{name}"))
            for expectation in expectations:
                suite.add_expectation(getattr(gxe, expectation.name)(**expectation.kwargs))
            definitions.append(
                context.validation_definitions.add_or_update(
                    gx.ValidationDefinition(name=f"{integration_id}.{name}", data=batch, suite=suite)
                )
            )
        if not definitions:
            return []
        name = f"eventyard-{integration_id}.{schema}"
        _forget_checkpoint(context, name)
        # No UpdateDataDocsAction: it rebuilds the site's index once per validation; one build below.
        checkpoint = context.checkpoints.add(gx.Checkpoint(name=name, validation_definitions=definitions))
        try:
            outcome = checkpoint.run()
        finally:
            _release(context, source.name)
    _update_data_docs(context, outcome)
    return [
        _result("gx_suite", str(run.suite_name).rsplit(".", 1)[-1], run)
        for run in outcome.run_results.values()
    ]


def _url(dialect: Dialect, key: str) -> str:
    """The SQLAlchemy URL of ``gx_engines``'s dialect for the warehouse: no secret in it."""
    folder = dialect.sql.folder
    if folder == "bigquery":
        return f"bigquery+eventyard://{dialect.details['project']}?lent={key}"
    return f"{SQLALCHEMY_NAMES[folder]}+eventyard://?lent={key}"


def _connections(dialect: Dialect) -> Callable[[], Any]:
    """What GX's engine connects through: a cursor of the round's DuckDB connection (one database
    instance, one file lock), the round's BigQuery client, or a new connection of the same
    dialect class and details (Postgres, Redshift: psycopg, closed when GX's engine is)."""
    folder = dialect.sql.folder
    if folder == "duckdb":
        return lambda: dialect.conn.cursor()  # type: ignore[attr-defined]
    if folder == "bigquery":
        return lambda: dialect.client  # type: ignore[attr-defined]

    def connect() -> Any:
        fresh = type(dialect)(dialect.details, dialect.settings)
        fresh.connect()
        return fresh.conn  # type: ignore[attr-defined]

    return connect


def _update_data_docs(context: Any, outcome: Any) -> None:
    """Render a checkpoint run's validations and their suites into the Data Docs, index once."""
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    suites = {ExpectationSuiteIdentifier(name=str(r.suite_name)) for r in outcome.run_results.values()}
    context.build_data_docs(resource_identifiers=[*outcome.run_results, *suites], build_index=True)


def _forget_checkpoint(context: Any, name: str) -> None:
    """Remove the schema's checkpoint of the previous round from GX's store without loading it:
    its validations may name a table dropped since (a fixed quarantined batch's, or one dropped
    by hand), and GX refuses to load, so to update or delete, such a checkpoint."""
    store = context.checkpoint_store
    key = store.get_key(name=name, id=None)
    if store.has_key(key):
        store.remove_key(key)


def _release(context: Any, name: str) -> None:
    """Close the connections GX's engine pooled for the datasource ``name``."""
    for source in context.data_sources.all().values():
        if source.name == name:
            source.get_execution_engine().engine.dispose()


def landed_suite(limits: Thresholds) -> list[Expectation]:
    """What Segment's spec asks of every landed message (the envelope of ``landing.schema``): an id,
    a known call type, ``received_at`` and ``timestamp``, a track's event name, and the timestamp
    within ``qualityTimestampSkewHours`` of ``received_at`` (GX sees that as ``skew_hours``)."""
    hours = limits.timestamp_skew.total_seconds() / 3600
    return [
        Expectation("ExpectColumnValuesToNotBeNull", {"column": "message_id"}),
        Expectation("ExpectColumnValuesToBeInSet", {"column": "type", "value_set": sorted(CALL_TYPES)}),
        Expectation("ExpectColumnValuesToNotBeNull", {"column": "received_at"}),
        Expectation("ExpectColumnValuesToNotBeNull", {"column": "timestamp"}),
        Expectation(
            "ExpectColumnValuesToNotBeNull",
            {"column": "event", "row_condition": 'type=="track"', "condition_parser": "pandas"},
        ),
        Expectation(
            "ExpectColumnValuesToBeBetween", {"column": SKEW_COLUMN, "min_value": -hours, "max_value": hours}
        ),
    ]


def validate_landed(
    settings: Settings, integration_id: str, batch_id: str, landed: pa.Table, limits: Thresholds
) -> CheckResult:
    """Validate one landed Parquet batch (its envelope columns, without the message JSON) with
    ``landed_suite`` through GX's pandas datasource, before the batch is published; the
    validation goes into the Data Docs. One ``gx_landed`` result (observed: failed expectations)."""
    columns = [c for c in landed.column_names if c != "message"]
    frame = landed.select(columns).to_pandas()
    frame[SKEW_COLUMN] = (frame["timestamp"] - frame["received_at"]).dt.total_seconds() / 3600
    (result,) = _validate_frames(
        settings, f"{integration_id}.landed", {"landed batch": (frame, landed_suite(limits))}, "gx_landed"
    )
    return replace(result, detail=f"batch {batch_id}: {result.detail}")


def _validate_frames(
    settings: Settings, prefix: str, frames: Mapping[str, tuple[Any, list[Expectation]]], check: str
) -> list[CheckResult]:
    """Run each data frame's expectations through one GX pandas datasource, Data Docs updated."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    context = _context(settings)
    source = context.data_sources.add_or_update_pandas(name="eventyard-frames")
    results = []
    for name, (frame, expectations) in frames.items():
        key = f"{prefix}.{name}"
        try:
            asset = source.get_asset(key)
        except LookupError:
            asset = source.add_dataframe_asset(name=key)
        try:
            batch = asset.get_batch_definition("frame")
        except (LookupError, KeyError):
            batch = asset.add_batch_definition_whole_dataframe("frame")
        suite = context.suites.add_or_update(
            gx.ExpectationSuite(
                name=key, expectations=[getattr(gxe, e.name)(**e.kwargs) for e in expectations]
            )
        )
        definition = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=key, data=batch, suite=suite)
        )
        checkpoint = context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=f"eventyard-{key}",
                validation_definitions=[definition],
                actions=[gx.checkpoint.UpdateDataDocsAction(name="data docs")],
            )
        )
        outcome = checkpoint.run(batch_parameters={"dataframe": frame})
        results += [_result(check, name, run) for run in outcome.run_results.values()]
    return results


def _context(settings: Settings) -> Any:
    """The home's GX file project (suites, validations, Data Docs), without progress bars (a task
    log or ``--json`` output is no terminal)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="file", project_root_dir=str(project_dir(settings)))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _result(check: str, table: str, run: Any) -> CheckResult:
    failed = [r for r in run.results if not r.success]
    names = ", ".join(sorted({_describe(r) for r in failed}))
    detail = f"{len(run.results)} expectations" + (f"; failed: {names}" if names else "")
    return CheckResult(check, table, len(failed), 0, bool(run.success), detail)


def _describe(result: Any) -> str:
    """A failed expectation, with its column and the rows it found, if it counts rows."""
    config = result.expectation_config
    column = config.kwargs.get("column")
    name = f"{config.type}({column})" if column else str(config.type)
    unexpected = (result.result or {}).get("unexpected_count")
    return name if unexpected is None else f"{name}: {unexpected} unexpected"
