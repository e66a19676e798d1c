#!/usr/bin/env python
"""Django's command-line utility for referral-hub."""

import os
import sys
from pathlib import Path

# `make bootstrap` writes the dev settings here; operator commands use them unless ENV_FILE
# says otherwise (`ENV_FILE=` empty: none). A deployment has no .dev/ and is not affected.
DEV_ENV_FILE = Path(__file__).resolve().parent / ".dev" / "dev.env"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referral_hub.settings")
    if "ENV_FILE" not in os.environ and DEV_ENV_FILE.is_file():
        os.environ["ENV_FILE"] = str(DEV_ENV_FILE)
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except Exception as exc:
        from referral_hub.env import ConfigError

        if isinstance(exc, ConfigError):
            sys.stderr.write(f"configuration error: {exc}\n")
            sys.exit(2)
        raise


if __name__ == "__main__":
    main()
