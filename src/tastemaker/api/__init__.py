"""The HTTP API: ``create_app(engine)`` builds a FastAPI app over an engine."""

from tastemaker.api.app import create_app, create_app_from_env

__all__ = ["create_app", "create_app_from_env"]
