"""l1ot: optimal-transport anomaly detection for the CMS Level-1 trigger."""
__version__ = "0.1.0"
