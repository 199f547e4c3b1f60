"""Which adapter serves which platform. Adapters are imported only when needed."""

from __future__ import annotations

import argparse
import importlib

from adapters.runtime import Adapter
from bot.config import Settings

MODULES = {
    "slack": "adapters.slack",
    "discord": "adapters.discord",
    "email": "adapters.email",
    "teams": "adapters.teams",
}
#: The libraries each platform's extra installs (`pip install 'copbot[slack]'`).
LIBRARIES = {
    "slack_bolt": "slack",
    "slack_sdk": "slack",
    "discord": "discord",
    "microsoft_agents": "teams",
    "jwt": "teams",
}
TITLES = {"slack": "Slack", "discord": "Discord", "teams": "Teams"}
#: Slack over HTTP listens here unless --http-port says otherwise (Teams must not take it).
SLACK_HTTP_PORT = 3000


def missing_extra(error: ImportError) -> str | None:
    """The extra to install when `error` is a platform library that is not installed."""
    name = (getattr(error, "name", None) or "").split(".")[0]
    return LIBRARIES.get(name) if isinstance(error, ModuleNotFoundError) else None


def not_installed(extra: str) -> str:
    """One plain line saying how to add a platform's support."""
    return f"{TITLES[extra]} support is not installed: pip install 'copbot[{extra}]'"


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
    except ImportError as error:
        extra = missing_extra(error)
        if extra is not None:
            raise AdapterUnavailable(not_installed(extra)) from None
        raise AdapterUnavailable(f"the {name} adapter is not available ({error})") from None
    except AttributeError as error:
        raise AdapterUnavailable(f"the {name} adapter is not available ({error})") from None
    return factory(settings, args)
