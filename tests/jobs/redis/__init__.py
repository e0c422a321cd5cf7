"""The Redis store with real worker processes and a real redis-server."""
