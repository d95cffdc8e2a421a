"""`python -m kiosk.citizen_id_sample_scanner [FILE] [--link PATH] [--suffix CRLF]`: the virtual
scanner (devices.virtual_scanner) scanning the demo's citizen ID cards, the next one each time
Enter is pressed, e.g. for `kiosk scan-test` without a card at hand.

The samples come from here because the devices know nothing of the kiosk's sample file.
"""

from __future__ import annotations

from pathlib import Path

from devices import virtual_scanner
from kiosk.citizen_id_samples import DEMO_CARDS, load_samples


def main(argv: list[str] | None = None) -> None:
    parser = virtual_scanner.arguments(
        "python -m kiosk.citizen_id_sample_scanner",
        "Run a virtual QR scanner that scans the citizen ID samples, one each time Enter is "
        "pressed.",
    )
    parser.add_argument(
        "file", nargs="?", type=Path, default=DEMO_CARDS, help=f"default {DEMO_CARDS}"
    )
    args = parser.parse_args(argv)
    try:
        samples = load_samples(args.file)
    except OSError as error:
        parser.error(f"cannot read the samples: {error}")
    virtual_scanner.run(
        args, [(f"{sample.case} (expected: {sample.expect})", sample.payload) for sample in samples]
    )


if __name__ == "__main__":
    main()
