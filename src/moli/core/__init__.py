"""Settings, database, errors and jobs shared by every feature."""
