"""Broker, generation runner and background jobs (built by the chat-engine issue)."""
