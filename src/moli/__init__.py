"""模力 moli — an open platform for a district's AI large-model industry."""

__version__ = "0.1.0"
