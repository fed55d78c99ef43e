"""Shared visual pieces used by several pages."""
