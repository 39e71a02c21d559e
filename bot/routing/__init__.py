"""Routing: assign each new lead to an available member of a pool, fairly (routing.mode assign)."""
