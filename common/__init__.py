"""What the devices (kiosk, devices, screens) and the central server share: the office clock,
the product version and safe private files. It imports nothing of this project, so both sides
may depend on it without depending on each other."""
