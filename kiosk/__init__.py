"""Ward one-stop office kiosk: queue tickets, citizen ID QR, dual rating, sync."""

from common.version import __version__

__all__ = ["__version__"]
