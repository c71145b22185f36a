"""HTTP routes of the local server: they parse requests and format responses, nothing else."""
