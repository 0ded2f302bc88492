"""Keys, signatures and hashes. Pure: takes bytes, returns values, no I/O but key files."""
