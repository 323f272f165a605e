"""Users: who owns items, who may do what."""
