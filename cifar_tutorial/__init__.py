"""Helpers for the cifar-tutorial notebooks: data, models, training plumbing and pictures.
Each module does one job and reads on its own; docs/architecture.md maps them all."""

__version__ = "0.1.0"
