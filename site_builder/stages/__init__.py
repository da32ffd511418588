"""The build stages: pure functions from plain data to plain data; only load reads and only write writes."""
