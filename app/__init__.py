"""LoopLab: see the difference between blocking and non-blocking Python."""

__version__ = "0.1.0"
