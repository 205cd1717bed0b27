"""bookbuild's version: one place, importable without the public API."""

__version__ = "0.1.0"
