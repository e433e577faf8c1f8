"""LoopLab's resources, shipped as the package ``app._resources``.

This file exists only so that editable installs map the folder as a package (without it,
``importlib.resources.files("app._resources")`` fails from a checkout). Load files through
``app.resources``, never by path.
"""
