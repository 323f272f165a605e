"""Background jobs: a queue in Redis, run by worker processes (taskiq)."""
