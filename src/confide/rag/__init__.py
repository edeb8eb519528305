"""Loaders, chunking, embedder, vector index and retrieval (built by the knowledge issue)."""
