"""Shared machinery: services, jobs, /leadfeedback subcommands, the outbox worker and its
deliveries, pacing."""
