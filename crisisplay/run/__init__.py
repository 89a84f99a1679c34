"""Front ends over the engine: the session loop, the answers-file runner and the terminal runner."""
