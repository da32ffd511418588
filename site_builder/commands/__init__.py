"""What the user runs: build, check, serve, watch, import, scaffold."""
