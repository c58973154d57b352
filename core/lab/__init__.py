"""Strategy Lab (docs/lab.md): strategy configs, test runs replayed over daily history, and the sidecar job."""
