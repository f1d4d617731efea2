"""The offline recovery kit: what a bare machine needs to reach and open the repository."""
