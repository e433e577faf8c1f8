"""LoopLab's Qt side: the controller, the window and its widgets."""
