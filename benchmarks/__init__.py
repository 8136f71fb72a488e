"""On-demand benchmarks (`make bench`): figures are measured in one run and printed as ratios."""
