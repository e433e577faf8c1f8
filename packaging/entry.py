"""The frozen LoopLab's entry point: what PyInstaller runs when the bundle's ``looplab`` starts.

``python -m app`` and the ``looplab`` script of a pip install start through ``app.main.main`` too;
only a frozen program needs the line below first.
"""

import multiprocessing

if __name__ == "__main__":
    # First thing, before any other import: in a frozen program a process-pool worker is this same
    # executable started again with special arguments. freeze_support() spots them, runs the
    # worker and exits, instead of opening a second lab. (PyInstaller's runtime hook makes it
    # work for the "spawn" start method on Linux and macOS too, not only on Windows.)
    multiprocessing.freeze_support()

    import sys

    from app.main import main

    sys.exit(main())
