"""The Strawberry schema with its safety limits, built from settings."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from eventyard.houston.codes import Code
from eventyard.houston.gql.account_mutation import AccountMutation
from eventyard.houston.gql.api_key_mutation import ApiKeyMutation
from eventyard.houston.gql.delivery import SCALARS
from eventyard.houston.gql.delivery_mutation import DeliveryMutation
from eventyard.houston.gql.organization_mutation import OrganizationMutation
from eventyard.houston.gql.permissions import CodedGraphQLError
from eventyard.houston.gql.pipeline_mutation import PipelineMutation
from eventyard.houston.gql.query import Query
from eventyard.settings import Settings

log = logging.getLogger(__name__)

Mutation = merge_types(
    "Mutation", (AccountMutation, OrganizationMutation, PipelineMutation, ApiKeyMutation, DeliveryMutation)
)


def is_unexpected(error: GraphQLError) -> bool:
    """Mask errors raised by code (bugs, outages); keep validation and coded refusals readable."""
    return error.original_error is not None and not isinstance(error.original_error, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    """``MaskErrors`` whose masked errors still carry a stable code."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message="Unexpected error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        """The masked error, tagged ``INTERNAL_ERROR``."""
        masked = super().anonymise_error(error)
        masked.extensions = {"code": Code.INTERNAL_ERROR.value}
        return masked


# graphql-core's hint for a mistyped name, type, argument or enum value ("... Did you mean 'x'?").
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def without_suggestions(message: str) -> str:
    """The message without graphql-core's "Did you mean ...?" hint (which would reveal the schema)."""
    return _SUGGESTION.sub("", message)


class HoustonSchema(strawberry.Schema):
    """A schema that logs its own failures as errors and the client's mistakes as warnings, and,
    with introspection off, names no field the client did not already know."""

    def __init__(self, *args: Any, hide_suggestions: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hide_suggestions = hide_suggestions

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Scrub suggestions, then log: bugs at error level (with tracebacks), bad requests (syntax,
        validation, the token limit) at warning level, coded refusals not at all (they are answers)."""
        for error in errors:
            if self.hide_suggestions:
                error.message = without_suggestions(error.message)
        unexpected = [e for e in errors if is_unexpected(e)]
        for error in errors:
            if error.original_error is None or (
                isinstance(error.original_error, GraphQLError)
                and not isinstance(error.original_error, CodedGraphQLError)
            ):
                log.warning("GraphQL request refused: %s", error.message)
        super().process_errors(unexpected, execution_context)


def build_schema(settings: Settings) -> strawberry.Schema:
    """The Houston schema; introspection and limits follow the settings."""
    # Factories, not instances: each operation gets fresh extension state.
    extensions: list[Callable[[], SchemaExtension]] = [
        partial(QueryDepthLimiter, max_depth=settings.graphql_max_depth),
        partial(MaxTokensLimiter, max_token_count=settings.graphql_max_tokens),
        partial(MaxAliasesLimiter, max_alias_count=settings.graphql_max_aliases),
        MaskUnexpectedErrors,
    ]
    hidden = not settings.graphql_introspection
    if hidden:
        extensions.append(DisableIntrospection)
    return HoustonSchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALARS, disable_field_suggestions=hidden),
        hide_suggestions=hidden,
    )
