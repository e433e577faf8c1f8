"""LoopLab's Qt side: the controller, the window and its widgets."""

from app.ui import precise_timers

precise_timers.install()
