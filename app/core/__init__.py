"""Qt-free heart of LoopLab: fetching, the run model, lag statistics and the demo server.

Nothing in this package may import PySide6 or qasync; tests/core/test_layering.py enforces it.
"""
