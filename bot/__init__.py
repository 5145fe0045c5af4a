"""The shell: settings, FastAPI app, CLI, conversation router, Card model and channel adapters."""
