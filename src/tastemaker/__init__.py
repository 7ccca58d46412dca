"""tastemaker: prompt-driven personalization.

The public surface is small on purpose::

    from tastemaker import Engine, Settings, Store

    store = Store("sqlite:///tastemaker.db"); store.migrate()
    engine = Engine(store, Settings())
    answer = engine.answer("shop", "weekend-bundle", user_id="u1", text="a cosy night in")
"""

from tastemaker.engine import Engine
from tastemaker.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    TastemakerError,
    Unauthorized,
)
from tastemaker.experiences import ExperienceSpec
from tastemaker.settings import Settings
from tastemaker.store import Store
from tastemaker.types import Answer, RequestContext

__all__ = [
    "Answer",
    "Engine",
    "ExperienceSpec",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "PayloadTooLarge",
    "RequestContext",
    "Settings",
    "Store",
    "TastemakerError",
    "Unauthorized",
]
__version__ = "0.1.0"
