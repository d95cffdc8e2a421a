"""Ward one-stop office kiosk: queue tickets, citizen ID QR, dual rating, sync."""

__version__ = "0.1.0"
