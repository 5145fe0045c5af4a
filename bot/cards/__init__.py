"""The platform-neutral card: its model, how one is built from a handler Message, text rendering."""
