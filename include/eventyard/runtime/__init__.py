"""Running Eventyard as a whole: the local stack, its supervisor, and when the DAGs run."""
