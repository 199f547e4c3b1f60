"""Meeting rhythm, nudges, prompts and the community's close: tables."""

from __future__ import annotations
