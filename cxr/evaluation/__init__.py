"""Every statistic, table and plot of the project (numpy, scipy, scikit-learn, pandas, matplotlib,
crepes and Pillow; no torch)."""
