"""The playbook format: model, loading with positions, and the shared checker."""
