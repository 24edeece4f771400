"""genad: deep anomaly detection with generative models."""
