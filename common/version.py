"""The product's version: one number for the devices and the server."""

__version__ = "0.1.0"
