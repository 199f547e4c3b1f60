"""Logging set-up: the platform SDKs' DEBUG output (request and event bodies, which hold
what members write) is never let through, whatever level copbot logs at."""

from __future__ import annotations

import logging

#: Loggers whose DEBUG records carry request or event bodies.
SDK_LOGGERS = ("slack_sdk", "slack_bolt", "discord", "aiohttp", "websockets", "urllib3")


def configure(level: str) -> None:
    """Log at `level`; the SDKs' loggers never below INFO."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(level)
    for name in SDK_LOGGERS:
        sdk = logging.getLogger(name)
        sdk.setLevel(max(logging.getLevelName(level), logging.INFO))
