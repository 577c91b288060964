"""Numbers as the course's pages and commands write them: times and sizes."""

from __future__ import annotations


def seconds_text(seconds: float) -> str:
    """A notebook's time for a table: ``8 s`` under 90 seconds, else ``9.7 min``."""
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def duration_text(seconds: float) -> str:
    """A predicted time, to the second: ``8 s``, ``3 min 05 s``, ``1 h 02 min``."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def size_text(size: int, decimals: int = 1) -> str:
    """A file's size: whole kilobytes under a megabyte (``14 kB``), else megabytes with
    ``decimals`` digits after the point (``2.4 MB``; ``1,234 MB`` with ``decimals=0``)."""
    if size < 1e6:
        return f"{size / 1e3:,.0f} kB"
    return f"{size / 1e6:,.{decimals}f} MB"
