"""Imports every module that declares tables, so Alembic and tests see the whole schema.

Each component that adds tables appends its models module here. It lives with the migrations,
not in ``eventyard.db``, because it imports every component: the migrations are an entry point
above the components (like the CLI), while ``eventyard.db`` stays below all of them.
"""

from eventyard.db import models  # noqa: F401
from eventyard.destinations import models as destinations_models  # noqa: F401
from eventyard.warehouse import models as warehouse_models  # noqa: F401
from eventyard.warehouse.quality import models as quality_models  # noqa: F401
