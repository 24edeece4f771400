"""genad's scoring service and app (FastAPI + uvicorn, the ``[web]`` extra).

``create_app(models_dir, api_keys=...)`` builds the application for embedding;
``genad serve`` runs it with uvicorn. See the README's "Serve" section.
"""

from __future__ import annotations

from .app import create_app
from .auth import new_key
from .registry import Registry, check_name, load_model
from .server import is_loopback, run

__all__ = ["create_app", "new_key", "Registry", "check_name", "load_model", "is_loopback", "run"]
