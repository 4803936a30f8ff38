"""Every statistic, table and plot of the project (numpy, scikit-learn, matplotlib; no torch)."""
