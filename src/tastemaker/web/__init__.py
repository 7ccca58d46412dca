"""The browser side: the embeddable widget and the marketer console, served as static files.

Both are plain files with no build step; they talk to the ordinary ``/v1`` API like any client.
"""

from __future__ import annotations

from pathlib import Path

WEB_STATIC_DIR = Path(__file__).parent / "static"

__all__ = ["WEB_STATIC_DIR"]
