"""Features: each module brings its verbs, buttons, forms, handlers and schedules.

To add a capability, write a module exporting `FEATURE` and list it here.
"""

from __future__ import annotations

from bot.features import admin, checkins, members
from bot.features.base import Feature

FEATURES: tuple[Feature, ...] = (checkins.FEATURE, members.FEATURE, admin.FEATURE)

__all__ = ["FEATURES", "Feature"]
