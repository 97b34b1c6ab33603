"""The notification gateway: step events in, SMS and pushes out, each recorded."""
