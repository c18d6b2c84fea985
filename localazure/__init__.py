"""localazure: a local ARM-compatible HTTPS endpoint for the Azure SDKs (see README.md)."""
