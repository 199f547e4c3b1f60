"""Which adapter serves which platform. Adapters are imported only when needed."""

from __future__ import annotations

import argparse
import importlib

from adapters.runtime import Adapter
from bot.config import Settings

MODULES = {"slack": "adapters.slack", "discord": "adapters.discord", "email": "adapters.email"}


class AdapterUnavailable(Exception):
    """This copbot cannot serve the platform (the adapter is missing or not installed)."""


def make_adapter(name: str, settings: Settings, args: argparse.Namespace) -> Adapter:
    """Build the adapter for platform `name` from settings and command-line options.

    Each adapter package exposes `make_adapter(settings, args) -> Adapter`.
    """
    module_name = MODULES.get(name)
    if module_name is None:
        raise AdapterUnavailable(f"there is no adapter for '{name}'")
    try:
        module = importlib.import_module(module_name)
        factory = module.make_adapter
    except (ImportError, AttributeError) as error:
        raise AdapterUnavailable(f"the {name} adapter is not available ({error})") from None
    return factory(settings, args)
