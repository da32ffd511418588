"""Speed machinery that wraps the stages: keys, the persisted store, worker processes."""
