"""The GraphQL layer: one module per type; resolvers delegate to the service layer."""
