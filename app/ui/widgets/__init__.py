"""Display-only widgets, one per module: they render what they are given and never touch the network."""
