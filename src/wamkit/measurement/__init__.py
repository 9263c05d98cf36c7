"""Measurement: reliability, factor structure, invariance and nesting (``wamkit validate``)."""
