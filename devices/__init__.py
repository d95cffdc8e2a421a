"""Hardware drivers: the ESC/POS printer, the QR scanner and their virtual twins.

Nothing here knows about tickets or ratings: a printer takes a PrintJob, a scanner yields lines.
"""
