"""Offline stand-ins for the keras-io corpus: small synthetic data in the real file formats, and a headless
plotting shim for machines without matplotlib."""
