"""Hooks: connections to Google's tuning APIs."""
