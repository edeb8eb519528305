"""LLM backends behind one ChatModel protocol (built by the chat-engine issue)."""
