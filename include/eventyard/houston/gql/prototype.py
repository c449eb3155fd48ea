"""``clickstreamPrototypes``: the destination catalog as form definitions."""

from __future__ import annotations

from typing import cast

import strawberry
from strawberry.scalars import JSON

from eventyard.catalog import Destination, Field


@strawberry.type(description="One form field of a connection or config prototype.")
class PrototypeField:
    property_name: str
    label: str
    field_type: str
    required: bool
    secret: bool
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
        return cls(
            property_name=field.property_name,
            label=field.label,
            field_type=field.field_type,
            required=field.required,
            secret=field.secret,
            default=field.default,
            options=cast(JSON, list(field.options)) if field.options else None,
            description=field.description,
            routing=field.routing,
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
        )
