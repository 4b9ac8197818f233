"""Training pipeline for Petalflow's bundled demo model (petalflow-shapes)."""
