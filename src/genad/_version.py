"""The library version (also written into every saved model)."""

__version__ = "0.1.0"
