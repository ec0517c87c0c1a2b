"""Jobs and the images they make: submission, the worker pipeline, gallery and editor."""
