"""markwatch: watch Chinese trademark gazettes for marks that copy protected brands."""

__version__ = "0.1.0"
