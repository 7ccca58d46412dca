"""The answer pipeline, one module per stage; ``runner`` runs them in order."""
