"""The shared numbers: metric definitions, reports, /leadfeedback data subcommands, CRM
outcomes, the weekly digest and its chart."""
