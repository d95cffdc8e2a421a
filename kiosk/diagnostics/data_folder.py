"""The data folder can be written: a file is made there and removed (the only thing a
diagnosis writes), which tells a read-only SD card from a folder of the wrong owner."""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING

from kiosk.diagnostics.context import CheckContext
from kiosk.diagnostics.finding import Finding, Text, fault, ok
from kiosk.i18n import N_
from kiosk.storage_faults import FAULT_FIXES, FAULT_NAMES, classify

if TYPE_CHECKING:
    from kiosk.config import Config

CHECK = "data_folder"


def check(config: Config, context: CheckContext) -> Finding:
    folder = config.device.data_dir
    args = {"path": str(folder)}
    if not folder.is_dir():
        return fault(
            CHECK,
            Text(N_("The data folder {path} does not exist."), args),
            Text(
                N_("Start the kiosk once as its user, or create {path} owned by the kiosk user."),
                args,
            ),
            args,
        )
    try:
        fd, probe = tempfile.mkstemp(prefix=".doctor-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        kind = classify(error, folder)
        detail = {**args, "error": error.strerror or str(error)}
        if kind is not None:
            return fault(
                CHECK,
                Text(
                    N_("{fault}: {path} cannot be written ({error})."),
                    {"fault": Text(FAULT_NAMES[kind]), **detail},
                ),
                Text(FAULT_FIXES[kind], {"path": str(folder)}),
                {**detail, "fault": kind.value},
            )
        return fault(
            CHECK,
            Text(N_("{path} cannot be written by this user ({error})."), detail),
            Text(N_("Run as the kiosk user, or give it the folder: chown -R kiosk: {path}"), args),
            detail,
        )
    return ok(CHECK, N_("{path} can be written."), args, **args)
