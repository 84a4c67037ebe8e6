"""Where the shipped workflow and templates live.

An installed wheel carries them in the package, as ``thekiz_flow/_data/workflows/`` and
``thekiz_flow/_data/templates/`` (pyproject.toml, force-include); a source checkout (and an
editable install of it) has them at the top of the repository. Both keep the workflow file's
``templates = "../templates"`` true.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _shipped() -> Path:
    """The folder holding ``workflows/`` and ``templates/``: the package's data if installed
    from a wheel (a regular install: a folder on disk, as Jinja2's loaders need), else the
    source checkout the package is imported from."""
    data = files("thekiz_flow") / "_data"
    if isinstance(data, Path) and data.is_dir():
        return data
    return Path(__file__).resolve().parents[2]  # thekiz_flow/workflow/paths.py


_SHIPPED = _shipped()
DEFAULT_WORKFLOW = _SHIPPED / "workflows" / "thekiz.toml"
SHIPPED_TEMPLATES = _SHIPPED / "templates"
DEFAULT_DATABASE_URL = "sqlite:///var/thekiz-flow.db"
