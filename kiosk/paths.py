"""Where the shipped files live, resolved from this file so it works from any working directory."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_CONFIG_DIR = REPO_ROOT / "config"
FONT_REGULAR = SHIPPED_CONFIG_DIR / "fonts" / "Roboto-Regular.ttf"
FONT_BOLD = SHIPPED_CONFIG_DIR / "fonts" / "Roboto-Bold.ttf"
LOCALE_DIR = SHIPPED_CONFIG_DIR / "locale"
DEFAULT_OVERRIDE_DIR = Path("/etc/kiosk")
