"""The workflow engine: enrollment, the step an execution runs, the actions, the log."""
