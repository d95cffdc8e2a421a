"""The configuration: it was read and validated before any check runs (a bad value stops
`kiosk doctor` with the file, key and what is allowed, as every command); here, what is valid
but should not stay: a device not provisioned (it starts on the setup screen), the shipped
technician PIN or demo officers (kiosk.config.shipped_defaults, the one test of it), settings
under an old name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk import paths
from kiosk.config.loader import KIOSK_FILE
from kiosk.config.shipped_defaults import shipped_secrets_in_use
from kiosk.config.site_writer import is_provisioned
from kiosk.diagnostics.context import CheckContext
from kiosk.diagnostics.finding import Finding, Text, ok, warning
from kiosk.i18n import N_

if TYPE_CHECKING:
    from kiosk.config import Config

CHECK = "configuration"


def check(config: Config, context: CheckContext) -> list[Finding]:
    site = [s for s in config.sources if not s.is_relative_to(paths.SHIPPED_CONFIG_DIR)]
    sources = ", ".join(str(source) for source in site)
    findings = [
        ok(
            CHECK,
            N_("Valid; the site's settings are in {sources}."),
            {"sources": sources},
            sources=sources,
        )
        if site
        else ok(CHECK, N_("Valid; only the shipped settings, no site configuration."))
    ]
    provisioned = any(is_provisioned(source) for source in site if source.name == KIOSK_FILE)
    if not (provisioned or context.in_running_app):
        findings.append(
            warning(
                CHECK,
                Text(
                    N_(
                        "Not provisioned: the site's kiosk.toml names no [device] role, so the"
                        " kiosk starts on its setup screen."
                    )
                ),
                Text(N_("Provision it on the setup screen, or with kiosk provision.")),
            )
        )
    findings += [
        warning(CHECK, Text(said))  # a msgid of kiosk.config.shipped_defaults: translated
        for said in shipped_secrets_in_use(config)
    ]
    findings += [
        warning(
            CHECK,
            Text(N_("A setting is read under its old name: {notice}."), {"notice": notice}),
            Text(N_("Rename it in the site configuration.")),
        )
        for notice in config.notices
    ]
    return findings
