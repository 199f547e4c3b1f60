"""Wicked problems, polls and ballots: tables."""

from __future__ import annotations
