"""How the outside world drives the application: HTTP, the SAQ worker and the CLI, wired by bootstrap."""
