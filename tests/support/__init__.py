"""Helpers shared by test modules (test modules never import each other): run the CLI, sidecar processes,
schedules."""
