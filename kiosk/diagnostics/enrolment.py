"""The enrolment file (central.json) can be read by the kiosk's user: `kiosk enroll` run with
sudo once left it root's, 0600, and the app could then not read its own token."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from kiosk.diagnostics.context import CheckContext
from kiosk.diagnostics.finding import Finding, Text, fault, ok, warning
from kiosk.diagnostics.service_user import service_user
from kiosk.enrolment import ENROLMENT_FILE, EnrolmentError, load_enrolment
from kiosk.i18n import N_

if TYPE_CHECKING:
    from kiosk.config import Config

CHECK = "enrolment"


def check(config: Config, context: CheckContext) -> Finding:
    data_dir = config.device.data_dir
    path = data_dir / ENROLMENT_FILE
    user = service_user(data_dir)
    args = {"path": str(path), "user": user.name}
    give_it = Text(
        N_(
            "Give the file to the kiosk user (chown {user}: {path}), or run the command as that"
            " user (sudo -u {user} kiosk ...)."
        ),
        args,
    )
    try:
        enrolment = load_enrolment(data_dir)
    except EnrolmentError as error:
        unreadable = path.exists() and not os.access(path, os.R_OK)  # e.g. root's, 0600
        return fault(
            CHECK,
            Text(N_("Cannot be used: {error}"), {"error": str(error)}),
            give_it
            if unreadable
            else Text(N_("Enrol the device again: kiosk enroll --api URL --code CODE.")),
            {**args, "error": str(error)},
        )
    if enrolment is None:
        return warning(
            CHECK,
            Text(N_("Not enrolled: no {path}."), args),
            Text(N_("Enrol the device: kiosk enroll --api URL --code CODE.")),
            args,
        )
    if not user.may_read(path):
        return fault(
            CHECK,
            Text(N_("{path} cannot be read by {user}, who runs the kiosk."), args),
            give_it,
            args,
        )
    return ok(
        CHECK,
        N_("Enrolled as {device} of office {office}."),
        {**args, "device": enrolment.device_id, "office": enrolment.office},
        device=enrolment.device_id,
        office=enrolment.office,
    )
