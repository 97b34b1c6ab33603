"""Our HTTP service: procedure search, the web chat page, and the notifier's endpoints."""
