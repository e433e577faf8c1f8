"""The window's panels: each takes what it shows, subscribes to the controller itself, and renders.

``controls`` (mode, Run, Cancel, options), ``source`` (your URLs or a lesson), ``liveness`` (is the
window alive?), ``report`` (the verdict on the last run) and ``results`` (timeline, requests,
history). ``app.ui.main_window`` only places them and connects the few things between them.
"""
