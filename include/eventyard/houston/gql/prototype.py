"""``clickstreamPrototypes``: the destination catalog as form definitions."""

from __future__ import annotations

from typing import cast

import strawberry
from strawberry.scalars import JSON

from eventyard.catalog import Destination, Field
from eventyard.houston.gql.rows import from_row


@strawberry.type(description="One form field of a connection or config prototype.")
class PrototypeField:
    property_name: str
    label: str
    field_type: str
    required: bool
    secret: bool
    public: bool = strawberry.field(
        description="Published by the vendor in every page using its tag: may reach the browser"
    )
    default: JSON | None
    options: JSON | None
    description: str
    routing: bool = strawberry.field(
        description="Decides which server receives the connection's requests: changing it needs every "
        "secret entered again."
    )
    aliases: list[str] = strawberry.field(description="Other names accepted for this field on input.")

    @classmethod
    def from_field(cls, field: Field) -> PrototypeField:
        """The GraphQL view of a catalog field."""
        return from_row(
            cls,
            field,
            options=cast(JSON, list(field.options)) if field.options else None,
            aliases=list(field.aliases),
        )


@strawberry.type(description="The fields of a connection's `details`; `id` is the connectionPrototypeId.")
class ConnectionPrototype:
    id: str
    fields: list[PrototypeField]


@strawberry.type(description="The fields of an integration's `configPayload`.")
class ConfigPrototype:
    fields: list[PrototypeField]


@strawberry.type(description="Which source families a destination accepts events from.")
class Support:
    client: bool
    server: bool
    mobile: bool


@strawberry.type(description="How a destination runs in the browser (analytics.js device mode).")
class DeviceMode:
    plugin: str = strawberry.field(description="The plugin analytics.js loads: /v1/plugins/<plugin>.js")
    source: str = strawberry.field(description="eventyard (our build) or the npm package it comes from")
    consent_category: str = strawberry.field(description="context.consent.categoryPreferences key gating it")
    modes: list[str] = strawberry.field(description="Connection modes (configPayload.connectionMode)")
    default_mode: str
    public_fields: list[str] = strawberry.field(description="Settings sent to the browser (never secrets)")
    tag_url: str = strawberry.field(description="The vendor tag the plugin loads ({field} = a setting)")


@strawberry.type(description="A destination of the catalog and the forms to configure it.")
class ClickstreamPrototype:
    integration_code: str
    name: str
    kind: str
    support: Support = strawberry.field(description="The compatibility matrix's row (MetaRouter's seed).")
    delivery_support: Support = strawberry.field(
        description="Source families Eventyard delivers from: the row plus server sources via serverApi."
    )
    server_api: str = strawberry.field(
        description="The server-to-server API used beyond the browser tag, if any."
    )
    status: str
    status_reason: str
    description: str
    connection_prototype: ConnectionPrototype
    config_prototype: ConfigPrototype
    device_mode: DeviceMode | None = strawberry.field(
        default=None, description="Null when the destination never runs in the browser."
    )

    @classmethod
    def from_destination(cls, dest: Destination) -> ClickstreamPrototype:
        """The GraphQL view of a catalog destination."""
        return cls(
            integration_code=dest.code,
            name=dest.name,
            kind=dest.kind,
            support=Support(
                client=dest.support.client, server=dest.support.server, mobile=dest.support.mobile
            ),
            delivery_support=Support(**vars(dest.delivery_support())),
            server_api=dest.server_api,
            status=dest.status,
            status_reason=dest.status_reason,
            description=dest.description,
            connection_prototype=ConnectionPrototype(
                id=dest.connection_prototype_id,
                fields=[PrototypeField.from_field(f) for f in dest.connection_fields],
            ),
            config_prototype=ConfigPrototype(
                fields=[PrototypeField.from_field(f) for f in dest.config_fields]
            ),
            device_mode=_device_mode(dest),
        )


def _device_mode(dest: Destination) -> DeviceMode | None:
    mode = dest.device_mode
    if mode is None:
        return None
    return DeviceMode(
        plugin=mode.plugin,
        source=mode.source,
        consent_category=mode.consent_category,
        modes=list(mode.modes),
        default_mode=mode.default_mode,
        public_fields=list(mode.public_fields),
        tag_url=mode.tag_url,
    )
