"""Signing: the city's PKI (CAs, certificates, CRL/OCSP, timestamps), PAdES signing and verification."""
