"""CRM clients (placeholder docstring, filled in later)."""
