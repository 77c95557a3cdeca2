"""A tiny package: how long until a date, as a table."""
__version__ = "0.1.0"
