"""Qt side of LoopLab: the controller that owns sessions and tasks, and the window that shows them."""
