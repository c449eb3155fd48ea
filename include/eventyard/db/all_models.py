"""Imports every module that declares tables, so Alembic and tests see the whole schema.

Each component that adds tables appends its models module here.
"""

from eventyard.db import models  # noqa: F401
from eventyard.destinations import models as destinations_models  # noqa: F401
from eventyard.quality import models as quality_models  # noqa: F401
from eventyard.warehouse import models as warehouse_models  # noqa: F401
