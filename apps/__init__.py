"""The Kivy applications, one per device role: the top layer, which composes the screens
(screens/) with the device services (kiosk/). Nothing below imports it; the command line
finds an app by its role's name (kiosk/roles.py)."""
