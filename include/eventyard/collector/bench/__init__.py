"""``eventyard bench collector``: wrk over loopback against the real collector and a bare ASGI echo app."""
