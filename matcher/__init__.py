"""Resettlement placement matcher: place refugee families in small cities within every capacity, and explain why."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("resettlement-matcher")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+local"

__all__ = ["__version__"]
