"""Where incident logs live: the store interface (`base`), the file store (`files`), the
PostgreSQL store (`postgres`, psycopg imported only there) and the chain both share (`chain`)."""
