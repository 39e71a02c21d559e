"""The SLA clock: when a lead is due, the sweep that nudges and escalates, its deliveries
and its report."""
