"""The project's database backends."""
