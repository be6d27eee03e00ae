"""The web face of moli: FastAPI app assembly, accounts pages, templates, static files."""
