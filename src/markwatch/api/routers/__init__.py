"""API routers; every route is made as the organisation of the Bearer token."""
