"""Leads: intake rules, the card and its deliveries, rejections, imports."""
