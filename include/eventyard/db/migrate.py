"""Create or upgrade the control DB with Alembic (what ``eventyard init`` runs)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from eventyard.db.engine import get_engine
from eventyard.settings import Settings

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    """An Alembic config pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def upgrade(engine: Engine) -> None:
    """Apply every pending revision on every branch (components add their own branches)."""
    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")


def prepare_control_db(settings: Settings) -> None:
    """Create the home directory and the secret key if missing, then upgrade the control DB."""
    settings.home.mkdir(parents=True, exist_ok=True)
    settings.ensure_secret_key()
    upgrade(get_engine(settings))


def pending_revisions(engine: Engine) -> set[str]:
    """Head revisions not yet applied; empty when the DB is current."""
    script = ScriptDirectory.from_config(alembic_config())
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return set(script.get_heads()) - current
