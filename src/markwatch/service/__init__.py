"""The use cases every entry point (CLI, API, web, scheduler) calls: ingest, run, watchlists, alerts,
organisations and their scoped views, delivery; `facade.Service` ties them to one database."""
