"""Helpers shared by test modules (test modules never import each other): actors, run the CLI, sidecar processes,
schedules."""
