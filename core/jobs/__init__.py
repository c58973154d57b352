"""The general job machinery: the queue with leases, job kinds, the sidecar process, leader election, back-off,
health, schedules and their fires, and run progress. It knows nothing of what a kind does: chain sync
(core.sync) and scanner runs (core.scanner.jobs) register as kinds in core.sidecar. docs/sidecar.md."""
