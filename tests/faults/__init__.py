"""The fault matrix: servers that misbehave on purpose, and the row each fault must give in both modes."""
