"""The agreed MQL definition: grading each lead at intake, the guarantee, the quality figures."""
