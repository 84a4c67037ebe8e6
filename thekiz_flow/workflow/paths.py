"""Where the shipped workflow and templates live."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # thekiz_flow/workflow/paths.py
DEFAULT_WORKFLOW = PROJECT_ROOT / "workflows" / "thekiz.toml"
DEFAULT_DATABASE_URL = "sqlite:///var/thekiz-flow.db"
