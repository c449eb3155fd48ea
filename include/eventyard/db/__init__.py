"""The control database: models, engine and migrations."""
