#!/usr/bin/env python
"""Django's command-line utility for referral-hub."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referral_hub.settings")
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
