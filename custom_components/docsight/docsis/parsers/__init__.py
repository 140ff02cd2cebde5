"""Pure parsers: a modem's pages in, model objects out, no network involved."""
