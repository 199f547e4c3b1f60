"""Wins and pledges: tables."""

from __future__ import annotations
