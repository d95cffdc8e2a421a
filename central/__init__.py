"""The reference central API server (contract: docs/central-api.md).

A separate process from the kiosk: devices post their events here and counters call the next
ticket; report readers get the queue state and the satisfaction report.
"""
