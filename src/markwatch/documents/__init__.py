"""Documents a station files or imports: the opposition pack (DOCX, PDF)."""
