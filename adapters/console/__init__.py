"""The console workspace: try copbot in a terminal, no tokens needed."""
