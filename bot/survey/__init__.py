"""The monthly "what did customers say" survey: schedule, sweep, form, results, themes."""
