"""Features: each module brings its verbs, buttons, forms, handlers and schedules.

To add a capability, write a module exporting `FEATURE` and list it here.
"""

from __future__ import annotations

from bot.features import (
    admin,
    catchup,
    checkins,
    closing,
    digest,
    email_digest,
    email_members,
    events,
    export,
    goals,
    guard,
    help_requests,
    library,
    meetings,
    members,
    mydata,
    newsletter,
    nudges,
    planners,
    pledge_stories,
    pledges,
    polls,
    problems,
    prompts,
    pulses,
    report,
    rsvp,
    sealing,
    stories,
    trios,
    welcome,
    wins,
)
from bot.features.base import Feature

FEATURES: tuple[Feature, ...] = (
    checkins.FEATURE,
    members.FEATURE,
    admin.FEATURE,
    wins.FEATURE,
    pledges.FEATURE,
    help_requests.FEATURE,
    problems.FEATURE,
    polls.FEATURE,
    meetings.FEATURE,
    catchup.FEATURE,
    events.FEATURE,
    rsvp.FEATURE,
    trios.FEATURE,
    nudges.FEATURE,
    prompts.FEATURE,
    newsletter.FEATURE,
    closing.FEATURE,
    welcome.FEATURE,
    planners.FEATURE,
    mydata.FEATURE,
    guard.FEATURE,
    digest.FEATURE,
    stories.FEATURE,
    pledge_stories.FEATURE,
    library.FEATURE,
    goals.FEATURE,
    pulses.FEATURE,
    report.FEATURE,
    export.FEATURE,
    sealing.FEATURE,
    email_members.FEATURE,
    email_digest.FEATURE,
)

__all__ = ["FEATURES", "Feature"]
