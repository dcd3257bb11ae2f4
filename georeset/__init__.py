"""georeset: link text about places to Earth observation on the Hugging Face stack."""

__version__ = "0.1.0"
