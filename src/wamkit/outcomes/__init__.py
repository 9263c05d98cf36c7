"""Alliance against outcomes (``wamkit outcomes``)."""
