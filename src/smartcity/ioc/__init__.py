"""Intelligent Operations Centre: indicators, incidents with playbooks, public alerts, the live map."""
