"""LoopLab's Qt side: the controller, the window and its widgets.

Importing it first makes PySide6's check of every later import read sources without keeping
them (:mod:`app.ui.feature_scan`): before any of LoopLab's Qt modules, and whichever is first.
"""

from app.ui import feature_scan as _feature_scan

_feature_scan.install()
