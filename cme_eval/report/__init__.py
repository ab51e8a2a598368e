"""Report outputs: CSV tables, figures, the self-contained HTML report and the run manifest."""
