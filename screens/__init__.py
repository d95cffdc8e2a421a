"""Kivy screens: one module and one .kv file per screen. No SQL, no serial, no HTTP here."""
