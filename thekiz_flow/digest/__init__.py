"""The yearly digest: aggregation, tables and the files written from them."""
