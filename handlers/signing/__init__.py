"""Signing use cases: the signing page (page), the links on employee cards (links) and the sealed
signature record (record)."""
