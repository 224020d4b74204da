"""Catalogue of administrative procedures (thủ tục hành chính): definitions, e-forms, workflow templates."""
